"""Two workers at the same time, on real connections: every job runs exactly once."""

import threading
import time

import pytest
from django.db import connection

from renkei.jobs.models import Job
from renkei.jobs.queue import handler, insert_job, run_pending

calls: list[dict] = []
lock = threading.Lock()


@pytest.fixture(autouse=True)
def _clean(monkeypatch):
    monkeypatch.setattr("renkei.jobs.queue._tickers", [])
    calls.clear()


@handler("test.slow-record")
def _slow_record(payload: dict) -> None:
    time.sleep(0.01)  # long enough for the other worker to try the same rows meanwhile
    with lock:
        calls.append(payload)


def test_two_workers_running_at_once_run_every_job_exactly_once(database_like_production):
    for n in range(30):
        insert_job("test.slow-record", {"n": n})

    def worker(name: str) -> None:
        try:
            run_pending(me=name)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(p["n"] for p in calls) == list(range(30))
    assert set(Job.objects.values_list("state", flat=True)) == {"done"}
