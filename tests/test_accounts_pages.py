"""My settings, two-factor set-up, API tokens and the administration of organisations."""

import re
import time
from datetime import timedelta

import pyotp
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from renkei.accounts.models import ApiToken, AuditEntry, Organisation, User
from renkei.accounts.services import create_user, set_totp_secret
from tests.test_login import other_code

SETTINGS = reverse("accounts:settings")
TOTP = reverse("accounts:totp_setup")
TOKENS = reverse("accounts:tokens")
ORGANISATION = reverse("accounts:organisation")
ORGANISATIONS = reverse("accounts:organisations")
ME = "/api/v1/me"


@pytest.fixture
def as_user(client):
    """Sign a person in (English pages unless said otherwise) and return the client."""

    def _as(user, language: str = "en"):
        user.language = language
        user.save(update_fields=["language"])
        client.force_login(user)
        return client

    return _as


def code_at(secret: str, offset_seconds: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + offset_seconds)


def error_text(response) -> str:
    return response.content.decode()


# --- my settings -----------------------------------------------------------------------------

def test_settings_page_needs_sign_in(client, world):
    response = client.get(SETTINGS)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_preferences_are_saved(as_user, world):
    client = as_user(world.alice)
    response = client.post(SETTINGS, {"action": "preferences", "prefs-name": "Alice Smith",
                                      "prefs-language": "ja", "prefs-time_zone": "Europe/Paris"})
    assert response.status_code == 302
    world.alice.refresh_from_db()
    assert (world.alice.name, world.alice.language, world.alice.time_zone) == (
        "Alice Smith", "ja", "Europe/Paris")


def test_bad_preferences_change_nothing(as_user, world):
    client = as_user(world.alice)
    response = client.post(SETTINGS, {"action": "preferences", "prefs-name": "x" * 151,
                                      "prefs-language": "en", "prefs-time_zone": "Mars/Olympus"})
    assert response.status_code == 400
    world.alice.refresh_from_db()
    assert world.alice.name == "Alice" and world.alice.time_zone == "Asia/Tokyo"


def test_password_change(as_user, world):
    client = as_user(world.alice)
    new = "kasumigaura-lotus-77"
    response = client.post(SETTINGS, {
        "action": "password", "password-old_password": world.password,
        "password-new_password": new, "password-new_password_again": new,
    })
    assert response.status_code == 302
    world.alice.refresh_from_db()
    assert world.alice.check_password(new)
    assert client.get(SETTINGS).status_code == 200  # still signed in on this session


def test_password_change_with_a_wrong_current_password_is_refused(as_user, world):
    client = as_user(world.alice)
    response = client.post(SETTINGS, {
        "action": "password", "password-old_password": "not-it-at-all",
        "password-new_password": "kasumigaura-lotus-77",
        "password-new_password_again": "kasumigaura-lotus-77",
    })
    assert response.status_code == 400
    assert "The current password is wrong." in error_text(response)
    world.alice.refresh_from_db()
    assert world.alice.check_password(world.password)


def test_weak_new_password_is_refused_with_the_validator_message(as_user, world):
    client = as_user(world.alice)
    response = client.post(SETTINGS, {
        "action": "password", "password-old_password": world.password,
        "password-new_password": "12345", "password-new_password_again": "12345",
    })
    assert response.status_code == 400
    assert "too short" in error_text(response)
    world.alice.refresh_from_db()
    assert world.alice.check_password(world.password)


def test_pages_render_in_english_and_in_japanese(as_user, world):
    client = as_user(world.alice, "en")
    response = client.get(SETTINGS)
    assert response.status_code == 200
    assert '<html lang="en">' in response.content.decode()
    assert "My settings" in response.content.decode()

    client = as_user(world.alice, "ja")
    for page in (SETTINGS, TOTP, TOKENS, ORGANISATION):
        response = client.get(page)
        assert response.status_code == 200
        assert '<html lang="ja">' in response.content.decode()
    # Form messages follow the person's language too (Django's own Japanese catalogue).
    response = client.post(TOKENS, {"name": "", "days": ""})
    assert response.status_code == 400
    assert "このフィールドは必須です。" in response.content.decode()


