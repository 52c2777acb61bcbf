"""Every write to organisations, people, roles, second factors and API tokens."""

import secrets
from datetime import timedelta

import pyotp
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from renkei.accounts import audit
from renkei.accounts.models import (
    ApiToken,
    CentreRole,
    Organisation,
    OrganisationKind,
    RoleAssignment,
    Sector,
    User,
    hash_token,
)
from renkei.errors import ServiceError

TOKEN_PREFIX = "rk_"


def _require_platform_admin(actor) -> None:
    if actor is not None and not actor.is_platform_admin:
        raise ServiceError(_("Only a platform admin may do this."))


def _require_admin_of(actor, organisation: Organisation) -> None:
    """Platform admins manage every organisation; organisation admins their own."""
    if actor is None or actor.is_platform_admin:
        return
    if not (actor.is_org_admin and actor.organisation_id == organisation.id):
        raise ServiceError(_("Only an admin of this organisation may do this."))


def create_organisation(
    *, name: str, kind: str, sector: str = "", supervising_ministry: Organisation | None = None,
    actor: User | None = None,
) -> Organisation:
    """Create an organisation with its private notification channel. `actor=None` is the CLI."""
    from renkei.communities.services import open_notification_channel

    _require_platform_admin(actor)
    name = name.strip()
    if not name or len(name) > 200:
        raise ServiceError(_("An organisation name of 1 to 200 characters is required."))
    if kind not in OrganisationKind.values:
        raise ServiceError(_("Unknown organisation kind: %(kind)s") % {"kind": kind})
    if sector and sector not in Sector.values:
        raise ServiceError(_("Unknown sector: %(sector)s") % {"sector": sector})
    if supervising_ministry is not None and supervising_ministry.kind != OrganisationKind.MINISTRY:
        raise ServiceError(_("A supervising ministry must be an organisation of kind ministry."))
    if Organisation.objects.filter(name=name).exists():
        raise ServiceError(_("An organisation named %(name)s already exists.") % {"name": name})
    with transaction.atomic():
        organisation = Organisation.objects.create(
            name=name, kind=kind, sector=sector, supervising_ministry=supervising_ministry
        )
        open_notification_channel(organisation)
        audit.record(actor, "organisation.create", organisation, kind=kind, sector=sector)
    return organisation


def create_user(
    *, email: str, name: str, organisation: Organisation, password: str | None = None,
    is_org_admin: bool = False, is_platform_admin: bool = False, roles: list[str] | None = None,
    language: str = "ja", actor: User | None = None,
) -> User:
    """Create a person; with no password they cannot sign in until one is set."""
    _require_admin_of(actor, organisation)
    if is_platform_admin:
        _require_platform_admin(actor)
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ServiceError(_("Enter a valid e-mail address.")) from exc
    name = name.strip()
    if not name or len(name) > 150:
        raise ServiceError(_("A name of 1 to 150 characters is required."))
    roles = list(roles or [])
    _check_roles(organisation, roles)
    candidate = User(email=email, name=name, organisation=organisation)
    if password is not None:
        try:
            validate_password(password, candidate)
        except ValidationError as exc:
            raise ServiceError(exc.messages) from exc
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=email, password=password, name=name, organisation=organisation,
                is_org_admin=is_org_admin, is_platform_admin=is_platform_admin, language=language,
            )
            RoleAssignment.objects.bulk_create(RoleAssignment(user=user, role=r) for r in roles)
            audit.record(actor, "user.create", user, organisation=organisation.name, roles=roles)
    except IntegrityError as exc:
        raise ServiceError(
            _("A user with the e-mail address %(email)s already exists.") % {"email": email}
        ) from exc
    return user


def _check_roles(organisation: Organisation, roles: list[str]) -> None:
    unknown = [r for r in roles if r not in CentreRole.values]
    if unknown:
        raise ServiceError(_("Unknown role: %(role)s") % {"role": ", ".join(unknown)})
    if roles and not organisation.is_centre:
        raise ServiceError(_("Centre roles can only be given to people of the centre."))


def update_member(
    *, actor: User, user: User, is_org_admin: bool, roles: list[str], is_active: bool
) -> User:
    _require_admin_of(actor, user.organisation)
    _check_roles(user.organisation, roles)
    if user == actor and (not is_active or not is_org_admin) and not actor.is_platform_admin:
        raise ServiceError(_("You cannot remove your own admin rights or deactivate yourself."))
    with transaction.atomic():
        user.is_org_admin = is_org_admin
        user.is_active = is_active
        user.save(update_fields=["is_org_admin", "is_active"])
        RoleAssignment.objects.filter(user=user).exclude(role__in=roles).delete()
        have = set(RoleAssignment.objects.filter(user=user).values_list("role", flat=True))
        RoleAssignment.objects.bulk_create(
            RoleAssignment(user=user, role=r) for r in roles if r not in have
        )
        audit.record(actor, "user.update", user, is_org_admin=is_org_admin, roles=roles,
                     is_active=is_active)
    return user


def update_preferences(*, user: User, name: str, language: str, time_zone: str) -> User:
    import zoneinfo

    name = name.strip()
    if not name or len(name) > 150:
        raise ServiceError(_("A name of 1 to 150 characters is required."))
    if language not in {"ja", "en"}:
        raise ServiceError(_("Unknown language."))
    if time_zone not in zoneinfo.available_timezones():
        raise ServiceError(_("Unknown time zone: %(zone)s") % {"zone": time_zone})
    user.name, user.language, user.time_zone = name, language, time_zone
    user.save(update_fields=["name", "language", "time_zone"])
    return user


