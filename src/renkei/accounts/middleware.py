import zoneinfo

from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation


class UserPreferencesMiddleware:
    """A signed-in person sees pages in their own language and time zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.activate(zoneinfo.ZoneInfo("Asia/Tokyo"))
        response = self.get_response(request)
        timezone.deactivate()
        return response


# The API and TAXII authenticate each request by token and ignore the session.
ALWAYS_ALLOWED_PREFIXES = ("/static/", "/healthz", "/i18n/", "/api/", "/taxii2/")


class SecondFactorRequiredMiddleware:
    """Centre staff and platform admins must set up two-factor authentication before anything."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and user.requires_second_factor
            and not user.has_second_factor
            and not request.path.startswith(ALWAYS_ALLOWED_PREFIXES)
        ):
            allowed = {reverse("accounts:totp_setup"), reverse("accounts:logout")}
            if request.path not in allowed:
                return redirect("accounts:totp_setup")
        return self.get_response(request)