def test_sign_in_page_follows_the_browser_language(client, world):
    english_page = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en")
    japanese_page = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="ja")
    assert '<html lang="en">' in english_page.content.decode()
    assert '<html lang="ja">' in japanese_page.content.decode()


# --- two-factor set-up -----------------------------------------------------------------------

def test_enrolment_shows_the_secret_and_a_qr_code_then_turns_on(as_user, world):
    client = as_user(world.alice)
    response = client.get(TOTP)
    assert response.status_code == 200 and b'value="begin"' in response.content

    assert client.post(TOTP, {"action": "begin"}).status_code == 302
    world.alice.refresh_from_db()
    secret = world.alice.totp_secret
    assert secret and not world.alice.totp_confirmed
    page = client.get(TOTP).content.decode()
    assert " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)) in page
    assert 'src="data:image/svg+xml' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)  # CSP: no inline script or style
    assert " style=" not in page

    response = client.post(TOTP, {"action": "confirm", "code": other_code(secret)})
    assert response.status_code == 400
    world.alice.refresh_from_db()
    assert not world.alice.totp_confirmed

    response = client.post(TOTP, {"action": "confirm", "code": code_at(secret)})
    assert response.status_code == 302
    world.alice.refresh_from_db()
    assert world.alice.has_second_factor
    page = client.get(TOTP).content.decode()
    assert secret[:8] not in page.replace(" ", "")  # not shown again once it is in use
    assert AuditEntry.objects.filter(action="user.totp_enable", actor=world.alice).exists()


def test_a_participant_may_turn_the_second_factor_off_with_a_current_code(as_user, world):
    secret = pyotp.random_base32()
    set_totp_secret(world.alice, secret)
    client = as_user(world.alice)
    for wrong in ("12", other_code(secret)):
        assert client.post(TOTP, {"action": "disable", "code": wrong}).status_code == 400
    world.alice.refresh_from_db()
    assert world.alice.has_second_factor
    assert client.post(TOTP, {"action": "disable", "code": code_at(secret)}).status_code == 302
    world.alice.refresh_from_db()
    assert not world.alice.has_second_factor and not world.alice.totp_secret
    assert AuditEntry.objects.filter(action="user.totp_disable", actor=world.alice).exists()


def test_centre_staff_may_not_turn_the_second_factor_off(as_user, world):
    client = as_user(world.commander)
    code = code_at(world.commander.totp_secret)
    response = client.post(TOTP, {"action": "disable", "code": code})
    assert response.status_code == 400
    assert "must keep two-factor authentication" in error_text(response)
    world.commander.refresh_from_db()
    assert world.commander.has_second_factor


def test_centre_newcomer_is_held_on_the_set_up_page_until_enrolled(as_user, world):
    newcomer = create_user(email="new@centre.example", name="新人", organisation=world.centre,
                           password=world.password, roles=["responder"])
    client = as_user(newcomer)
    assert client.get(SETTINGS).url == TOTP
    client.post(TOTP, {"action": "begin"})
    newcomer.refresh_from_db()
    assert client.get(TOKENS).url == TOTP
    response = client.post(TOTP, {"action": "confirm", "code": code_at(newcomer.totp_secret)})
    assert response.status_code == 302
    assert client.get(SETTINGS).status_code == 200


# --- API tokens ------------------------------------------------------------------------------

def create_token(client, name="CI script", days=30) -> str:
    response = client.post(TOKENS, {"name": name, "days": days})
    assert response.status_code == 200
    token = ApiToken.objects.get(name=name)
    page = response.content.decode()
    start = page.index(token.prefix)
    raw = page[start:page.index("<", start)]
    assert raw.startswith("rk_") and len(raw) > 30
    return raw


