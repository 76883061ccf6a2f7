from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from .selectors import region_tree

router = Router(tags=["regions"])


class RegionNode(Schema):
    code: str
    name: str
    level: str
    is_generated: bool
    children: list[RegionNode] = []


RegionNode.model_rebuild()


@router.get(
    "", response=list[RegionNode], summary="The region tree (district → township → village)"
)
def regions(request: HttpRequest):
    return region_tree()
