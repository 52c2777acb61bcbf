"""Feeds in: imports through the services (formats, de-duplication, bad input, jobs, scheduled
fetches from a local HTTP server). Real third-party samples from tests/fixtures/feeds/."""

import json
import threading
from datetime import UTC, datetime, timedelta
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.utils import timezone

from renkei.errors import ServiceError
from renkei.feeds import services
from renkei.feeds.models import FeedSource, ImportRun
from renkei.feeds.services import Placement
from renkei.intel.models import StixObject, StixTopicLink
from renkei.jobs.queue import run_pending
from renkei.sharing.models import TLP, AudienceMode

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
FEED = FIXTURES / "misp-feed"
TURLA = FIXTURES / "misp-events" / "misp-turla-outlook-event.json"


def feed_files(manifest: str = "manifest-subset.json") -> list[tuple[str, bytes]]:
    files = [("manifest.json", (FEED / manifest).read_bytes())]
    files += [(p.name, p.read_bytes()) for p in sorted(FEED.glob("*-*-*-*-*.json"))]
    return files


def run_import(user, community, files, fmt="auto", tlp=TLP.GREEN, **placement) -> ImportRun:
    return services.start_import(user=user, placement=Placement(community=community, tlp=tlp,
                                                                **placement),
                                 files=files, fmt=fmt)


def stored(community, **filters):
    return StixObject.objects.filter(community=community, **filters)


# --- MISP ------------------------------------------------------------------------------------

def test_misp_feed_import_and_identical_reimport(world):
    run = run_import(world.analyst, world.general, feed_files(), tlp=TLP.CLEAR)
    assert run.state == ImportRun.State.DONE, run.message
    assert run.format == "misp-feed"
    # 4 events, 256 distinct values (2 values occur in two events), one report per event.
    assert (run.received, run.new, run.duplicate, run.failed) == (258, 260, 2, 0)
    assert stored(world.general, type="indicator").count() == 256
    assert stored(world.general, type="report").count() == 4
    assert set(stored(world.general).values_list("tlp", flat=True)) == {TLP.CLEAR}
    domain = stored(world.general, name="mu-hiqwnkesad.com").get()
    assert domain.pattern == "[domain-name:value = 'mu-hiqwnkesad.com']"

    again = run_import(world.analyst, world.general, feed_files(), tlp=TLP.CLEAR)
    assert (again.new, again.duplicate, again.failed) == (0, 262, 0)
    assert stored(world.general).count() == 260  # no new versions


def test_misp_manifest_listing_missing_events(world):
    run = run_import(world.analyst, world.general, feed_files("manifest.json"), tlp=TLP.CLEAR)
    assert run.state == ImportRun.State.DONE
    assert run.new == 260
    assert run.failed == 361
    missing = run.failures[0]
    assert missing["ref"] in missing["message"]  # the message names the missing event
    assert stored(world.general, type="report").count() == 4


def test_misp_event_without_tlp_tag_takes_distribution_into_account(world):
    """ESET's event has no TLP tag and distribution 0 (your organisation only): at least
    AMBER+STRICT, so it cannot go to a broadcast community everyone reads; into the ISAC it
    goes, attributes not marked for IDS as observed data."""
    files = [(TURLA.name, TURLA.read_bytes())]
    refused = run_import(world.analyst, world.general, files)
    assert refused.new == 0 and refused.failed > 0
    run = run_import(world.alice, world.isac, files)
    assert run.format == "misp-event"
    assert run.state == ImportRun.State.DONE, run.message
    assert run.skipped == 7  # file names and registry keys without a hash: nothing to import
    types = set(stored(world.isac).values_list("type", flat=True))
    assert {"observed-data", "file", "url", "threat-actor", "attack-pattern", "report"} <= types
    assert "indicator" not in types  # to_ids is false everywhere
    assert set(stored(world.isac).values_list("tlp", flat=True)) == {TLP.AMBER_STRICT}


