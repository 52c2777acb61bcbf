"""Sign-in, my settings, API tokens and the administration of organisations and their people.

Views parse input with forms and hand it to accounts/services.py, which owns every write.
A refused request shows the service's messages and answers 400; nothing is written.
"""

import math
import time
from collections.abc import Callable
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from renkei.accounts import audit, services, throttle
from renkei.accounts.backends import EmailBackend
from renkei.accounts.client import client_ip
from renkei.accounts.forms import (
    CodeForm,
    LoginForm,
    MemberCreateForm,
    MemberEditForm,
    OrganisationForm,
    PasswordChangeForm,
    PreferencesForm,
    TokenForm,
)
from renkei.accounts.models import ApiToken, Organisation, User
from renkei.errors import ServiceError

# Between a right password and a right code the person is not signed in yet: only this
# marker in the session says who they claim to be, and it lapses after five minutes.
PENDING_LOGIN_KEY = "renkei.pending_login"
PENDING_LOGIN_SECONDS = 5 * 60
EMAIL_BACKEND = "renkei.accounts.backends.EmailBackend"


# --- shared helpers --------------------------------------------------------------------------

def _attempt(request: HttpRequest, service: Callable[..., Any], **kwargs: Any) -> tuple[bool, Any]:
    """Call a service; a refusal becomes error messages on the page instead of an exception."""
    try:
        return True, service(**kwargs)
    except ServiceError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return False, None


