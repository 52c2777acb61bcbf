"""A real SMTP server (aiosmtpd) on 127.0.0.1 and a free port; the worker run until idle."""

import email
import socket
from email import policy
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller

from renkei.jobs.queue import run_worker
from renkei.notifications import jobs as notification_jobs


class Inbox:
    """aiosmtpd handler: keeps every message that arrives, parsed."""

    def __init__(self):
        self.messages: list[SimpleNamespace] = []

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(SimpleNamespace(
            to=list(envelope.rcpt_tos), subject=str(parsed["subject"]).strip(),
            body=parsed.get_body(("plain",)).get_content(), attachments=list(
                parsed.iter_attachments())))
        return "250 OK"

    def to(self, address: str) -> list[SimpleNamespace]:
        return [m for m in self.messages if address in m.to]

    def recipients(self) -> list[str]:
        return sorted(address for m in self.messages for address in m.to)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpServer:
    def __init__(self):
        self.port = _free_port()
        self.inbox = Inbox()
        self.controller = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(settings):
    server = SmtpServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.BASE_URL = "https://renkei.example"
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _fresh_digest_schedule():
    # The worker remembers which days it scheduled; each test starts with a new database.
    notification_jobs._scheduled_days.clear()
    yield
    notification_jobs._scheduled_days.clear()


@pytest.fixture
def work():
    """Run the worker until nothing is due (what `renkei worker` does on each pass)."""
    return lambda: run_worker(once=True)


@pytest.fixture
def posted(post, django_capture_on_commit_callbacks):
    """post(...) in a transaction that commits, so its jobs are queued as in production."""

    def _posted(*args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return post(*args, **kwargs)

    return _posted


@pytest.fixture
def commented(django_capture_on_commit_callbacks):
    from renkei.communities.services import add_comment

    def _commented(actor, topic, body):
        with django_capture_on_commit_callbacks(execute=True):
            return add_comment(actor=actor, topic=topic, body=body)

    return _commented