# --- lists and CSV ---------------------------------------------------------------------------

LIST = b"""# blocklist
203.0.113.7
2001:db8::bad
evil[.]example[.]com
hxxps://phish.example.net/login
d41d8cd98f00b204e9800998ecf8427e
not a value
203.0.113.7
"""


def test_plain_list_with_junk_and_repeats(world):
    run = run_import(world.analyst, world.general, [("list.txt", LIST)])
    assert run.format == "list"
    assert (run.received, run.new, run.duplicate, run.failed) == (7, 5, 1, 1)
    assert "line 7" in run.failures[0]["ref"] or "7" in run.failures[0]["ref"]
    names = set(stored(world.general).values_list("name", flat=True))
    assert names == {"203.0.113.7", "2001:db8::bad", "evil.example.com",
                     "https://phish.example.net/login", "d41d8cd98f00b204e9800998ecf8427e"}


def test_same_value_same_indicator_and_a_new_version_when_the_marking_changes(world):
    first = run_import(world.analyst, world.general, [("a.txt", b"198.51.100.1\n")])
    second = run_import(world.analyst, world.general, [("b.txt", b"198.51.100.1\n")])
    assert (first.new, second.new, second.duplicate) == (1, 0, 1)
    amber = run_import(world.analyst, world.general, [("c.txt", b"198.51.100.1\n")],
                       tlp=TLP.AMBER)
    red = run_import(world.analyst, world.general, [("d.txt", b"198.51.100.1\n")],
                     tlp=TLP.RED, audience_mode=AudienceMode.CHOSEN,
                     organisations=(world.alpha,))
    assert amber.new == 1 and red.new == 1
    # A confined value's id is keyed by the server's secret (not computable from the value):
    # the AMBER one is another object than the GREEN one; RED is its next version.
    versions = stored(world.general, name="198.51.100.1").order_by("date_added")
    assert versions.count() == 3
    assert len(set(versions.values_list("stix_id", flat=True))) == 2
    assert [v.tlp for v in versions] == [TLP.GREEN, TLP.AMBER, TLP.RED]
    assert versions[1].stix_id == versions[2].stix_id
    assert versions[2].is_latest and not versions[1].is_latest


def test_csv_long_and_wide_forms(world):
    long_form = (b"type,value,comment\nip,192.0.2.1,c2\ndomain,bad.example.org,\n"
                 b"md5,d41d8cd98f00b204e9800998ecf8427e,\nbanana,1.2.3.4,\nurl,not a url,\n")
    run = run_import(world.analyst, world.general, [("iocs.csv", long_form)])
    assert run.format == "csv"
    assert (run.received, run.new, run.failed) == (5, 3, 2)
    messages = " ".join(f["message"] for f in run.failures)
    assert "banana" in messages
    wide = b"ip;domain;note\n192.0.2.9;wide.example.com;x\n;other.example.com;\n"
    run = run_import(world.analyst, world.general, [("wide.csv", wide)], fmt="csv")
    assert (run.received, run.new, run.failed) == (3, 3, 0)


def test_csv_without_a_known_column_is_refused_whole(world):
    run = run_import(world.analyst, world.general, [("x.csv", b"foo,bar\n1,2\n")], fmt="csv")
    assert run.state == ImportRun.State.FAILED
    assert "header" in run.message or "ヘッダ" in run.message
    assert not stored(world.general).exists()


# --- STIX: bad input -------------------------------------------------------------------------

def _indicator(n: int, **changes) -> dict:
    obj = {"type": "indicator", "spec_version": "2.1",
           "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
           "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
           "pattern": f"[ipv4-addr:value = '192.0.2.{n}']", "pattern_type": "stix",
           "valid_from": "2026-01-01T00:00:00Z"}
    obj.update(changes)
    return {k: v for k, v in obj.items() if v is not None}


