"""Browser tests: Playwright driving Debian's chromium against pytest-django's live server.

Playwright's own browser downloads are never used; without /usr/bin/chromium these tests are
skipped with a reason, unless RENKEI_E2E_REQUIRED is set (as CI does), where that is an error.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("RENKEI_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is not installed (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _missing()
    if reason is None:
        return
    e2e_items = [item for item in items if _is_e2e(item)]
    if os.environ.get("RENKEI_E2E_REQUIRED"):
        if e2e_items:
            raise pytest.UsageError(f"browser tests are required here but {reason}")
        return
    for item in e2e_items:
        item.add_marker(pytest.mark.skip(reason=f"browser tests skipped: {reason}"))


def _is_e2e(item) -> bool:
    return Path(__file__).parent in Path(str(item.fspath)).parents


@pytest.fixture
def browser():
    """One chromium per test, closed with it, so no event loop outlives the test.

    A browser kept open across tests made Django hand the next test's set-up another database
    connection (asgiref locals follow the running loop), and serialized rollback then
    restored nothing; starting chromium costs about a second.
    """
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django would otherwise refuse
    # the ORM calls the tests make between browser steps. Only while the browser is open.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            instance = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            yield instance
            instance.close()
            # While the loop ran, the test's own queries went through connections of their
            # own; close them here, in that context, or PostgreSQL keeps the test database busy.
            connections.close_all()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_page(browser):
    """Open a fresh browser context (its own cookies) per person; all closed after the test."""
    contexts = []

    def _open(viewport=None, locale: str = "ja-JP"):
        context = browser.new_context(
            viewport=viewport or {"width": 1280, "height": 900}, locale=locale,
            accept_downloads=True,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()
