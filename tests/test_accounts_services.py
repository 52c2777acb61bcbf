"""Organisations, people, second factors and API tokens at the service level."""

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from django.urls import reverse
from django.utils import timezone, translation

from renkei.accounts import services
from renkei.accounts.models import ApiToken, Organisation, OrganisationKind, User, hash_token
from renkei.communities.models import Community, CommunityKind
from renkei.errors import ServiceError
from renkei.sharing.visibility import readable_communities

NOW = datetime(2026, 7, 24, 11, 0, 7, tzinfo=UTC)


def refused(call, *args, **kwargs) -> str:
    with translation.override("en"), pytest.raises(ServiceError) as info:
        call(*args, **kwargs)
    return " ".join(info.value.messages)


# --- organisations and people --------------------------------------------------------------

def test_a_new_organisation_gets_its_private_notification_channel(world):
    org = services.create_organisation(name="デルタ病院", kind="participant", sector="hospitals")
    channel = Community.objects.get(notified_organisation=org)
    assert channel.kind == CommunityKind.NOTIFICATION and org.name in channel.name
    assert channel.owner_organisation == world.centre
    member = services.create_user(email="nurse@delta.example", name="看護 師", organisation=org)
    assert channel in readable_communities(member)
    assert channel in readable_communities(world.analyst)
    assert channel not in readable_communities(world.alice)


def test_every_organisation_of_the_world_has_exactly_one_channel(world):
    for org in Organisation.objects.all():
        assert Community.objects.filter(kind=CommunityKind.NOTIFICATION,
                                        notified_organisation=org).count() == 1


@pytest.mark.parametrize(("fields", "message"), [
    ({"name": "", "kind": "participant"}, "An organisation name of 1 to 200 characters"),
    ({"name": "x" * 201, "kind": "participant"}, "An organisation name of 1 to 200 characters"),
    ({"name": "新組織", "kind": "pirate"}, "Unknown organisation kind: pirate"),
    ({"name": "新組織", "kind": "participant", "sector": "mining"}, "Unknown sector: mining"),
    ({"name": "アルファ通信", "kind": "participant"}, "already exists"),
])
def test_bad_organisations_are_refused(world, fields, message):
    before = (Organisation.objects.count(), Community.objects.count())
    assert message in refused(services.create_organisation, **fields)
    assert (Organisation.objects.count(), Community.objects.count()) == before


def test_a_supervising_ministry_must_be_a_ministry(world):
    message = refused(services.create_organisation, name="新組織", kind="participant",
                      supervising_ministry=world.beta)
    assert "ministry" in message
    org = services.create_organisation(name="新組織", kind="participant",
                                       supervising_ministry=world.ministry)
    assert org.supervising_ministry == world.ministry


def test_only_a_platform_admin_creates_organisations(world):
    assert "platform admin" in refused(services.create_organisation, name="新組織",
                                       kind="participant", actor=world.alice)


@pytest.mark.parametrize("email", ["alice@alpha.example", "ALICE@Alpha.Example",
                                   "  alice@alpha.example "])
def test_a_duplicate_email_is_refused(world, email):
    before = User.objects.count()
    message = refused(services.create_user, email=email, name="偽アリス", organisation=world.beta)
    assert message == "A user with the e-mail address alice@alpha.example already exists."
    assert User.objects.count() == before


def test_people_log_in_by_a_lower_case_email_and_show_as_organisation_and_name(world):
    user = services.create_user(email="Dave@Beta.Example", name="Dave", organisation=world.beta)
    assert user.email == "dave@beta.example"
    assert user.display_name == "ベータ電力) Dave"


def test_a_bad_email_and_a_weak_password_are_refused(world):
    assert refused(services.create_user, email="not-an-address", name="x",
                   organisation=world.beta) == "Enter a valid e-mail address."
    assert refused(services.create_user, email="weak@beta.example", name="x",
                   organisation=world.beta, password="12345")
    assert not User.objects.filter(email="weak@beta.example").exists()


