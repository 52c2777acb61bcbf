"""The database job queue: jobs exist only after commit, one worker per job, retries with
backoff, stale jobs taken over, dedupe keys."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from renkei.cli import main
from renkei.jobs.models import Job
from renkei.jobs.queue import claim_next, enqueue, handler, insert_job, run_pending, run_worker

calls: list[dict] = []
failures_left = {"n": 0}


@handler("test.record")
def _record(payload: dict) -> None:
    calls.append(payload)


@handler("test.flaky")
def _flaky(payload: dict) -> None:
    if failures_left["n"] > 0:
        failures_left["n"] -= 1
        raise ConnectionError("the mail server is away")
    calls.append(payload)


@pytest.fixture(autouse=True)
def _clean(monkeypatch):
    # No clock-driven work (daily digests) in these tests: only the jobs each test queues.
    monkeypatch.setattr("renkei.jobs.queue._tickers", [])
    calls.clear()
    failures_left["n"] = 0


pytestmark = pytest.mark.django_db


def test_a_job_exists_only_once_its_transaction_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                enqueue("test.record", {"n": 1})
                raise RuntimeError("the post failed")
        except RuntimeError:
            pass
    assert not Job.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            enqueue("test.record", {"n": 2})
            assert not Job.objects.exists()  # not before the commit
    assert list(Job.objects.values_list("kind", "payload", "state")) == [
        ("test.record", {"n": 2}, "queued")]


def test_a_payload_that_is_not_json_is_refused_at_once():
    with pytest.raises(TypeError):
        enqueue("test.record", {"when": timezone.now()})


def test_a_dedupe_key_queues_the_work_once_even_after_it_ran():
    insert_job("test.record", {"n": 1}, dedupe_key="k")
    insert_job("test.record", {"n": 2}, dedupe_key="k")
    assert run_worker(once=True) == 1
    insert_job("test.record", {"n": 3}, dedupe_key="k")
    assert run_worker(once=True) == 0
    assert calls == [{"n": 1}]


def test_two_workers_never_claim_the_same_job():
    insert_job("test.record", {"n": 1})
    insert_job("test.record", {"n": 2})
    first, second = claim_next("worker-a"), claim_next("worker-b")
    assert {first.payload["n"], second.payload["n"]} == {1, 2}
    assert claim_next("worker-c") is None
    # The conditional UPDATE: a worker that read the row before the other claimed it loses.
    assert Job.objects.filter(id=first.id, state="queued").update(claimed_by="late") == 0
    assert Job.objects.get(id=first.id).claimed_by == "worker-a"


def test_a_failing_job_is_retried_later_with_backoff_and_then_done():
    failures_left["n"] = 2
    insert_job("test.flaky", {"n": 1})
    run_worker(once=True)
    job = Job.objects.get()
    assert (job.state, job.attempts, calls) == ("queued", 1, [])
    assert "the mail server is away" in job.last_error
    assert job.run_after > timezone.now()
    first_delay = job.run_after
    assert run_worker(once=True) == 0  # not due yet
    run_pending(now=job.run_after + timedelta(seconds=1))
    job.refresh_from_db()
    assert (job.state, job.attempts) == ("queued", 2)
    assert job.run_after - first_delay > timedelta(seconds=30)  # the delay doubled
    run_pending(now=job.run_after + timedelta(seconds=1))
    job.refresh_from_db()
    assert (job.state, job.attempts, calls) == ("done", 3, [{"n": 1}])
    assert job.finished_at is not None


def test_a_job_that_keeps_failing_ends_as_failed():
    failures_left["n"] = 100
    insert_job("test.flaky", {"n": 1})
    Job.objects.update(max_attempts=2)
    later = timezone.now()
    for _ in range(3):
        later += timedelta(hours=2)
        run_pending(now=later)
    job = Job.objects.get()
    assert (job.state, job.attempts) == ("failed", 2)


def test_a_job_of_an_unknown_kind_fails_without_stopping_the_others():
    insert_job("test.nobody-handles-this", {})
    insert_job("test.record", {"n": 1})
    run_worker(once=True)
    assert calls == [{"n": 1}]
    assert "no handler" in Job.objects.get(kind="test.nobody-handles-this").last_error


def test_a_job_left_running_by_a_dead_worker_is_taken_over_after_the_lease():
    insert_job("test.record", {"n": 1})
    job = claim_next("dead-worker")
    assert run_worker(once=True) == 0  # still within its lease: nobody else touches it
    Job.objects.filter(id=job.id).update(claimed_at=timezone.now() - timedelta(minutes=11))
    assert run_worker(once=True) == 1
    job.refresh_from_db()
    assert (job.state, job.attempts, calls) == ("done", 2, [{"n": 1}])
    assert job.claimed_by != "dead-worker"


def test_the_worker_command_runs_what_is_due(capsys):
    insert_job("test.record", {"n": 1})
    assert main(["worker", "--once"]) == 0
    assert "ran 1 job(s)" in capsys.readouterr().out
    assert calls == [{"n": 1}]


def test_finished_jobs_are_pruned_after_the_keep_days_failed_ones_kept(monkeypatch):
    monkeypatch.setattr("renkei.jobs.queue._last_prune", [])
    insert_job("test.record", {"n": 1})
    insert_job("test.nobody-handles-this", {})
    Job.objects.filter(kind="test.nobody-handles-this").update(max_attempts=1)
    run_worker(once=True)
    monkeypatch.setattr("renkei.jobs.queue._last_prune", [])
    run_pending(now=timezone.now() + timedelta(days=29))
    assert Job.objects.count() == 2  # within the keep days
    run_pending(now=timezone.now() + timedelta(days=31))
    assert list(Job.objects.values_list("state", flat=True)) == ["failed"]
