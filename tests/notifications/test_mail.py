"""Notification mail through a real SMTP server: who gets what, what it says, exactly once."""

import zoneinfo
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from renkei.communities.services import remove_member
from renkei.errors import ServiceError
from renkei.jobs.models import Job
from renkei.jobs.queue import run_pending
from renkei.notifications.models import Mode, Notification, NotificationPreference
from renkei.notifications.services import set_preferences

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
BODY = "観測された通信先: 203.0.113.7 への不審な通信"


def choose(user, community, mode):
    set_preferences(user=user, choices={community.id: mode})


def everyone(world):
    return [world.commander, world.analyst, world.alice, world.alice2, world.bob,
            world.beta_admin, world.charlie, world.agent]


def test_immediate_mail_goes_exactly_to_the_readers_who_chose_it(world, smtp, posted, work):
    choose(world.bob, world.isac, Mode.IMMEDIATE)
    choose(world.alice2, world.isac, Mode.DIGEST)
    with pytest.raises(ServiceError):  # charlie does not read the ISAC
        choose(world.charlie, world.isac, Mode.IMMEDIATE)
    NotificationPreference.objects.create(user=world.charlie, community=world.isac,
                                          mode=Mode.IMMEDIATE)  # as if from before he left
    topic = posted(world.alice, world.isac, "ISAC 向け注意喚起", body=BODY, tlp="green")
    assert smtp.inbox.messages == []  # nothing is sent in the request itself
    work()
    assert smtp.inbox.recipients() == ["bob@beta.example"]
    (message,) = smtp.inbox.messages
    assert message.subject == "[renkei] ISAC 向け注意喚起 (TLP:GREEN)"
    assert BODY in message.body  # GREEN may carry the text
    assert f"https://renkei.example/topics/{topic.public_id}/" in message.body
    assert message.attachments == []
    # The web list: bob (immediate) and alice2 (digest); not the author, not an outsider.
    assert set(Notification.objects.values_list("user__email", "delivery")) == {
        ("bob@beta.example", "immediate"), ("alice2@alpha.example", "digest")}


def test_the_defaults_mail_important_broadcasts_at_once_to_everyone(world, smtp, posted, work):
    posted(world.commander, world.general, "緊急のお知らせ", tag="important", body=BODY,
           tlp="clear")
    posted(world.commander, world.general, "定例のお知らせ", body=BODY, tlp="clear")
    work()
    others = sorted(u.email for u in everyone(world) if u != world.commander)
    assert smtp.inbox.recipients() == others
    assert {m.subject for m in smtp.inbox.messages} == {
        "[renkei] 【重要】緊急のお知らせ (TLP:CLEAR)"}
    # The untagged one waits for the digest.
    assert Notification.objects.filter(delivery="digest").count() == len(others)


@pytest.mark.parametrize("tlp", ["amber", "amber+strict", "red"])
def test_amber_and_red_mail_carries_the_title_and_link_only(world, smtp, posted, work, tlp):
    topic = posted(world.commander, world.general, "標的型攻撃の観測", tag="important",
                   body=BODY, tlp=tlp, audience_mode="chosen",
                   audience_organisations=[world.beta], attachments=[])
    work()
    assert smtp.inbox.recipients() == ["admin@beta.example", "bob@beta.example"]
    for message in smtp.inbox.messages:
        assert "標的型攻撃の観測" in message.subject and tlp.upper() in message.subject
        assert BODY not in message.body and "203.0.113.7" not in message.body
        assert topic.public_id in message.body
        assert message.attachments == []


def test_comments_notify_the_readers_and_carry_green_text(world, smtp, posted, commented, work):
    choose(world.bob, world.isac, Mode.IMMEDIATE)
    topic = posted(world.alice, world.isac, "共有事項", body="本文", tlp="green")
    work()
    commented(world.alice2, topic, "追加情報: 別の通信先もあります")
    work()
    assert [m.subject for m in smtp.inbox.to("bob@beta.example")] == [
        "[renkei] 共有事項 (TLP:GREEN)", "[renkei] Re: 共有事項 (TLP:GREEN)"]
    assert "追加情報" in smtp.inbox.to("bob@beta.example")[1].body
    # The commenter is not told of their own comment; the topic's author is.
    assert not Notification.objects.filter(user=world.alice2, comment__isnull=False).exists()
    assert Notification.objects.filter(user=world.alice, comment__isnull=False).exists()


def test_mail_comes_in_the_readers_language(world, smtp, posted, work):
    world.bob.language = "en"
    world.bob.save(update_fields=["language"])
    choose(world.bob, world.isac, Mode.IMMEDIATE)
    choose(world.alice2, world.isac, Mode.IMMEDIATE)
    posted(world.alice, world.isac, "件名", body="text", tlp="amber")
    work()
    assert "New topic in" in smtp.inbox.to("bob@beta.example")[0].body
    japanese = smtp.inbox.to("alice2@alpha.example")[0].body
    assert "New topic in" not in japanese and "新しいトピック" in japanese


