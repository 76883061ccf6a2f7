from __future__ import annotations

from typing import Any

# Behind nginx REMOTE_ADDR is nginx itself; client_ip knows where the real address is.
from shegong.ratelimits import client_ip

from .models import AccessAction, AccessLog


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