def test_centre_roles_are_for_centre_people_only(world):
    message = refused(services.create_user, email="x@beta.example", name="x",
                      organisation=world.beta, roles=["commander"])
    assert message == "Centre roles can only be given to people of the centre."
    assert not User.objects.filter(email="x@beta.example").exists()
    assert refused(services.update_member, actor=world.beta_admin, user=world.bob,
                   is_org_admin=False, roles=["analyst"], is_active=True) == message
    assert world.bob.centre_roles() == set()


def test_unknown_roles_are_refused_and_centre_roles_are_kept(world):
    assert "Unknown role: janitor" in refused(
        services.create_user, email="x@centre.example", name="x", organisation=world.centre,
        roles=["janitor"])
    user = services.create_user(email="duty@centre.example", name="当直", organisation=world.centre,
                                roles=["duty_officer", "liaison"])
    assert user.centre_roles() == {"duty_officer", "liaison"}


def test_an_organisation_admin_manages_only_their_own_people(world):
    assert "Only an admin of this organisation" in refused(
        services.create_user, email="x@beta.example", name="x", organisation=world.beta,
        actor=world.alice)
    assert "Only an admin of this organisation" in refused(
        services.update_member, actor=world.alice, user=world.bob, is_org_admin=True, roles=[],
        is_active=True)
    assert "platform admin" in refused(
        services.create_user, email="x@alpha.example", name="x", organisation=world.alpha,
        is_platform_admin=True, actor=world.alice)


# --- TOTP ----------------------------------------------------------------------------------