def _lockout_message() -> str:
    minutes = max(1, math.ceil(settings.LOGIN_FAILURE_WINDOW_SECONDS / 60))
    return ngettext(
        "Too many failed attempts. Try again in %(minutes)d minute.",
        "Too many failed attempts. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def _safe_next(request: HttpRequest, candidate: str) -> str:
    """Only ever send people on to a page of this site."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


# --- sign-in and sign-out --------------------------------------------------------------------

def _complete_login(request: HttpRequest, user: User, next_url: str) -> HttpResponse:
    request.session.pop(PENDING_LOGIN_KEY, None)
    login(request, user, backend=EMAIL_BACKEND)  # also gives the session a new key
    throttle.clear(user.email)
    audit.record(user, "user.login", user, ip_address=client_ip(request))
    return redirect(_safe_next(request, next_url))


def _pending_login(request: HttpRequest) -> tuple[User, str] | None:
    """The person who gave a right password and still owes a code, if not lapsed."""
    pending = request.session.get(PENDING_LOGIN_KEY)
    if not pending:
        return None
    user = None
    if time.time() - pending.get("at", 0) <= PENDING_LOGIN_SECONDS:
        user = EmailBackend().get_user(pending.get("user_id"))
    if user is None or not user.has_second_factor:
        request.session.pop(PENDING_LOGIN_KEY, None)
        return None
    return user, pending.get("next", "")


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next", "")
    if request.method == "GET" and request.user.is_authenticated:
        return redirect(_safe_next(request, next_url))
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            email, ip = form.cleaned_data["email"], client_ip(request)
            # A locked address is refused before the password is even looked at.
            if throttle.is_locked(email, ip):
                messages.error(request, _lockout_message())
                status = 429
            else:
                user = authenticate(request, email=email, password=form.cleaned_data["password"])
                if user is None:
                    throttle.note_failure(email, ip)
                    # The same words for an unknown address and a wrong password.
                    messages.error(request, _("The e-mail address or the password is wrong."))
                elif user.has_second_factor:
                    request.session[PENDING_LOGIN_KEY] = {
                        "user_id": user.pk, "at": time.time(), "next": next_url,
                    }
                    return redirect("accounts:login_code")
                else:
                    return _complete_login(request, user, next_url)
    return render(request, "accounts/login.html", {"form": form, "next": next_url},
                  status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def login_code_view(request: HttpRequest) -> HttpResponse:
    pending = _pending_login(request)
    if pending is None:
        messages.error(request, _("Your sign-in has lapsed. Sign in again."))
        return redirect("accounts:login")
    user, next_url = pending
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            ip = client_ip(request)
            if throttle.is_locked(user.email, ip):
                messages.error(request, _lockout_message())
                status = 429
            elif services.verify_totp(user, form.cleaned_data["code"]):
                return _complete_login(request, user, next_url)
            else:
                throttle.note_failure(user.email, ip)
                messages.error(
                    request, _("The code is wrong or was already used. Enter the current code.")
                )
    return render(request, "accounts/login_code.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        logout(request)
        return redirect("accounts:login")
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    return render(request, "accounts/logout.html")


# --- my settings -----------------------------------------------------------------------------

@login_required
@sensitive_post_parameters("password-old_password", "password-new_password",
                           "password-new_password_again")
@require_http_methods(["GET", "POST"])
def settings_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    preferences = PreferencesForm(
        prefix="prefs",
        initial={"name": user.name, "language": user.language, "time_zone": user.time_zone},
    )
    password = PasswordChangeForm(prefix="password")
    status = 200
    action = request.POST.get("action")
    if request.method == "POST" and action == "preferences":
        preferences = PreferencesForm(request.POST, prefix="prefs")
        if preferences.is_valid():
            ok, _user = _attempt(request, services.update_preferences, user=user,
                                 **preferences.cleaned_data)
            if ok:
                translation.activate(user.language)  # confirm in the language just chosen
                messages.success(request, _("Your settings were saved."))
                return redirect("accounts:settings")
        status = 400
    elif request.method == "POST" and action == "password":
        password = PasswordChangeForm(request.POST, prefix="password")
        if password.is_valid():
            ok, _none = _attempt(request, services.change_password, user=user,
                                 old_password=password.cleaned_data["old_password"],
                                 new_password=password.cleaned_data["new_password"])
            if ok:
                update_session_auth_hash(request, user)  # stay signed in here
                messages.success(request, _("Your password was changed."))
                return redirect("accounts:settings")
        status = 400
    elif request.method == "POST":
        status = 400
    return render(request, "accounts/settings.html",
                  {"preferences": preferences, "password": password}, status=status)


def _qr_data_uri(user: User) -> str:
    # An <img> with a data: URI keeps the page free of inline SVG styles (CSP style-src 'self').
    return segno.make(services.totp_uri(user), error="m").svg_data_uri(scale=5, border=2)


@login_required
@require_http_methods(["GET", "POST"])
def totp_setup_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        action = request.POST.get("action")
        if action == "begin":
            ok, _secret = _attempt(request, services.begin_totp_enrolment, user=user)
            if ok:
                return redirect("accounts:totp_setup")
        elif action == "confirm" and form.is_valid():
            ok, _none = _attempt(request, services.confirm_totp_enrolment, user=user,
                                 code=form.cleaned_data["code"])
            if ok:
                messages.success(request, _("Two-factor authentication is on."))
                return redirect("accounts:totp_setup")
        elif action == "disable" and form.is_valid():
            # Guessing codes from a stolen session is throttled like guessing them at sign-in.
            ip = client_ip(request)
            if throttle.is_locked(user.email, ip):
                messages.error(request, _lockout_message())
                status = 429
            else:
                ok, _none = _attempt(request, services.disable_totp, user=user,
                                     code=form.cleaned_data["code"])
                if ok:
                    messages.success(request, _("Two-factor authentication is off."))
                    return redirect("accounts:totp_setup")
                throttle.note_failure(user.email, ip)
    enrolling = bool(user.totp_secret) and not user.has_second_factor
    context = {
        "form": form,
        "enabled": user.has_second_factor,
        "enrolling": enrolling,
        # In groups of four, as authenticator apps accept it, for typing by hand.
        "secret_grouped": " ".join(
            user.totp_secret[i:i + 4] for i in range(0, len(user.totp_secret), 4)
        ) if enrolling else "",
        "qr": _qr_data_uri(user) if enrolling else "",
        "may_disable": user.has_second_factor and not (
            user.is_centre_staff or user.is_platform_admin
        ),
        "required": user.is_centre_staff or user.is_platform_admin,
    }
    return render(request, "accounts/totp_setup.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def tokens_view(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            ok, issued = _attempt(request, services.issue_api_token, user=request.user,
                                  name=form.cleaned_data["name"], days=form.cleaned_data["days"])
            if ok:
                token, raw = issued
                # Rendered, not redirected: the token is on this one response and nowhere else.
                return render(request, "accounts/token_created.html", {"token": token, "raw": raw})
    tokens = request.user.api_tokens.all()
    return render(request, "accounts/tokens.html", {"form": form, "tokens": tokens},
                  status=status)


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    services.revoke_api_token(actor=request.user, token=token)
    messages.success(request, _("The token %(prefix)s… was revoked.") % {"prefix": token.prefix})
    return redirect("accounts:tokens")


# --- organisations and their people ----------------------------------------------------------

def _administered_organisation(user: User, organisation_id: int | None) -> Organisation:
    """My organisation if I administer it; any one for a platform admin; else 404."""
    if organisation_id is None:
        if not (user.is_org_admin or user.is_platform_admin):
            raise Http404
        return user.organisation
    if not user.is_platform_admin:
        raise Http404
    return get_object_or_404(Organisation, pk=organisation_id)


def _administered_member(user: User, member_id: int) -> User:
    """A person I may administer; anyone else is 404, the same as a person who does not exist."""
    members = User.objects.select_related("organisation")
    if not user.is_platform_admin:
        if not user.is_org_admin:
            raise Http404
        members = members.filter(organisation_id=user.organisation_id)
    return get_object_or_404(members, pk=member_id)


def _organisation_url(user: User, organisation: Organisation) -> str:
    if organisation.pk == user.organisation_id:
        return reverse("accounts:organisation")
    return reverse("accounts:organisation_detail", args=[organisation.pk])


@login_required
@require_http_methods(["GET", "POST"])
def organisation_view(request: HttpRequest, organisation_id: int | None = None) -> HttpResponse:
    organisation = _administered_organisation(request.user, organisation_id)
    form = MemberCreateForm(request.POST or None, organisation=organisation)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            ok, member = _attempt(
                request, services.create_user, email=data["email"], name=data["name"],
                organisation=organisation, password=data["password"] or None,
                is_org_admin=data["is_org_admin"], roles=form.roles(), actor=request.user,
            )
            if ok:
                messages.success(request, _("%(name)s was added.") % {"name": member.name})
                return redirect(_organisation_url(request.user, organisation))
    members = (
        organisation.users.select_related("organisation")
        .prefetch_related("role_assignments").order_by("-is_active", "name")
    )
    context = {"organisation": organisation, "members": members, "form": form,
               "organisation_url": _organisation_url(request.user, organisation)}
    return render(request, "accounts/organisation.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def member_edit_view(request: HttpRequest, user_id: int) -> HttpResponse:
    member = _administered_member(request.user, user_id)
    form = MemberEditForm(request.POST or None, member=member)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            ok, _member = _attempt(
                request, services.update_member, actor=request.user, user=member,
                is_org_admin=form.cleaned_data["is_org_admin"], roles=form.roles(),
                is_active=form.cleaned_data["is_active"],
            )
            if ok:
                messages.success(request, _("%(name)s was updated.") % {"name": member.name})
                return redirect(_organisation_url(request.user, member.organisation))
            member.refresh_from_db()  # show what is stored, not what was refused
    context = {"member": member, "form": form,
               "organisation_url": _organisation_url(request.user, member.organisation)}
    return render(request, "accounts/member_edit.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def organisations_view(request: HttpRequest) -> HttpResponse:
    if not request.user.is_platform_admin:
        raise Http404
    form = OrganisationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            ok, organisation = _attempt(request, services.create_organisation,
                                        actor=request.user, **form.cleaned_data)
            if ok:
                messages.success(request, _("%(name)s was created.") % {"name": organisation.name})
                return redirect("accounts:organisations")
    organisations = (
        Organisation.objects.select_related("supervising_ministry")
        .annotate(member_count=Count("users")).order_by("kind", "name")
    )
    return render(request, "accounts/organisations.html",
                  {"form": form, "organisations": organisations}, status=status)
