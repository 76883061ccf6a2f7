"""The JSON API (/api/v1): one NinjaAPI, routers contributed by the apps."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.security import APIKeyCookie, HttpBearer

from shegong.accounts import scope
from shegong.accounts.models import ApiToken


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        row = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=ApiToken.hash(token), revoked=False, user__is_active=True)
            .first()
        )
        if row is None:
            return None
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
        request.user = row.user
        return row.user


class Session(APIKeyCookie):
    """The browser session, with CSRF for unsafe methods and the second factor enforced."""

    param_name = "sessionid"

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest):
        from django.conf import settings

        key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        if key:
            # APIKeyCookie._get_key is where django-ninja checks CSRF (unsafe methods only);
            # overriding it without this call would let any site write with the victim's session.
            super()._get_key(request)
        return key

    def authenticate(self, request: HttpRequest, key):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if scope.requires_second_factor(user) and not user.is_verified():
            return None
        return user


api = NinjaAPI(
    title="shegong API",
    version="1",
    description="三站合一 social-work platform. Personal data is scoped to the caller; "
    "out-of-scope records answer 404.",
    auth=[BearerToken(), Session()],
    urls_namespace="api",
    docs_url="/docs",
)


def validation_detail(exc: ValidationError) -> list[dict]:
    detail = []
    for field, messages in exc.message_dict.items():
        for message in messages:
            detail.append({"loc": ["body", field], "msg": message, "type": "value_error"})
    return detail


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError):
    return api.create_response(request, {"detail": validation_detail(exc)}, status=422)


@api.exception_handler(OverflowError)
def on_integer_overflow(request: HttpRequest, exc: OverflowError):
    """An id past 64 bits, in a path or a body: SQLite refuses to compare with it (PostgreSQL
    just finds nothing), and no record can have it, so it is as missing as any other id."""
    if "SQLite INTEGER" not in str(exc):
        raise exc
    return api.create_response(request, {"detail": _("Not Found")}, status=404)


api.add_router("/regions", "shegong.regions.api.router")
api.add_router("/people", "shegong.people.api.router")
api.add_router("/children", "shegong.children.api.router")
api.add_router("/elderly", "shegong.elderly.api.router")
api.add_router("/devices", "shegong.devices.api.devices_router")
api.add_router("/alarms", "shegong.devices.api.alarms_router")
api.add_router("/juvenile", "shegong.juvenile.api.router")
api.add_router("/institutions", "shegong.institutions.api.router")
api.add_router("/community", "shegong.community.api.router")
api.add_router("", "shegong.casework.api.router")  # /cases/{id}, /visits
api.add_router("/stats", "shegong.dashboard.api.router")
api.add_router("/reports", "shegong.reports.api.router")