def test_a_token_is_shown_once_and_opens_the_api(as_user, world):
    client = as_user(world.alice)
    raw = create_token(client)
    token = ApiToken.objects.get(user=world.alice)
    assert token.key_hash != raw and raw not in token.key_hash
    listing = client.get(TOKENS).content.decode()
    assert token.prefix in listing and raw not in listing

    api = client.__class__()
    response = api.get(ME, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert response.json()["email"] == world.alice.email
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_revoked_token_is_refused(as_user, world):
    client = as_user(world.alice)
    raw = create_token(client)
    token = ApiToken.objects.get(user=world.alice)
    response = client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    response = client.__class__().get(ME, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 401
    # An API call carries no session: the message comes in the default language, Japanese.
    assert response.json()["error"] == "このAPIトークンは失効しています。"


def test_an_expired_token_is_refused(as_user, world):
    client = as_user(world.alice)
    raw = create_token(client)
    ApiToken.objects.filter(user=world.alice).update(
        expires_at=timezone.now() - timedelta(seconds=1))
    response = client.__class__().get(ME, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 401
    assert "有効期限が切れています" in response.json()["error"]
    assert "Expired" in client.get(TOKENS).content.decode()


def test_bad_token_lifetimes_are_refused(as_user, world):
    client = as_user(world.alice)
    for days in (0, 5000, "soon"):
        assert client.post(TOKENS, {"name": "x", "days": days}).status_code == 400
    assert not ApiToken.objects.exists()


def test_nobody_revokes_another_persons_token(as_user, world):
    client = as_user(world.bob)
    raw = create_token(client)
    token = ApiToken.objects.get(user=world.bob)
    client = as_user(world.charlie)
    assert client.post(reverse("accounts:token_revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert client.__class__().get(ME, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200


# --- my organisation -------------------------------------------------------------------------

def test_organisation_page_lists_details_and_members(as_user, world):
    client = as_user(world.alice)
    page = client.get(ORGANISATION).content.decode()
    assert world.alpha.name in page and world.ministry.name in page
    assert "Telecommunications" in page
    assert world.alice2.email in page and world.bob.email not in page


def test_members_cannot_open_the_organisation_page(as_user, world):
    assert as_user(world.alice2).get(ORGANISATION).status_code == 404


def test_admin_adds_a_member_with_a_password(as_user, world):
    client = as_user(world.alice)
    response = client.post(ORGANISATION, {"email": "Dave@Alpha.example", "name": "Dave",
                                          "password": "hitachi-seaside-park-9"})
    assert response.status_code == 302
    dave = User.objects.get(email="dave@alpha.example")
    assert dave.organisation == world.alpha and not dave.is_org_admin
    assert dave.check_password("hitachi-seaside-park-9")


def test_admin_adds_a_member_without_a_password(as_user, world):
    client = as_user(world.alice)
    assert client.post(ORGANISATION, {"email": "eve@alpha.example", "name": "Eve",
                                      "is_org_admin": "on"}).status_code == 302
    eve = User.objects.get(email="eve@alpha.example")
    assert eve.is_org_admin and not eve.has_usable_password()


def test_adding_an_existing_address_is_refused_and_writes_nothing(as_user, world):
    client = as_user(world.alice)
    before = User.objects.count()
    response = client.post(ORGANISATION, {"email": world.bob.email, "name": "Bob again"})
    assert response.status_code == 400
    assert "already exists" in error_text(response)
    assert User.objects.count() == before


def test_admin_edits_a_member(as_user, world):
    client = as_user(world.alice)
    url = reverse("accounts:member_edit", args=[world.alice2.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"is_org_admin": "on"})  # unticked "active": deactivate
    assert response.status_code == 302 and response.url == ORGANISATION
    world.alice2.refresh_from_db()
    assert world.alice2.is_org_admin and not world.alice2.is_active


def test_centre_admin_edits_centre_roles(as_user, world):
    client = as_user(world.commander)
    url = reverse("accounts:member_edit", args=[world.analyst.pk])
    assert b"Incident controller" in client.get(url).content
    response = client.post(url, {"roles": ["analyst", "duty_officer"], "is_active": "on"})
    assert response.status_code == 302
    assert world.analyst.centre_roles() == {"analyst", "duty_officer"}


def test_centre_roles_cannot_be_forged_onto_a_participant(as_user, world):
    client = as_user(world.alice)
    url = reverse("accounts:member_edit", args=[world.alice2.pk])
    client.post(url, {"roles": ["commander"], "is_active": "on"})
    assert world.alice2.centre_roles() == set()


def test_admin_cannot_take_away_own_admin_rights(as_user, world):
    client = as_user(world.alice)
    url = reverse("accounts:member_edit", args=[world.alice.pk])
    response = client.post(url, {"is_active": "on"})
    assert response.status_code == 400
    assert "cannot remove your own admin rights" in error_text(response)
    world.alice.refresh_from_db()
    assert world.alice.is_org_admin


def test_admin_of_another_organisation_gets_404_and_changes_nothing(as_user, world):
    client = as_user(world.charlie)
    url = reverse("accounts:member_edit", args=[world.alice2.pk])
    assert client.get(url).status_code == 404
    response = client.post(url, {"is_org_admin": "on", "is_active": ""})
    assert response.status_code == 404
    world.alice2.refresh_from_db()
    assert not world.alice2.is_org_admin and world.alice2.is_active
    assert client.get(reverse("accounts:member_edit", args=[999_999])).status_code == 404


def test_plain_members_cannot_edit_anyone(as_user, world):
    client = as_user(world.alice2)
    url = reverse("accounts:member_edit", args=[world.alice.pk])
    assert client.post(url, {"is_active": ""}).status_code == 404
    world.alice.refresh_from_db()
    assert world.alice.is_active


# --- all organisations (platform admins) -----------------------------------------------------

@pytest.fixture
def platform_admin(world):
    admin = create_user(email="root@centre.example", name="基盤 管理", organisation=world.centre,
                        password=world.password, is_platform_admin=True)
    set_totp_secret(admin, pyotp.random_base32())
    return admin


@pytest.mark.parametrize("who", ["alice", "commander", "bob"])
def test_organisations_are_hidden_from_everyone_but_platform_admins(as_user, world, who):
    client = as_user(getattr(world, who))
    assert client.get(ORGANISATIONS).status_code == 404
    assert client.post(ORGANISATIONS, {"name": "偽組織", "kind": "participant"}).status_code == 404
    assert not Organisation.objects.filter(name="偽組織").exists()
    detail = reverse("accounts:organisation_detail", args=[world.beta.pk])
    assert client.get(detail).status_code == 404


def test_platform_admin_lists_and_creates_organisations(as_user, world, platform_admin):
    client = as_user(platform_admin)
    page = client.get(ORGANISATIONS).content.decode()
    assert world.alpha.name in page and world.gamma.name in page
    response = client.post(ORGANISATIONS, {"name": "デルタ銀行", "kind": "participant",
                                           "sector": "finance",
                                           "supervising_ministry": world.ministry.pk})
    assert response.status_code == 302
    delta = Organisation.objects.get(name="デルタ銀行")
    assert (delta.kind, delta.sector, delta.supervising_ministry) == (
        "participant", "finance", world.ministry)


def test_platform_admin_cannot_create_a_duplicate(as_user, world, platform_admin):
    client = as_user(platform_admin)
    before = Organisation.objects.count()
    response = client.post(ORGANISATIONS, {"name": world.alpha.name, "kind": "participant"})
    assert response.status_code == 400
    assert "already exists" in error_text(response)
    assert Organisation.objects.count() == before


def test_a_ministry_must_be_a_ministry(as_user, world, platform_admin):
    client = as_user(platform_admin)
    response = client.post(ORGANISATIONS, {"name": "イプシロン", "kind": "participant",
                                           "supervising_ministry": world.beta.pk})
    assert response.status_code == 400
    assert not Organisation.objects.filter(name="イプシロン").exists()


def test_platform_admin_manages_members_of_any_organisation(as_user, world, platform_admin):
    client = as_user(platform_admin)
    detail = reverse("accounts:organisation_detail", args=[world.beta.pk])
    assert world.bob.email in client.get(detail).content.decode()
    response = client.post(detail, {"email": "frank@beta.example", "name": "Frank"})
    assert response.status_code == 302 and response.url == detail
    assert User.objects.get(email="frank@beta.example").organisation == world.beta


def test_organisation_page_queries_do_not_grow_with_members(as_user, world):
    client = as_user(world.commander)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(ORGANISATION).status_code == 200
        return len(captured)

    before = queries()
    for n in range(4):
        create_user(email=f"staff{n}@centre.example", name=f"職員{n}", organisation=world.centre,
                    roles=["responder", "liaison"])
    assert queries() == before