def test_mixed_bundle_good_objects_stored_bad_ones_listed(world):
    future = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    bundle = {"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000000",
              "objects": [
                  _indicator(1),
                  _indicator(2, spec_version="2.0"),
                  _indicator(3, pattern="[ipv4-addr:value = "),
                  _indicator(4),
                  _indicator(4, pattern="[ipv4-addr:value = '198.51.100.4']"),
                  _indicator(5, created=future, modified=future),
                  _indicator(6, colour="red"),
                  _indicator(7, x_renkei_note="custom properties with x_ are fine"),
              ]}
    run = run_import(world.analyst, world.general,
                     [("b.json", json.dumps(bundle).encode())])
    assert run.format == "stix"
    assert run.state == ImportRun.State.DONE
    assert (run.received, run.new, run.failed) == (8, 3, 5)
    refs = {f["ref"] for f in run.failures}
    assert {_indicator(n)["id"] for n in (2, 3, 4, 5, 6)} == refs
    assert set(stored(world.general).values_list("stix_id", flat=True)) == {
        _indicator(n)["id"] for n in (1, 4, 7)}


@pytest.mark.parametrize("data", [b"{not json", b"\xff\xfe\x00", b'{"type": "campaign"}',
                                  b'{"type": "bundle", "objects": 5}'])
def test_not_a_bundle_fails_whole_and_stores_nothing(world, data):
    run = run_import(world.analyst, world.general, [("x.json", data)], fmt="stix")
    assert run.state == ImportRun.State.FAILED
    assert run.message
    assert not stored(world.general).exists()


def test_too_large_is_refused_before_anything(world, settings):
    settings.FEEDS_IMPORT_MAX_BYTES = 1000
    with pytest.raises(ServiceError):
        run_import(world.analyst, world.general, [("big.txt", b"1.2.3.4\n" * 200)])
    assert not ImportRun.objects.exists()


def test_who_may_import_where(world):
    with pytest.raises(ServiceError):  # a broadcast community: the centre posts there
        run_import(world.bob, world.general, [("a.txt", b"192.0.2.1\n")])
    with pytest.raises(ServiceError):  # RED needs named recipients
        run_import(world.alice, world.isac, [("a.txt", b"192.0.2.1\n")], tlp=TLP.RED)
    run = run_import(world.alice, world.isac, [("a.txt", b"192.0.2.1\n")], tlp=TLP.RED,
                     audience_mode=AudienceMode.CHOSEN, organisations=(world.alpha,))
    assert run.new == 1
    row = stored(world.isac).get()
    assert row.tlp == TLP.RED and row.audience_mode == AudienceMode.CHOSEN
    assert not ImportRun.objects.filter(created_by=world.bob).exists()


def test_oasis_examples_import(world):
    for path in sorted((FIXTURES / "stix21").glob("*.json")):
        run = run_import(world.analyst, world.pro, [(path.name, path.read_bytes())])
        assert run.state == ImportRun.State.DONE, (path.name, run.message)
        assert run.new + run.duplicate + run.failed == run.received, path.name
        # Objects naming another producer as created_by_ref are refused (renkei writes the
        # importing organisation in); relayed without it, every example goes in.
        assert all("created_by_ref" in f["message"] or "RED" in f["message"]
                   for f in run.failures), path.name
        bundle = json.loads(path.read_bytes())
        bundle["objects"] = [{k: v for k, v in o.items() if k != "created_by_ref"}
                             for o in bundle["objects"]]
        relayed = run_import(world.analyst, world.pro,
                             [(path.name, json.dumps(bundle).encode())])
        assert relayed.state == ImportRun.State.DONE, (path.name, relayed.message)
        assert relayed.new + relayed.duplicate + relayed.failed == relayed.received
        assert all("RED" in f["message"] for f in relayed.failures), (path.name,
                                                                     relayed.failures)
        assert run.new + relayed.new > 0, path.name


# --- jobs and progress -----------------------------------------------------------------------

