"""The schedule: AM/PM reports at the configured times, the daily bulletin once a day.

The worker's ticker queues one job per slot with a dedupe key (and the tables hold one scheduled
report per slot and one scheduled bulletin per day), so a slot is reported once however many
workers run or how often they loop. A worker that was down catches up the latest slot only.
"""

import logging
import zoneinfo
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from renkei.errors import ServiceError
from renkei.jobs.queue import handler, insert_job, ticker

logger = logging.getLogger(__name__)
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
ESCALATION, BULLETIN = "situation.escalation_report", "situation.bulletin"

_queued: set[str] = set()


def _parse_time(value: str, name: str) -> time:
    try:
        hour, minute = value.strip().split(":")
        return time(int(hour), int(minute))
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be times like 09:00, not {value!r}") from exc


def escalation_times() -> list[time]:
    return sorted({_parse_time(v, "RENKEI_ESCALATION_TIMES")
                   for v in settings.SITUATION_ESCALATION_TIMES if v.strip()})


def bulletin_time() -> time | None:
    value = settings.SITUATION_BULLETIN_TIME.strip()
    return _parse_time(value, "RENKEI_BULLETIN_TIME") if value else None


def latest_slot(now: datetime) -> tuple[datetime, datetime] | None:
    """(start, end) of the AM/PM period that ended last, at or before `now`: from the slot
    before it to it (09:00 covers yesterday 15:00–09:00; 15:00 covers 09:00–15:00)."""
    times = escalation_times()
    if not times:
        return None
    today = timezone.localtime(now, TOKYO).date()
    slots = sorted(datetime.combine(today - timedelta(days=back), moment, TOKYO)
                   for back in (0, 1, 2) for moment in times)
    past = [slot for slot in slots if slot <= now]
    return past[-2], past[-1]


@ticker
def schedule_situation(now: datetime) -> None:
    if not settings.SITUATION_SCHEDULE:
        return
    slot = latest_slot(now)
    if slot is not None:
        start, end = slot
        key = f"situation:escalation:{end.isoformat()}"
        if key not in _queued:
            insert_job(ESCALATION, {"start": start.isoformat(), "end": end.isoformat()},
                       dedupe_key=key, run_after=now)
            _queued.add(key)
    at = bulletin_time()
    local = timezone.localtime(now, TOKYO)
    if at is not None and local.time() >= at:
        key = f"situation:bulletin:{local.date().isoformat()}"
        if key not in _queued:
            insert_job(BULLETIN, {"day": local.date().isoformat()}, dedupe_key=key,
                       run_after=now)
            _queued.add(key)


@handler(ESCALATION)
def make_escalation_report(payload: dict) -> None:
    from renkei.situation.services import generate_escalation_report

    generate_escalation_report(actor=None, start=datetime.fromisoformat(payload["start"]),
                               end=datetime.fromisoformat(payload["end"]))


@handler(BULLETIN)
def make_bulletin(payload: dict) -> None:
    from renkei.situation.services import publish_bulletin

    try:
        publish_bulletin(actor=None)
    except ServiceError as exc:
        # No broadcast community or nobody in the centre: nothing to retry until that changes.
        logger.warning("daily bulletin for %s not published: %s", payload["day"], exc.messages)
