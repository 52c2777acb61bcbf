"""Enqueue jobs on commit; run them with a worker that claims rows by a conditional UPDATE.

Delivery is at least once: a job whose worker dies is run again after the lease. Handlers are
therefore written to be safe to repeat, and work that must not repeat (a mail to one reader about
one topic) is a job of its own with a dedupe key, so it is queued once whatever happens upstream.
"""

import json
import logging
import os
import signal
import socket
import time
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import F
from django.utils import timezone

from renkei.jobs.models import Job

logger = logging.getLogger(__name__)

Handler = Callable[[dict], None]
_handlers: dict[str, Handler] = {}
# Called on every loop of the worker with the current time (e.g. to schedule daily digests).
_tickers: list[Callable[[datetime], None]] = []


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that runs jobs of this kind."""

    def register(func: Handler) -> Handler:
        _handlers[kind] = func
        return func

    return register


def ticker(func: Callable[[datetime], None]) -> Callable[[datetime], None]:
    _tickers.append(func)
    return func


def _as_json(payload: dict) -> dict:
    # Round-trip now, so a payload that would not survive the database fails at the caller.
    return json.loads(json.dumps(payload))


def insert_jobs(kind: str, items: list[tuple[dict, str | None]],
                run_after: datetime | None = None) -> None:
    """Write jobs (payload, dedupe key) in the caller's transaction, in one statement; those
    whose key is taken are dropped. For jobs created by other jobs."""
    when = run_after or timezone.now()
    Job.objects.bulk_create(
        [Job(kind=kind, payload=_as_json(payload), dedupe_key=key, run_after=when)
         for payload, key in items],
        ignore_conflicts=True, batch_size=500,
    )


def insert_job(kind: str, payload: dict, dedupe_key: str | None = None,
               run_after: datetime | None = None) -> None:
    insert_jobs(kind, [(payload, dedupe_key)], run_after)


def enqueue(kind: str, payload: dict, dedupe_key: str | None = None,
            run_after: datetime | None = None) -> None:
    """Queue a job once the current transaction commits; if it rolls back, there is no job."""
    payload = _as_json(payload)
    transaction.on_commit(lambda: insert_job(kind, payload, dedupe_key, run_after))


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _lease() -> timedelta:
    return timedelta(seconds=settings.JOB_LEASE_SECONDS)


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(settings.JOB_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0),
                                 3600))


def requeue_stale(now: datetime) -> int:
    """Jobs left running by a worker that died go back to the queue (or fail when worn out)."""
    stale = Job.objects.filter(state=Job.State.RUNNING, claimed_at__lt=now - _lease())
    failed = stale.filter(attempts__gte=F("max_attempts")).update(
        state=Job.State.FAILED, finished_at=now, last_error="the worker running it was lost")
    return failed + stale.update(state=Job.State.QUEUED, claimed_by="", run_after=now)


def claim_next(me: str, now: datetime | None = None) -> Job | None:
    """Take the oldest due job. The UPDATE only succeeds while it is still queued, so of two
    workers racing for the same row exactly one wins; the other tries the next row."""
    now = now or timezone.now()
    for _ in range(5):
        job_id = (Job.objects.filter(state=Job.State.QUEUED, run_after__lte=now)
                  .order_by("run_after", "id").values_list("id", flat=True).first())
        if job_id is None:
            return None
        won = Job.objects.filter(id=job_id, state=Job.State.QUEUED).update(
            state=Job.State.RUNNING, claimed_by=me, claimed_at=now,
            attempts=F("attempts") + 1)
        if won:
            return Job.objects.get(id=job_id)
    return None


def run_job(job: Job, me: str) -> bool:
    """Run one claimed job; record success, or schedule a retry with backoff."""
    func = _handlers.get(job.kind)
    try:
        if func is None:
            raise LookupError(f"no handler for job kind {job.kind!r}")
        func(job.payload)
    except Exception:
        error = traceback.format_exc(limit=5)
        logger.warning("job %s failed (attempt %d): %s", job, job.attempts, error)
        now = timezone.now()
        mine = Job.objects.filter(id=job.id, claimed_by=me, state=Job.State.RUNNING)
        if job.attempts >= job.max_attempts:
            mine.update(state=Job.State.FAILED, last_error=error, finished_at=now)
        else:
            mine.update(state=Job.State.QUEUED, last_error=error, claimed_by="",
                        run_after=now + _backoff(job.attempts))
        return False
    Job.objects.filter(id=job.id, claimed_by=me).update(
        state=Job.State.DONE, finished_at=timezone.now())
    return True


_last_prune: list[datetime] = []


def prune_done(now: datetime) -> int:
    """Finished jobs are kept JOB_KEEP_DAYS (their dedupe keys still guard against repeats
    meanwhile), then deleted, at most once an hour. Failed jobs stay for the operator."""
    if _last_prune and now - _last_prune[-1] < timedelta(hours=1):
        return 0
    _last_prune[:] = [now]
    cutoff = now - timedelta(days=settings.JOB_KEEP_DAYS)
    deleted, _ = Job.objects.filter(state=Job.State.DONE, finished_at__lt=cutoff).delete()
    return deleted


def run_pending(me: str | None = None, now: datetime | None = None) -> int:
    """One pass: tick, requeue stale jobs, then run every due job. Returns how many ran."""
    me = me or worker_name()
    for tick in _tickers:
        tick(now or timezone.now())
    prune_done(now or timezone.now())
    requeue_stale(now or timezone.now())
    ran = 0
    # Without a fixed `now`, jobs queued during the pass (a fan-out's mails) run in it too.
    while (job := claim_next(me, now)) is not None:
        run_job(job, me)
        ran += 1
    return ran


def run_worker(once: bool = False, poll_seconds: float | None = None) -> int:
    """The worker loop. `once`: run what is due now and return (tests, cron)."""
    me = worker_name()
    if once:
        return run_pending(me)
    poll = settings.JOB_POLL_SECONDS if poll_seconds is None else poll_seconds
    stopping = False

    def stop(signum, frame) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    ran = 0
    while not stopping:
        close_old_connections()
        try:
            done = run_pending(me)
        except Exception:
            # A database that is briefly away must not end the worker; try again next poll.
            logger.exception("worker pass failed")
            done = 0
        ran += done
        if not done:
            time.sleep(poll)
    return ran
