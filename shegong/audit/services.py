from __future__ import annotations

from typing import Any

from .models import AccessAction, AccessLog


def client_ip(request: Any) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR")


def access_record(
    *,
    user: Any,
    action: AccessAction | str,
    obj: Any,
    person: Any = None,
    field: str = "",
    detail: str = "",
    request: Any = None,
) -> AccessLog:
    return AccessLog.objects.create(
        user=user if getattr(user, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        person=person,
        field=field,
        detail=detail[:200],
        ip_address=client_ip(request),
    )
