"""The notification list, the unread count in the menu, marking read, the settings page."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from renkei.communities.services import remove_member
from renkei.notifications.context import notifications as notifications_context
from renkei.notifications.models import Mode, Notification, NotificationPreference

LIST = "/notifications/"
SETTINGS = "/notifications/settings/"


def unread_badge(html: str) -> str | None:
    marker = 'class="unread-count"'
    if marker not in html:
        return None
    return html.split(marker, 1)[1].split(">", 1)[1].split("<", 1)[0]


def test_urls_are_where_the_menu_says():
    assert reverse("notifications:list") == LIST
    assert reverse("notifications:settings") == SETTINGS


def test_unread_count_list_and_marking_read(world, as_user, posted, work):
    first = posted(world.alice, world.isac, "一つ目の話題", tlp="green")
    posted(world.alice, world.isac, "二つ目の話題", tlp="amber")
    work()
    client = as_user(world.bob)
    page = client.get(reverse("communities:home")).content.decode()
    assert unread_badge(page) == "2"
    listing = client.get(LIST).content.decode()
    assert "一つ目の話題" in listing and "二つ目の話題" in listing
    # Opening a topic reads its notification.
    assert client.get(reverse("communities:topic", args=[first.public_id])).status_code == 200
    assert unread_badge(client.get(LIST).content.decode()) == "1"
    response = client.post(reverse("notifications:mark_all_read"))
    assert response.status_code == 302
    assert unread_badge(client.get(LIST).content.decode()) is None
    assert not Notification.objects.filter(user=world.bob, read_at__isnull=True).exists()


def test_the_list_and_count_hide_topics_no_longer_readable(world, as_user, posted, work):
    posted(world.alice, world.isac, "退会前の話題", tlp="green")
    work()
    assert Notification.objects.filter(user=world.bob).count() == 1
    remove_member(actor=world.alice, membership=world.isac.memberships.get(user=world.bob))
    client = as_user(world.bob)
    listing = client.get(LIST).content.decode()
    assert "退会前の話題" not in listing
    assert unread_badge(listing) is None


def test_the_unread_count_is_one_query(world, rf, posted, work):
    posted(world.alice, world.isac, "数える", tlp="green")
    work()
    request = rf.get("/")
    request.user = world.bob
    count = notifications_context(request)["notifications_unread"]
    with CaptureQueriesContext(connection) as queries:
        assert count() == 1
    assert len(queries) == 1


def test_the_list_needs_a_sign_in(client, world):
    assert client.get(LIST).status_code == 302


def test_settings_list_readable_communities_and_save(world, as_user):
    client = as_user(world.charlie)
    page = client.get(SETTINGS).content.decode()
    assert world.general.name in page and world.isac.name not in page
    assert "観測情報等通知用（ガンマ鉄道）" in page
    assert "観測情報等通知用（アルファ通信）" not in page
    response = client.post(SETTINGS, {f"mode-{world.general.id}": "none",
                                      f"mode-{world.pro.id}": "immediate"})
    assert response.status_code == 302
    assert dict(NotificationPreference.objects.filter(user=world.charlie)
                .values_list("community_id", "mode")) == {world.general.id: "none",
                                                          world.pro.id: "immediate"}
    client.post(SETTINGS, {f"mode-{world.general.id}": "default"})
    assert not NotificationPreference.objects.filter(user=world.charlie,
                                                      community=world.general).exists()


def test_settings_refuse_bad_input_and_change_nothing(world, as_user):
    NotificationPreference.objects.create(user=world.charlie, community=world.general,
                                          mode=Mode.DIGEST)
    client = as_user(world.charlie)
    for data in ({f"mode-{world.general.id}": "none", f"mode-{world.isac.id}": "immediate"},
                 {f"mode-{world.general.id}": "sometimes"},
                 {"mode-abc": "none"},
                 {f"mode-{world.general.id}": "none", "mode-999999": "none"}):
        response = client.post(SETTINGS, data)
        assert response.status_code == 400, data
        assert b"notification" in response.content.lower()
    assert list(NotificationPreference.objects.filter(user=world.charlie)
                .values_list("mode", flat=True)) == ["digest"]


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST).status_code == 200
    return len(queries)


def test_the_list_costs_the_same_queries_for_few_and_many(world, as_user, posted,
                                                           commented, work):
    client = as_user(world.bob)
    topic = posted(world.alice, world.isac, "話題 0", tlp="green")
    work()
    few = _list_queries(client)
    for n in range(1, 6):
        posted(world.alice, world.isac, f"話題 {n}", tlp="amber")
        commented(world.alice2, topic, f"コメント {n}")
    work()
    assert Notification.objects.filter(user=world.bob).count() == 11
    assert _list_queries(client) == few
