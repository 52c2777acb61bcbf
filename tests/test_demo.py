"""The demo world: its shape, its consistency with the visibility rule, and its printed logins."""

import io

import pyotp
import pytest
from django.contrib.auth import authenticate
from django.utils import timezone

from renkei.accounts.models import CentreRole, Organisation, OrganisationKind, Sector, User
from renkei.accounts.services import verify_totp
from renkei.cli import main as renkei_main
from renkei.communities.models import (
    Acknowledgement,
    Attachment,
    Comment,
    Community,
    CommunityKind,
    InformationKind,
    Topic,
)
from renkei.demo.data import DEMO_PASSWORD
from renkei.demo.world import demo_logins, load_demo_world, print_logins
from renkei.errors import ServiceError
from renkei.sharing.models import TLP, AudienceMode
from renkei.sharing.visibility import readable_topics


@pytest.fixture
def demo(db):
    return load_demo_world()


def test_the_world_has_the_seed_shape(demo):
    assert Organisation.objects.count() >= 30
    assert Topic.objects.count() >= 100
    assert set(Topic.objects.values_list("kind", flat=True)) == set(InformationKind.values)
    assert set(Topic.objects.values_list("tlp", flat=True)) == set(TLP.values)
    assert set(Topic.objects.values_list("reader_level", flat=True)) == {"general", "pro"}
    kinds = set(Organisation.objects.values_list("kind", flat=True))
    assert kinds == set(OrganisationKind.values)
    sectors = set(Organisation.objects.exclude(sector="").values_list("sector", flat=True))
    assert sectors == set(Sector.values)
    ministry = Organisation.objects.filter(kind=OrganisationKind.MINISTRY).first()
    assert ministry.supervised_organisations.count() >= 2
    centre_roles = set(
        User.objects.filter(organisation__kind=OrganisationKind.CENTRE)
        .values_list("role_assignments__role", flat=True)
    )
    assert set(CentreRole.values) <= centre_roles
    for organisation in Organisation.objects.all():
        channel = Community.objects.get(notified_organisation=organisation)
        assert channel.kind == CommunityKind.NOTIFICATION
        assert organisation.users.filter(is_org_admin=True).exists()
    community_kinds = set(Community.objects.values_list("kind", flat=True))
    assert community_kinds == set(CommunityKind.values)
    assert Topic.objects.filter(community__kind=CommunityKind.NOTIFICATION).count() >= 10
    assert Topic.objects.filter(is_pinned=True).count() >= 3
    assert Topic.objects.filter(audience_mode=AudienceMode.CHOSEN).count() >= 5
    assert Comment.objects.count() >= 30
    assert Attachment.objects.filter(original_name="blocklist-v3.csv").get().topic.tlp == TLP.AMBER
    assert Acknowledgement.objects.count() >= 500
    # Spread over the past two months, never in the future.
    dates = {t.created_at.date() for t in Topic.objects.all()}
    assert len(dates) >= 30
    assert max(Topic.objects.values_list("created_at", flat=True)) <= timezone.now()
    # One load serves several checks: loading takes seconds.
    check_seed_bulletins()
    check_reactions_come_from_readers_only()


def check_seed_bulletins() -> None:
    titles = " ".join(Topic.objects.values_list("title", flat=True))
    for words in ("被害報告を装う不正プログラム", "#OpBoycottOlympics", "偽ライブ配信",
                  "iOS、iPadOS", "Windows OS", "Exchange", "RDP", "漏えい", "ランサムウェア",
                  "開会式", "地震"):
        assert words in titles, words
    opening = Topic.objects.get(title__contains="#OpBoycottOlympics")
    assert opening.tag == "important" and opening.is_pinned and opening.ack_count > 20


def check_reactions_come_from_readers_only() -> None:
    readable = {u.pk: set(readable_topics(u).values_list("id", flat=True))
                for u in User.objects.all()}
    for topic_id, user_id in Acknowledgement.objects.values_list("topic_id", "user_id"):
        assert topic_id in readable[user_id]
    for topic_id, user_id in Comment.objects.values_list("topic_id", "author_id"):
        assert topic_id in readable[user_id]
    for topic in Topic.objects.filter(tlp=TLP.RED):
        assert topic.audience_mode == AudienceMode.CHOSEN
        outsiders = [pk for pk, ids in readable.items() if topic.pk not in ids]
        assert outsiders, "a RED topic must not reach everyone"
    # An observation notice reaches its organisation and the centre only.
    notice = Topic.objects.filter(community__kind=CommunityKind.NOTIFICATION).first()
    notified = notice.community.notified_organisation_id
    for user in User.objects.select_related("organisation"):
        expected = user.organisation_id == notified or user.organisation.is_centre
        assert (notice.pk in readable[user.pk]) == expected, user.email


def test_printed_logins_sign_in(demo):
    assert len(demo) == User.objects.count()
    staff = [login for login in demo if login.totp_secret]
    assert len(staff) == User.objects.filter(organisation__kind="centre").count() >= 6
    # Every account shares one password hash, so one sign-in proves them all.
    assert User.objects.values("password").distinct().count() == 1
    for login in [*staff[:2], demo[-1]]:
        user = authenticate(None, username=login.email, password=login.password)
        assert user is not None and user.email == login.email
    assert authenticate(None, username=demo[-1].email, password="wrong-password-1") is None
    for login in staff:
        user = User.objects.get(email=login.email)
        assert user.has_second_factor
        assert verify_totp(user, pyotp.TOTP(login.totp_secret).now())

    out = io.StringIO()
    print_logins(demo, out=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8000/" in text
    assert DEMO_PASSWORD in text
    for login in demo:
        assert login.email in text
    for login in staff:
        assert login.totp_secret in text


def test_loading_again_changes_nothing_and_prints_the_same_logins(db, capsys):
    assert renkei_main(["demo"]) == 0
    printed = capsys.readouterr().out
    counts = (Organisation.objects.count(), User.objects.count(), Topic.objects.count(),
              Comment.objects.count(), Acknowledgement.objects.count())
    again = load_demo_world()
    assert counts == (Organisation.objects.count(), User.objects.count(), Topic.objects.count(),
                      Comment.objects.count(), Acknowledgement.objects.count())
    assert again == demo_logins()
    assert all(login.email in printed for login in again)
    assert all(login.totp_secret in printed for login in again if login.totp_secret)


def test_a_database_with_another_centre_is_refused_untouched(world):
    before = (Organisation.objects.count(), User.objects.count(), Topic.objects.count())
    with pytest.raises(ServiceError):
        load_demo_world()
    assert before == (Organisation.objects.count(), User.objects.count(), Topic.objects.count())
    assert demo_logins() == []


def test_printing_without_a_demo_world_says_so(db):
    out = io.StringIO()
    print_logins(demo_logins(), out=out)
    assert "デモ環境が入っていません" in out.getvalue()  # Japanese, the default language
