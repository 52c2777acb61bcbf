"""The home page, the community list and pages, joining, and member administration, through
real HTTP requests with the Django test client."""

import pytest
from django.urls import reverse

from renkei.communities import paging, services
from renkei.communities.models import Community, Membership, Topic

pytestmark = pytest.mark.django_db


def page(client, name, *args, **params):
    return client.get(reverse(f"communities:{name}", args=args), params)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- home ------------------------------------------------------------------------------------

def test_home_needs_sign_in(client, world):
    response = client.get(reverse("communities:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_home_shows_must_see_new_topics_and_my_communities(as_user, world, post):
    post(world.commander, world.general, "全体への注意喚起")
    pinned = post(world.alice, world.isac, "ISAC 必読", pinned=True)
    post(world.beta_admin, world.open, "関東の話")
    client = as_user(world.bob)
    response = page(client, "home")
    assert response.status_code == 200
    content = response.content.decode()
    assert [t.public_id for t in response.context["pinned"]] == [pinned.public_id]
    assert {t.title for t in response.context["latest"]} == {
        "全体への注意喚起", "ISAC 必読", "関東の話"}
    assert "通信ISAC" in content and "関東地域コミュニティ" in content
    # The main menu is on every page.
    assert reverse("communities:list") in content
    assert reverse("accounts:settings") in content
    assert reverse("accounts:logout") in content


def test_home_hides_what_the_user_may_not_read(as_user, world, post):
    post(world.alice, world.isac, "ISAC だけの話", pinned=True)
    response = page(as_user(world.charlie), "home")
    content = response.content.decode()
    assert "ISAC だけの話" not in content
    assert response.context["pinned"] == []
    assert "通信ISAC" not in [c.name for c in response.context["communities"]]


def test_organisation_menu_only_for_org_admins(as_user, world):
    admin_page = page(as_user(world.alice), "home").content.decode()
    assert reverse("accounts:organisation") in admin_page
    member_page = page(as_user(world.alice2), "home").content.decode()
    assert reverse("accounts:organisation") not in member_page


def test_home_query_count_does_not_grow_with_topics(as_user, world, post,
                                                    django_assert_max_num_queries):
    for number in range(25):
        post(world.alice if number % 2 else world.bob, world.isac, f"話題 {number}",
             pinned=number < 3 and number % 2 == 1)
    client = as_user(world.bob)
    with django_assert_max_num_queries(8):
        response = page(client, "home")
    assert len(response.context["latest"]) == 20


# --- community list --------------------------------------------------------------------------

def test_list_shows_readable_and_joinable_communities(as_user, world, post):
    post(world.alice, world.isac, "ISAC の秘密")
    response = page(as_user(world.charlie), "list")
    assert response.status_code == 200
    mine = [c.name for c in response.context["mine"]]
    others = {c.name: c for c in response.context["others"]}
    assert "情報提供（一般）" in mine and "通信ISAC" not in mine
    # A closed community's name is not secret; its topics are.
    assert set(others) == {"通信ISAC", "関東地域コミュニティ"}
    content = response.content.decode()
    assert "Ask to join" in content and "ISAC の秘密" not in content


def test_create_community_by_org_admin(as_user, world):
    client = as_user(world.charlie)
    response = client.post(reverse("communities:create"),
                           {"name": "鉄道ISAC", "kind": "closed", "description": "鉄道分野"})
    community = Community.objects.get(name="鉄道ISAC")
    assert response.status_code == 302
    assert response["Location"] == reverse("communities:detail", args=[community.id])
    assert community.kind == "closed" and community.owner_organisation == world.gamma
    assert Membership.objects.filter(community=community, user=world.charlie,
                                     is_manager=True).exists()


def test_create_community_refused_for_members_and_duplicates(as_user, world):
    before = Community.objects.count()
    client = as_user(world.alice2)
    assert client.get(reverse("communities:create")).status_code == 403
    response = client.post(reverse("communities:create"), {"name": "勝手な会", "kind": "open"})
    assert response.status_code == 403
    client = as_user(world.alice)
    response = client.post(reverse("communities:create"), {"name": "通信ISAC", "kind": "open"})
    assert response.status_code == 400
    assert any("already exists" in m for m in messages_of(response))
    assert response.context["form"]["name"].value() == "通信ISAC"
    response = client.post(reverse("communities:create"), {"name": "x" * 300, "kind": "open"})
    assert response.status_code == 400
    response = client.post(reverse("communities:create"), {"name": "通知", "kind": "notification"})
    assert response.status_code == 400
    assert Community.objects.count() == before


# --- community page --------------------------------------------------------------------------

def test_community_page_for_members_only(as_user, world, post):
    post(world.alice, world.isac, "ISAC の話題")
    response = page(as_user(world.bob), "detail", world.isac.id)
    assert response.status_code == 200
    assert "ISAC の話題" in response.content.decode()
    assert page(as_user(world.charlie), "detail", world.isac.id).status_code == 404
    assert page(as_user(world.commander), "detail", world.isac.id).status_code == 404
    assert page(as_user(world.alice), "detail", 999_999).status_code == 404


def test_community_page_pages_filters_and_puts_must_see_first(as_user, world, post):
    must_see = post(world.alice, world.isac, "最初の必読トピック", pinned=True)
    for number in range(24):
        post(world.bob, world.isac, f"ランサムウェア情報 {number:02d}")
    client = as_user(world.alice)
    response = page(client, "detail", world.isac.id)
    assert "1–20 of 25" in response.content.decode()
    rows = list(response.context["page"].object_list)
    assert len(rows) == 20 and rows[0] == must_see
    assert rows[1].title == "ランサムウェア情報 23"

    response = page(client, "detail", world.isac.id, page=2)
    assert "21–25 of 25" in response.content.decode()
    assert len(response.context["page"].object_list) == 5

    response = page(client, "detail", world.isac.id, q="ウェア情報 1")
    titles = [t.title for t in response.context["page"].object_list]
    assert titles == [f"ランサムウェア情報 {n}" for n in range(19, 9, -1)]
    assert "1–10 of 10" in response.content.decode()

    # A comment moves a topic up by last update, not by the date it was posted.
    services.add_comment(actor=world.bob, topic=Topic.objects.get(title="ランサムウェア情報 03"),
                         body="追記")
    by_update = page(client, "detail", world.isac.id, q="情報 0")
    by_creation = page(client, "detail", world.isac.id, sort="created", q="情報 0")
    assert next(iter(by_update.context["page"])).title == "ランサムウェア情報 03"
    assert next(iter(by_creation.context["page"])).title == "ランサムウェア情報 09"

    response = page(client, "detail", world.isac.id, q="存在しない言葉")
    assert response.context["page"].paginator.count == 0
    assert "No topic you may read contains this keyword." in response.content.decode()


def test_community_page_hides_topics_outside_the_chosen_audience(as_user, world, post):
    post(world.alice, world.isac, "アルファ社内のみ", audience_mode="chosen",
         audience_organisations=[world.alpha])
    body = page(as_user(world.alice2), "detail", world.isac.id).content.decode()
    assert "アルファ社内のみ" in body
    response = page(as_user(world.bob), "detail", world.isac.id)
    assert "アルファ社内のみ" not in response.content.decode()
    assert response.context["page"].paginator.count == 0


def test_community_page_query_count(as_user, world, post, django_assert_max_num_queries):
    for number in range(30):
        post(world.bob, world.isac, f"話題 {number}")
    client = as_user(world.bob)
    with django_assert_max_num_queries(11):
        response = page(client, "detail", world.isac.id)
    assert len(response.context["page"].object_list) == 20


# --- joining and leaving ---------------------------------------------------------------------

def test_join_open_community_at_once(as_user, world):
    client = as_user(world.charlie)
    response = client.post(reverse("communities:join", args=[world.open.id]))
    assert response.status_code == 302
    assert page(client, "detail", world.open.id).status_code == 200
    response = client.post(reverse("communities:leave", args=[world.open.id]))
    assert response.status_code == 302
    assert page(client, "detail", world.open.id).status_code == 404


def test_closed_community_request_and_approval(as_user, world, post):
    post(world.alice, world.isac, "ISAC 内部")
    client = as_user(world.charlie)
    client.post(reverse("communities:join", args=[world.isac.id]))
    request = Membership.objects.get(community=world.isac, user=world.charlie)
    assert request.state == Membership.State.REQUESTED
    assert page(client, "detail", world.isac.id).status_code == 404
    assert "You asked to join" in page(client, "list").content.decode()

    # Bob is a member but no manager: he sees members, not requests, and cannot approve.
    bob = as_user(world.bob)
    response = page(bob, "members", world.isac.id)
    assert response.status_code == 200
    assert world.charlie.display_name not in response.content.decode()
    response = bob.post(reverse("communities:member_approve", args=[world.isac.id, request.id]))
    assert response.status_code == 400
    assert any("managers" in m for m in messages_of(response))
    request.refresh_from_db()
    assert request.state == Membership.State.REQUESTED

    alice = as_user(world.alice)
    assert world.charlie.display_name in page(alice, "members", world.isac.id).content.decode()
    response = alice.post(reverse("communities:member_approve", args=[world.isac.id, request.id]))
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.state == Membership.State.ACTIVE
    response = page(as_user(world.charlie), "detail", world.isac.id)
    assert response.status_code == 200 and "ISAC 内部" in response.content.decode()


def test_members_page_is_404_for_outsiders(as_user, world):
    client = as_user(world.charlie)
    assert page(client, "members", world.isac.id).status_code == 404
    response = client.post(reverse("communities:members", args=[world.isac.id]),
                           {"organisation": world.gamma.id})
    assert response.status_code == 404
    assert not Membership.objects.filter(community=world.isac, organisation=world.gamma).exists()


def test_manager_adds_and_removes_members(as_user, world):
    alice = as_user(world.alice)
    url = reverse("communities:members", args=[world.isac.id])
    response = alice.post(url, {"organisation": world.gamma.id})
    assert response.status_code == 302
    response = alice.post(url, {"email": "agent@agency.example", "invite": "on"})
    assert response.status_code == 302
    invited = Membership.objects.get(community=world.isac, user=world.agent)
    assert invited.state == Membership.State.INVITED
    gamma = Membership.objects.get(community=world.isac, organisation=world.gamma)
    assert page(as_user(world.charlie), "detail", world.isac.id).status_code == 200

    alice = as_user(world.alice)
    response = alice.post(reverse("communities:member_remove", args=[world.isac.id, gamma.id]))
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=gamma.pk).exists()

    # The invited agent accepts from the community list.
    agent = as_user(world.agent)
    assert "Accept invitation" in page(agent, "list").content.decode()
    agent.post(reverse("communities:join", args=[world.isac.id]))
    invited.refresh_from_db()
    assert invited.state == Membership.State.ACTIVE


def test_member_form_bad_input_changes_nothing(as_user, world):
    before = Membership.objects.count()
    alice = as_user(world.alice)
    url = reverse("communities:members", args=[world.isac.id])
    for data in ({}, {"organisation": world.gamma.id, "email": "bob@beta.example"},
                 {"email": "nobody@nowhere.example"}, {"organisation": 999_999},
                 {"organisation": world.gamma.id, "is_manager": "on"}):
        response = alice.post(url, data)
        assert response.status_code == 400, data
    bob = as_user(world.bob)
    response = bob.post(url, {"organisation": world.gamma.id})
    assert response.status_code == 400
    owner = Membership.objects.get(community=world.isac, organisation=world.alpha)
    response = as_user(world.alice).post(
        reverse("communities:member_remove", args=[world.isac.id, owner.id]))
    assert response.status_code == 400
    # A membership of another community, named through this community's address.
    other = Membership.objects.filter(community=world.open).first()
    response = as_user(world.alice).post(
        reverse("communities:member_remove", args=[world.isac.id, other.id]))
    assert response.status_code == 404
    assert Membership.objects.count() == before


def test_fixed_community_members_page(as_user, world):
    response = page(as_user(world.charlie), "members", world.general.id)
    assert response.status_code == 200
    assert "Every signed-in user reads this community" in response.content.decode()


def test_topic_rows_and_pages_escape_titles(as_user, world, post):
    post(world.alice, world.isac, "<script>alert(1)</script>")
    content = page(as_user(world.alice), "detail", world.isac.id).content.decode()
    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content


def test_unpinned_topic_listing_order_by_update(as_user, world, post):
    first = post(world.alice, world.isac, "古い話題")
    post(world.alice, world.isac, "新しい話題")
    services.add_comment(actor=world.bob, topic=first, body="追記")
    rows = list(page(as_user(world.alice), "detail", world.isac.id).context["page"].object_list)
    assert rows[0] == first
    assert Topic.objects.count() == 2


def test_large_community_counts_up_to_a_bound(as_user, world, post, monkeypatch):
    monkeypatch.setattr(paging, "COUNT_FLOOR", 10)
    monkeypatch.setattr(paging, "LOOKAHEAD_PAGES", 0)
    must_see = post(world.alice, world.isac, "必読", pinned=True)
    for number in range(30):
        post(world.bob, world.isac, f"話題 {number:02d}")
    client = as_user(world.alice)
    response = page(client, "detail", world.isac.id)
    content = response.content.decode()
    assert "1–20 of more than 21" in content
    assert next(iter(response.context["page"])) == must_see
    assert "?page=2" in content
    response = page(client, "detail", world.isac.id, page=2)
    assert "21–31 of 31" in response.content.decode()
    assert [t.title for t in response.context["page"]][-1] == "話題 00"
    # Past the end: the last page.
    response = page(client, "detail", world.isac.id, page=99)
    assert response.context["page"].number == 2


def test_must_see_topics_run_on_across_pages(as_user, world, post, monkeypatch):
    from renkei.communities import views

    monkeypatch.setattr(views, "TOPICS_PER_PAGE", 2)
    pinned = [post(world.alice, world.isac, f"必読 {n}", pinned=True) for n in range(3)]
    others = [post(world.bob, world.isac, f"通常 {n}") for n in range(2)]
    client = as_user(world.alice)
    pages = [list(page(client, "detail", world.isac.id, page=n).context["page"])
             for n in (1, 2, 3)]
    assert pages == [[pinned[2], pinned[1]], [pinned[0], others[1]], [others[0]]]
    assert "5–5 of 5" in page(client, "detail", world.isac.id, page=3).content.decode()


def test_home_new_topics_are_the_newest_whether_or_not_the_last_week_fills_the_list(
    world, post, as_user
):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    old = post(world.commander, world.general, "一年前の告知", now=now - timedelta(days=365))
    client = as_user(world.bob)
    assert old.title in client.get("/").content.decode()
    for n in range(20):
        post(world.commander, world.general, f"今週の告知{n}", now=now - timedelta(hours=n))
    body = client.get("/").content.decode()
    assert "今週の告知19" in body
    assert old.title not in body
