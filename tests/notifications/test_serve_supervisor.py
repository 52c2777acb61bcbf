"""`renkei serve` runs gunicorn and a job worker side by side."""

import signal
import sys

import pytest

from renkei import cli


@pytest.fixture
def keep_signal_handlers():
    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    yield
    for s, handler in saved.items():
        signal.signal(s, handler)


def test_the_worker_stops_when_the_server_ends(tmp_path, keep_signal_handlers):
    marker = tmp_path / "worker-ran"
    server = [sys.executable, "-c", "import time; time.sleep(1.5); raise SystemExit(3)"]
    worker = [sys.executable, "-c",
              f"import pathlib, time; pathlib.Path({str(marker)!r}).write_text('1'); "
              "time.sleep(60)"]
    assert cli._supervise(server, worker) == 3  # the server's exit code
    assert marker.exists()


def test_serve_without_a_worker_when_told(monkeypatch):
    seen = {}
    monkeypatch.setenv("RENKEI_RUN_WORKER", "0")
    monkeypatch.setattr(cli.os, "execv", lambda path, argv: seen.setdefault("argv", argv))
    monkeypatch.setattr(cli, "_supervise", lambda *a: pytest.fail("a worker was started"))
    cli.main(["serve", "--port", "8123"])
    assert "gunicorn" in seen["argv"] and "127.0.0.1:8123" in seen["argv"]


def test_serve_starts_a_worker_by_default(monkeypatch):
    seen = {}
    monkeypatch.delenv("RENKEI_RUN_WORKER", raising=False)
    monkeypatch.setattr(cli, "_supervise", lambda server, worker: seen.update(
        server=server, worker=worker) or 0)
    assert cli.main(["serve"]) == 0
    assert seen["worker"][-3:] == ["-m", "renkei.cli", "worker"]