def change_password(*, user: User, old_password: str, new_password: str) -> None:
    if not user.check_password(old_password):
        raise ServiceError(_("The current password is wrong."))
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise ServiceError(exc.messages) from exc
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        audit.record(user, "user.password_change", user)


# --- second factor (TOTP) -------------------------------------------------------------------

def begin_totp_enrolment(user: User) -> str:
    """Give the user a fresh secret to add to an authenticator app; unconfirmed until a code."""
    if user.has_second_factor:
        raise ServiceError(_("Two-factor authentication is already on."))
    user.totp_secret = pyotp.random_base32()
    user.totp_confirmed = False
    user.save(update_fields=["totp_secret", "totp_confirmed"])
    return user.totp_secret


def totp_uri(user: User) -> str:
    return pyotp.TOTP(user.totp_secret).provisioning_uri(
        name=user.email, issuer_name=settings.TOTP_ISSUER
    )


def verify_totp(user: User, code: str) -> bool:
    """Accept a current code once: a code seen before (even a valid one) is refused."""
    code = "".join(ch for ch in (code or "") if not ch.isspace())
    if not user.totp_secret or len(code) != 6 or not code.isdigit():
        return False
    totp = pyotp.TOTP(user.totp_secret)
    now = timezone.now()
    current_step = totp.timecode(now)
    for step in (current_step - 1, current_step, current_step + 1):
        if step <= user.totp_last_step:
            continue
        if secrets.compare_digest(totp.generate_otp(step), code):
            # Conditional update: two requests racing with one code cannot both win.
            won = User.objects.filter(pk=user.pk, totp_last_step__lt=step).update(
                totp_last_step=step
            )
            if won:
                user.totp_last_step = step
                return True
            return False
    return False


def confirm_totp_enrolment(user: User, code: str) -> None:
    if not user.totp_secret:
        raise ServiceError(_("Start the set-up of two-factor authentication first."))
    if not verify_totp(user, code):
        raise ServiceError(_("The code is wrong or was already used. Enter the current code."))
    with transaction.atomic():
        user.totp_confirmed = True
        user.save(update_fields=["totp_confirmed"])
        audit.record(user, "user.totp_enable", user)


def disable_totp(user: User, code: str) -> None:
    """Turn the second factor off after a current code; not for those who must keep it."""
    if not user.has_second_factor:
        raise ServiceError(_("Two-factor authentication is not on."))
    if user.is_centre_staff or user.is_platform_admin:
        raise ServiceError(_("Your account must keep two-factor authentication."))
    if not verify_totp(user, code):
        raise ServiceError(_("The code is wrong or was already used. Enter the current code."))
    with transaction.atomic():
        # A later secret is new and random, so its codes need no memory of this one's steps.
        user.totp_secret, user.totp_confirmed, user.totp_last_step = "", False, 0
        user.save(update_fields=["totp_secret", "totp_confirmed", "totp_last_step"])
        audit.record(user, "user.totp_disable", user)


def set_totp_secret(user: User, secret: str) -> None:
    """For the CLI and the demo: a known, confirmed secret."""
    user.totp_secret = secret
    user.totp_confirmed = True
    user.save(update_fields=["totp_secret", "totp_confirmed"])


# --- API tokens ------------------------------------------------------------------------------

def issue_api_token(
    *, user: User, name: str, days: int | None = None, actor: User | None = None
) -> tuple[ApiToken, str]:
    """Return the token record and the token itself, which is never shown again."""
    if actor is not None and actor != user:
        _require_admin_of(actor, user.organisation)
    name = (name or "").strip() or "API"
    if len(name) > 100:
        raise ServiceError(_("A token name may have at most 100 characters."))
    days = settings.API_TOKEN_DEFAULT_DAYS if days is None else days
    if days < 1 or days > 3650:
        raise ServiceError(_("A token is valid for 1 to 3650 days."))
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name, prefix=raw[:10], key_hash=hash_token(raw),
            expires_at=timezone.now() + timedelta(days=days),
        )
        audit.record(actor or user, "token.create", token, user=user.email, name=name)
    return token, raw


def revoke_api_token(*, actor: User, token: ApiToken) -> None:
    if token.user_id != actor.id:
        _require_admin_of(actor, token.user.organisation)
    if token.revoked_at is not None:
        return  # already revoked: keep the first revocation time
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor, "token.revoke", token)


TOKEN_USE_RECORDED_EVERY = timedelta(minutes=1)


class TokenRefused(Exception):
    """Why a presented token was not accepted; the message is for the caller."""


def authenticate_api_token(raw: str) -> User:
    token = (
        ApiToken.objects.select_related("user", "user__organisation")
        .filter(key_hash=hash_token(raw or ""))
        .first()
    )
    if token is None:
        raise TokenRefused(_("The API token is not valid."))
    if token.revoked_at is not None:
        raise TokenRefused(_("The API token has been revoked."))
    if token.expires_at is not None and token.expires_at <= timezone.now():
        raise TokenRefused(_("The API token has expired. Create a new one in your settings."))
    user = token.user
    if not user.is_active or not user.organisation.is_active:
        raise TokenRefused(_("The account of this API token is deactivated."))
    now = timezone.now()
    # The settings page shows the last use to the minute; writing it on every request would
    # make each API read a write (a commit per call under load).
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_USE_RECORDED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return user