def test_a_second_run_and_a_retried_fan_out_send_nothing_again(world, smtp, posted, work):
    choose(world.bob, world.isac, Mode.IMMEDIATE)
    posted(world.alice, world.isac, "一度だけ", tlp="green")
    work()
    work()
    assert len(smtp.inbox.messages) == 1
    # As if the fan-out had died after its work and were run again.
    Job.objects.filter(kind="notifications.fanout").update(state="queued")
    work()
    assert len(smtp.inbox.messages) == 1
    assert Notification.objects.filter(user=world.bob).count() == 1


def test_mail_is_not_lost_while_the_smtp_server_is_down(world, smtp, posted, work):
    choose(world.bob, world.isac, Mode.IMMEDIATE)
    smtp.stop()
    posted(world.alice, world.isac, "サーバ停止中の投稿", tlp="green")
    work()
    job = Job.objects.get(kind="notifications.mail")
    assert (job.state, job.attempts) == ("queued", 1) and job.last_error
    smtp.start()
    work()  # the retry is not due yet
    assert smtp.inbox.messages == []
    run_pending(now=timezone.now() + timedelta(hours=2))
    assert smtp.inbox.recipients() == ["bob@beta.example"]
    job.refresh_from_db()
    assert job.state == "done"


def test_a_mail_job_claimed_by_a_dead_worker_is_sent_after_the_lease(world, smtp, posted,
                                                                    work):
    choose(world.bob, world.isac, Mode.IMMEDIATE)
    posted(world.alice, world.isac, "停止したワーカー", tlp="green")
    run_fan_out_only()
    Job.objects.filter(kind="notifications.mail").update(
        state="running", claimed_by="crashed:1", claimed_at=timezone.now() - timedelta(minutes=11),
        attempts=1)
    work()
    assert smtp.inbox.recipients() == ["bob@beta.example"]


def run_fan_out_only() -> None:
    from renkei.jobs.queue import claim_next, run_job

    job = claim_next("test")
    assert job.kind == "notifications.fanout"
    run_job(job, "test")


def test_readers_who_lost_access_before_the_job_ran_get_nothing(world, smtp, posted, work):
    choose(world.bob, world.isac, Mode.IMMEDIATE)
    posted(world.alice, world.isac, "退会後", tlp="green")
    membership = world.isac.memberships.get(user=world.bob)
    remove_member(actor=world.alice, membership=membership)
    work()
    assert smtp.inbox.messages == []
    assert not Notification.objects.filter(user=world.bob).exists()


def digest_time(hour: int) -> datetime:
    tomorrow = timezone.localtime(timezone.now(), TOKYO).date() + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, hour, 30, tzinfo=TOKYO)


def test_the_daily_digest_lists_what_came_since_the_last_one(world, smtp, posted, settings):
    settings.DIGEST_HOUR = 8
    choose(world.bob, world.isac, Mode.DIGEST)
    NotificationPreference.objects.create(user=world.alice2, community=world.isac,
                                          mode=Mode.NONE)
    posted(world.alice, world.isac, "緑の話題", body=BODY, tlp="green")
    posted(world.alice, world.isac, "赤の話題", body="赤の本文", tlp="red",
           audience_mode="chosen", audience_users=[world.bob])
    # The worker runs at set times, not the wall clock's, which may be past the digest hour.
    run_pending(now=digest_time(7))
    assert smtp.inbox.messages == []
    run_pending(now=digest_time(7))  # before the digest hour
    assert smtp.inbox.messages == []
    run_pending(now=digest_time(8))
    (digest,) = smtp.inbox.to("bob@beta.example")
    assert smtp.inbox.recipients() == ["bob@beta.example"]
    assert "緑の話題" in digest.body and BODY in digest.body
    assert "赤の話題" in digest.body and "赤の本文" not in digest.body
    assert "2" in digest.subject
    # The same day again, and later that day: nothing more.
    run_pending(now=digest_time(8))
    run_pending(now=digest_time(9))
    assert len(smtp.inbox.messages) == 1
    # The next day's digest has only what came since.
    posted(world.alice, world.isac, "翌日の話題", tlp="green")
    run_pending(now=digest_time(9))
    run_pending(now=digest_time(8) + timedelta(days=1))
    assert len(smtp.inbox.messages) == 2
    latest = smtp.inbox.messages[-1]
    assert "翌日の話題" in latest.body and "緑の話題" not in latest.body


def test_backdated_posts_notify_nobody(world, smtp, posted, work):
    """The demo world and imported history are dated in the past: no mail storm at start."""
    posted(world.commander, world.general, "昔の話題", tag="important",
           now=timezone.now() - timedelta(days=3))
    work()
    assert smtp.inbox.messages == [] and not Notification.objects.exists()
