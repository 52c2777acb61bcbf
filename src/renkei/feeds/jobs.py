"""Background work of the feeds app: large imports, and fetching feed sources on schedule.

The ticker runs on every worker loop. It claims due sources with a conditional UPDATE of
`next_fetch_at` (so two workers never queue the same slot) and queues one fetch job per slot
with a dedupe key; a retried or doubled tick queues nothing twice.
"""

from datetime import datetime, timedelta

from django.db.models import Q

from renkei.feeds import services
from renkei.feeds.models import FeedSource, ImportRun
from renkei.jobs.queue import handler, insert_job, ticker


@handler(services.IMPORT_JOB)
def run_import(payload: dict) -> None:
    run = ImportRun.objects.select_related("created_by", "community").filter(
        pk=payload["run"]).first()
    if run is not None:
        services.execute_run(run)


@handler(services.FETCH_JOB)
def fetch_source(payload: dict) -> None:
    source = FeedSource.objects.select_related("created_by", "community").filter(
        pk=payload["source"]).first()
    if source is not None:
        services.fetch_source(source)


@ticker
def schedule_fetches(now: datetime) -> None:
    due = FeedSource.objects.filter(enabled=True).filter(
        Q(next_fetch_at__lte=now) | Q(next_fetch_at__isnull=True))
    for source in due.only("id", "interval_minutes", "next_fetch_at"):
        slot = source.next_fetch_at
        won = FeedSource.objects.filter(pk=source.pk, next_fetch_at=slot).update(
            next_fetch_at=now + timedelta(minutes=source.interval_minutes))
        if won:
            key = (slot or now).isoformat()
            insert_job(services.FETCH_JOB, {"source": source.pk, "slot": key},
                       dedupe_key=f"feeds.fetch:{source.pk}:{key}")