@pytest.fixture
def clock(monkeypatch):
    """A fixed "now", so a code never changes step in the middle of a test."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


def code_at(user: User, step_offset: int) -> str:
    totp = pyotp.TOTP(user.totp_secret)
    return totp.generate_otp(totp.timecode(NOW) + step_offset)


@pytest.fixture
def enrolled(world, clock):
    services.begin_totp_enrolment(world.bob)
    services.set_totp_secret(world.bob, world.bob.totp_secret)
    return world.bob


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", None])
def test_malformed_codes_are_refused(enrolled, code):
    assert services.verify_totp(enrolled, code) is False


def test_a_wrong_code_is_refused(enrolled):
    wrong = next(c for c in ("000000", "111111", "222222")
                 if c not in {code_at(enrolled, d) for d in (-1, 0, 1)})
    assert services.verify_totp(enrolled, wrong) is False


def test_a_valid_code_is_accepted_once(enrolled):
    code = code_at(enrolled, 0)
    assert services.verify_totp(enrolled, code) is True
    assert services.verify_totp(enrolled, code) is False
    # Another request holding its own copy of the person cannot reuse it either.
    assert services.verify_totp(User.objects.get(pk=enrolled.pk), code) is False


def test_a_code_of_the_previous_step_is_accepted_once(enrolled):
    previous = code_at(enrolled, -1)
    assert services.verify_totp(enrolled, f"{previous[:3]} {previous[3:]}") is True
    assert services.verify_totp(enrolled, previous) is False
    # The current code is still good, but after it the previous one stays refused.
    assert services.verify_totp(enrolled, code_at(enrolled, 0)) is True
    assert services.verify_totp(enrolled, previous) is False


def test_a_code_older_than_one_step_is_refused(enrolled):
    assert services.verify_totp(enrolled, code_at(enrolled, -2)) is False


def test_enrolment_is_confirmed_only_by_a_right_code(world, clock):
    secret = services.begin_totp_enrolment(world.bob)
    assert secret and not world.bob.has_second_factor
    message = refused(services.confirm_totp_enrolment, world.bob, "000000"
                      if code_at(world.bob, 0) != "000000" else "111111")
    assert "wrong or was already used" in message
    assert not User.objects.get(pk=world.bob.pk).totp_confirmed
    services.confirm_totp_enrolment(world.bob, code_at(world.bob, 0))
    assert User.objects.get(pk=world.bob.pk).has_second_factor
    assert "already on" in refused(services.begin_totp_enrolment, world.bob)


def test_the_provisioning_uri_names_the_person(enrolled):
    assert enrolled.email.replace("@", "%40") in services.totp_uri(enrolled)


# --- API tokens ----------------------------------------------------------------------------

def me(client, header: str | None, language: str = "en"):
    extra = {"HTTP_ACCEPT_LANGUAGE": language}
    if header is not None:
        extra["HTTP_AUTHORIZATION"] = header
    return client.get(reverse("api:me"), **extra)


def test_a_token_is_stored_only_as_its_hash(world):
    token, raw = services.issue_api_token(user=world.alice, name="SIEM")
    assert raw.startswith(services.TOKEN_PREFIX) and len(raw) > 40
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert raw not in [str(value) for value in row.values()]
    assert row["key_hash"] == hash_token(raw) and row["prefix"] == raw[:10]


def test_the_api_answers_to_a_bearer_token(world, client):
    _token, raw = services.issue_api_token(user=world.alice, name="SIEM")
    response = me(client, f"Bearer {raw}")
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "alice@alpha.example"
    assert body["organisation"]["name"] == "アルファ通信"
    assert ApiToken.objects.get(prefix=raw[:10]).last_used_at is not None


def _assert_refused(response, message: str) -> None:
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"] == message
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_is_refused(world, client):
    token, raw = services.issue_api_token(user=world.alice, name="SIEM")
    services.revoke_api_token(actor=world.alice, token=token)
    _assert_refused(me(client, f"Bearer {raw}"), "The API token has been revoked.")


def test_an_expired_token_is_refused(world, client):
    token, raw = services.issue_api_token(user=world.alice, name="SIEM", days=1)
    ApiToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1))
    _assert_refused(me(client, f"Bearer {raw}"),
                    "The API token has expired. Create a new one in your settings.")


@pytest.mark.parametrize("header", ["Bearer rk_garbage", "Bearer " + "x" * 500,
                                    "Bearer 'or 1=1 --"])
def test_a_garbage_token_is_refused(world, client, header):
    _assert_refused(me(client, header), "The API token is not valid.")


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer   ", "Basic YWxpY2U6cHc="])
def test_a_missing_token_is_refused(world, client, header):
    _assert_refused(me(client, header),
                    "An API token is required: send 'Authorization: Bearer <token>'.")


def test_the_token_of_a_deactivated_person_or_organisation_is_refused(world, client):
    _token, raw = services.issue_api_token(user=world.bob, name="SIEM")
    Organisation.objects.filter(pk=world.beta.pk).update(is_active=False)
    _assert_refused(me(client, f"Bearer {raw}"), "The account of this API token is deactivated.")


def test_refusals_are_in_japanese_by_default(world, client):
    response = me(client, "Bearer rk_garbage", language="ja")
    error = response.json()["error"]
    assert response.status_code == 401 and error != "The API token is not valid."
    assert any(ord(ch) > 0x3000 for ch in error), error  # kana or kanji


def test_tokens_are_valid_for_1_to_3650_days(world):
    for days in (0, -1, 3651):
        assert refused(services.issue_api_token, user=world.alice, name="x",
                       days=days) == "A token is valid for 1 to 3650 days."
    assert not ApiToken.objects.exists()


def test_only_the_owner_or_their_admin_issues_and_revokes_tokens(world):
    assert "Only an admin of this organisation" in refused(
        services.issue_api_token, user=world.bob, name="x", actor=world.alice)
    token, _raw = services.issue_api_token(user=world.alice2, name="x", actor=world.alice)
    assert "Only an admin of this organisation" in refused(
        services.revoke_api_token, actor=world.charlie, token=token)
    token.refresh_from_db()
    assert token.is_usable
    services.revoke_api_token(actor=world.alice, token=token)
    token.refresh_from_db()
    assert not token.is_usable


def test_an_organisation_kind_list_matches_the_issue():
    assert set(OrganisationKind.values) == {"centre", "participant", "agency",
                                            "law_enforcement", "ministry", "vendor"}
