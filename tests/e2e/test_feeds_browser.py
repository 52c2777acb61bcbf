"""A large import in a real browser (Japanese pages, phone-sized screen): Alice, the ISAC's
admin, uploads a blocklist from the Feeds menu; it is too large to run at once, so the run page
shows it waiting and its script polls the progress until the worker has imported it."""

import pytest
from django.urls import reverse

from renkei.feeds.models import ImportRun
from renkei.jobs.queue import run_pending
from tests.e2e.test_browser import PHONE, sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_a_large_import_shows_its_progress(live_server, world, new_page, settings, tmp_path):
    settings.FEEDS_INLINE_MAX_BYTES = 100  # anything larger runs as a job
    blocklist = tmp_path / "blocklist.txt"
    blocklist.write_text("\n".join(f"192.0.2.{i}" for i in range(1, 201)) + "\nnot-a-value\n")
    base = live_server.url

    page = new_page(viewport=PHONE)
    sign_in(page, base, world.alice, world.password)
    page.get_by_role("link", name="フィード").click()
    page.get_by_role("link", name="インディケータの取り込み").click()
    page.locator("input[name=files]").set_input_files(str(blocklist))
    page.locator("select[name=format]").select_option("list")
    page.locator("select[name=community]").select_option(str(world.isac.pk))
    page.locator("select[name=tlp]").select_option("amber")
    page.get_by_role("button", name="取り込み").click()
    run = ImportRun.objects.get()
    page.wait_for_url(base + reverse("feeds:run", args=[run.uuid]))
    assert "待機中" in page.locator("main").inner_text()

    run_pending()  # the worker imports it; the page notices by itself
    page.locator("[data-field=state_label]").filter(has_text="完了").wait_for()
    page.locator(".feeds-failures").wait_for()  # the page reloads once the run has finished
    main = page.locator("main").inner_text()
    assert "200" in main and "not-a-value" in main
    run.refresh_from_db()
    assert (run.new, run.failed, run.state) == (200, 1, ImportRun.State.DONE)