def test_large_import_runs_as_a_job(world, django_capture_on_commit_callbacks):
    values = "\n".join(f"10.{i // 65536}.{i // 256 % 256}.{i % 256}" for i in range(2500))
    with django_capture_on_commit_callbacks(execute=True):
        run = services.start_import(
            user=world.analyst, placement=Placement(community=world.general, tlp=TLP.GREEN),
            files=[("big.txt", values.encode())], fmt="list", run_now=False)
    run.refresh_from_db()
    assert run.state == ImportRun.State.QUEUED and run.data
    run_pending()
    run.refresh_from_db()
    assert run.state == ImportRun.State.DONE
    assert (run.received, run.new, run.processed, run.total) == (2500, 2500, 2500, 2500)
    assert not run.data  # the upload is gone once imported


# --- scheduled feeds -------------------------------------------------------------------------

class _Quiet(SimpleHTTPRequestHandler):
    requested: list[str] = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        type(self).requested.append(self.path)
        super().do_GET()


@pytest.fixture
def feed_server(tmp_path):
    root = tmp_path / "feed"
    root.mkdir()
    handler = type("Handler", (_Quiet,), {"requested": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_port}/", handler
    server.shutdown()
    server.server_close()


def test_feed_source_fetched_on_schedule_only_changed_events(world, feed_server):
    root, base, handler = feed_server
    (root / "misp").mkdir()
    manifest = json.loads((FEED / "manifest-subset.json").read_text())
    (root / "misp" / "manifest.json").write_text(json.dumps(manifest))
    for name in manifest:
        if name != "181b5be4-a1f6-53a4-8436-4d4cd3e272a3":  # one event missing from the feed
            (root / "misp" / f"{name}.json").write_bytes((FEED / f"{name}.json").read_bytes())
    source = services.create_feed_source(
        world.analyst, name="TweetFeed", url=base + "misp/", fmt="misp-feed",
        community=world.general, tlp=TLP.CLEAR, interval_minutes=60, enabled=True)

    run_pending()
    source.refresh_from_db()
    run = source.runs.get()
    assert run.state == ImportRun.State.DONE, run.message
    assert run.failed == 1 and run.new > 200
    assert source.next_fetch_at > timezone.now() + timedelta(minutes=50)
    assert len(source.seen_events) == 3

    handler.requested.clear()
    run_pending()  # not due yet: nothing fetched
    assert handler.requested == []

    FeedSource.objects.filter(pk=source.pk).update(next_fetch_at=timezone.now())
    run_pending()
    # Only the manifest and the event that is still missing are asked for again.
    assert sorted(handler.requested) == ["/misp/181b5be4-a1f6-53a4-8436-4d4cd3e272a3.json",
                                         "/misp/manifest.json"]
    assert source.runs.count() == 2


def test_feed_source_unreachable_or_too_large(world, feed_server, settings):
    root, base, _handler = feed_server
    (root / "list.txt").write_bytes(b"192.0.2.1\n" * 500)
    source = services.create_feed_source(
        world.analyst, name="list", url=base + "list.txt", fmt="list",
        community=world.general, enabled=False)
    settings.FEEDS_IMPORT_MAX_BYTES = 1000
    run = services.fetch_source(source)
    assert run.state == ImportRun.State.FAILED and "MB" in run.message
    source.url = base + "nothing.txt"
    run = services.fetch_source(source)
    assert run.state == ImportRun.State.FAILED and "404" in run.message
    source.refresh_from_db()
    assert source.last_error
    assert not stored(world.general).exists()


def test_only_analysts_define_feed_sources(world):
    with pytest.raises(ServiceError):
        services.create_feed_source(world.alice, name="x", url="https://example.com/",
                                    fmt="list", community=world.isac)
    with pytest.raises(ServiceError) as refused:
        services.create_feed_source(world.analyst, name="", url="ftp://x", fmt="auto",
                                    community=world.general, tlp=TLP.RED, interval_minutes=1)
    assert len(refused.value.messages) == 5
    assert not FeedSource.objects.exists()


# --- from a topic to indicators --------------------------------------------------------------

TEXT = "C2 は 203.0.113[.]9、配布元 hxxp://dl.bad-example[.]com/a.exe、CVE-2024-3400 を悪用。"


def test_make_indicators_from_a_topic(world, post):
    topic = post(world.analyst, world.general, title="注意喚起", body=TEXT, tlp=TLP.GREEN)
    found = services.found_in_topic(topic)
    keys = [f"{f.kind}:{f.value}" for f in found]
    assert keys == ["ipv4:203.0.113.9", "url:http://dl.bad-example.com/a.exe",
                    "cve:CVE-2024-3400"]
    run = services.make_indicators(world.analyst, topic, values=[*keys, "ipv4:10.9.9.9"],
                                   community=world.general, tlp=TLP.CLEAR)
    assert run.new == 3  # the value not in the topic is ignored; TLP raised to the topic's
    assert set(stored(world.general).values_list("tlp", flat=True)) == {TLP.GREEN}
    assert stored(world.general, type="vulnerability").get().name == "CVE-2024-3400"
    assert StixTopicLink.objects.filter(topic=topic).count() == 3


def test_red_topic_indicators_stay_red_with_the_same_audience(world, post):
    topic = post(world.alice, world.isac, title="内部", body=TEXT, tlp=TLP.RED,
                 audience_mode=AudienceMode.CHOSEN, audience_users=[world.bob])
    keys = [f"{f.kind}:{f.value}" for f in services.found_in_topic(topic)]
    with pytest.raises(ServiceError):  # a member, but neither analyst nor manager
        services.make_indicators(world.bob, topic, values=keys, community=world.isac,
                                 tlp=TLP.RED)
    with pytest.raises(ServiceError):  # RED does not leave its community
        services.make_indicators(world.alice, topic, values=keys, community=world.open,
                                 tlp=TLP.RED)
    run = services.make_indicators(world.alice, topic, values=keys, community=world.isac,
                                   tlp=TLP.CLEAR)
    assert run.new == 3
    for row in stored(world.isac):
        assert row.tlp == TLP.RED and row.audience_mode == AudienceMode.CHOSEN
        assert list(row.audience_users.all()) == [world.bob]
        assert not row.audience_organisations.exists()


# --- demo ------------------------------------------------------------------------------------

def test_demo_world_has_feed_imports_and_a_disabled_source(db):
    from renkei.demo.world import load_demo_world

    load_demo_world()
    runs = ImportRun.objects.order_by("created_at", "id")
    assert [(r.format, r.state) for r in runs] == [("misp-feed", "done"), ("list", "done")]
    feed, blocklist = runs
    assert feed.new >= 10 and feed.failed == 0 and feed.skipped == 1
    assert blocklist.new == 6 and blocklist.failed == 0
    source = FeedSource.objects.get()
    assert not source.enabled and source.url.startswith("https://feeds.example/")


def test_an_import_learns_nothing_from_indicators_kept_from_the_importer(world):
    from renkei.feeds import stix
    from renkei.intel import services as store

    old = datetime(2025, 1, 1, tzinfo=UTC)
    secret = stix.indicator("ipv4", "198.51.100.99", tlp=TLP.RED, moment=old)
    assert store.ingest([secret], user=world.bob, source="api", community=world.isac,
                        audience_mode=AudienceMode.CHOSEN, audience_users=[world.bob]).stored
    mine = run_import(world.alice, world.isac, [("b.txt", b"198.51.100.99\n")], tlp=TLP.AMBER)
    assert mine.new == 1 and mine.duplicate == 0 and mine.failed == 0
    own = json.loads(stored(world.isac, added_by=world.alice).get().raw)
    # Each organisation's import is its own object (only a creator adds versions), so the
    # import neither collides with the kept one nor learns its id.
    assert own["id"] != secret["id"]
    assert own["created"] != secret["created"] and own["valid_from"] != secret["valid_from"]
