from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation

from . import scope

# Only the pages that lead to the second factor; user administration lives under /accounts/ too.
EXEMPT_PREFIXES = (
    "/accounts/login/",
    "/accounts/logout/",
    "/accounts/otp/",
    "/static/",
    "/healthz",
    "/i18n/",
    "/api/",
)


class RequireSecondFactorMiddleware:
    """A district administrator who has not passed TOTP is sent to set it up or enter a code.

    The API is exempt here because its own session authentication refuses unverified users.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(EXEMPT_PREFIXES)
            and scope.requires_second_factor(user)
            and not user.is_verified()
        ):
            return redirect(reverse("accounts:otp") + "?next=" + request.get_full_path())
        return self.get_response(request)


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """The page language is the user's own choice (the language switch's cookie), else Chinese.

    An office PC whose browser is set to English still shows Chinese until the user switches.
    The API follows Accept-Language, as machine clients expect.
    """

    def process_request(self, request):
        if request.path.startswith("/api/"):
            return super().process_request(request)
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
