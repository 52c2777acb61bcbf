"""Every write of the feeds app: imports (upload, API, scheduled fetch), feed sources, and
indicators made from the values found in a topic. Objects enter the store only through
`intel.services.ingest`, which validates each, applies TLP and audience, de-duplicates and
audits.

An import is an `ImportRun`. `start_import` checks everything it can up front (the community,
the audience, the size, the format) and refuses with a message, changing nothing; then the
run goes on at once (small inputs) or as a job (`feeds.import`, with a progress page). The run
hands the parsed objects to the store in chunks of `CHUNK` (one transaction each: every object
is stored whole or not at all), counting as it goes. A run that dies half-way and is run again
(the queue delivers at least once) finds the first chunks stored: they count as duplicates.

Values become the same object every time (`feeds.stix`: ids from the value). Their timestamps
are settled against what the community already holds (`_settle_versions`): an identical
re-import is a duplicate, not a new version; a changed marking or validity is a new version of
the same indicator.
"""

import io
import json
import logging
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from renkei.accounts import audit
from renkei.communities.audiences import community_destination, topic_item
from renkei.communities.models import Community, CommunityKind, Topic
from renkei.errors import ServiceError
from renkei.feeds import extract, parsers, permissions, stix
from renkei.feeds.fetch import fetch, too_large
from renkei.feeds.models import FeedSource, Format, ImportRun
from renkei.intel import services as store
from renkei.intel.models import Source
from renkei.intel.selectors import readable_objects
from renkei.jobs.queue import enqueue
from renkei.sharing import passing
from renkei.sharing.models import TLP, AudienceMode, stricter

logger = logging.getLogger(__name__)

IMPORT_JOB, FETCH_JOB = "feeds.import", "feeds.fetch"
CHUNK = 1000
SETTLED_TYPES = frozenset({"indicator", "vulnerability"})
# Properties a value's object may differ in without being a different version.
TIMESTAMPS = ("created", "modified", "valid_from")
STORE_SOURCE = {
    Format.STIX: Source.UPLOAD, Format.MISP_EVENT: Source.MISP, Format.MISP_FEED: Source.MISP,
    Format.CSV: Source.CSV, Format.LIST: Source.LIST,
}


@dataclass(frozen=True)
class Placement:
    """Where imported objects go and how far they may travel."""

    community: Community
    tlp: str
    audience_mode: str = AudienceMode.MEMBERS
    organisations: tuple = ()
    users: tuple = ()
    valid_until: datetime | None = None


# --- starting an import ----------------------------------------------------------------------

def _check_placement(user, placement: Placement) -> None:
    """The store's own checks, run on nothing, so a refused import is refused before any work
    (and a job never starts for a community the user may not write to). Rolled back."""
    if placement.tlp not in TLP.values:
        raise ServiceError(_("Unknown TLP."))
    if not permissions.may_import(user, placement.community):
        raise ServiceError(_("You may not add indicators to this community."))
    if placement.valid_until is not None and placement.valid_until <= timezone.now():
        raise ServiceError(_("The end of validity must lie in the future."))
    if placement.audience_mode == AudienceMode.MEMBERS and placement.tlp == TLP.RED:
        raise ServiceError(_("TLP:RED is for named recipients only: choose the organisations "
                             "or people who may read it."))
    with transaction.atomic():
        store.ingest([], user=user, source=Source.UPLOAD, community=placement.community,
                     audience_mode=placement.audience_mode,
                     audience_organisations=placement.organisations,
                     audience_users=placement.users, default_tlp=placement.tlp)
        transaction.set_rollback(True)


def start_import(*, user, placement: Placement, files: list[tuple[str, bytes]], fmt: str,
                 origin: str = ImportRun.Origin.UPLOAD, source_name: str = "",
                 run_now: bool | None = None) -> ImportRun:
    """Record an import of uploaded files and run it (at once when small, else as a job).

    `files`: (name, content). One file for every format but the MISP feed, which takes
    `manifest.json` and the event files `<uuid>.json` (other names are ignored)."""
    _check_placement(user, placement)
    if not files:
        raise ServiceError(_("Choose a file to import."))
    limit = settings.FEEDS_IMPORT_MAX_BYTES
    size = sum(len(content) for _name, content in files)
    if any(len(content) > limit for _name, content in files):
        raise too_large(limit)
    fmt = _format_of(fmt, files)
    if fmt == Format.MISP_FEED:
        names = {name.rsplit("/", 1)[-1] for name, _content in files}
        if "manifest.json" not in names:
            raise ServiceError(_("A MISP feed needs its manifest.json."))
    elif len(files) > 1:
        raise ServiceError(_("Only a MISP feed is imported from several files; choose one "
                             "file for this format."))
    with transaction.atomic():
        run = _new_run(user, placement, format=fmt, origin=origin,
                       source_name=source_name or ", ".join(name for name, _c in files)[:500])
        run.data.save(f"{run.uuid}.{'zip' if fmt == Format.MISP_FEED else 'bin'}",
                      ContentFile(_pack(fmt, files)), save=True)
        audit.record(user, "feeds.import", run, format=fmt, origin=origin,
                     source=run.source_name, community=placement.community.pk, tlp=run.tlp,
                     bytes=size)
        if run_now is None:
            run_now = size <= settings.FEEDS_INLINE_MAX_BYTES
        if not run_now:
            enqueue(IMPORT_JOB, {"run": run.pk}, dedupe_key=f"feeds.import:{run.uuid}")
    if run_now:
        execute_run(run)
    return run


def _format_of(fmt: str, files: list[tuple[str, bytes]]) -> str:
    if fmt not in Format.values:
        raise ServiceError(_("Unknown format “%(format)s”.") % {"format": str(fmt)[:40]})
    if fmt != Format.AUTO:
        return fmt
    if len(files) > 1 or any(name.rsplit("/", 1)[-1] == "manifest.json" for name, _c in files):
        return Format.MISP_FEED
    name, content = files[0]
    return parsers.detect_format(content, name)


def _new_run(user, placement: Placement, **fields) -> ImportRun:
    run = ImportRun.objects.create(
        community=placement.community, tlp=placement.tlp, audience_mode=placement.audience_mode,
        valid_until=placement.valid_until, created_by=user, **fields)
    if placement.audience_mode == AudienceMode.CHOSEN:
        run.audience_organisations.set(placement.organisations)
        run.audience_users.set(placement.users)
    return run


def _pack(fmt: str, files: list[tuple[str, bytes]]) -> bytes:
    if fmt != Format.MISP_FEED:
        return files[0][1]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files:
            archive.writestr(name.rsplit("/", 1)[-1], content)
    return buffer.getvalue()


def _unpack(run: ImportRun) -> dict[str, bytes]:
    with run.data.open("rb") as handle:
        content = handle.read()
    if run.format != Format.MISP_FEED:
        return {"data": content}
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


# --- running an import -----------------------------------------------------------------------

def _parse(run: ImportRun, files: dict[str, bytes], now: datetime) -> parsers.Parsed:
    if run.format == Format.MISP_FEED:
        return parsers.parse_misp_feed(
            files["manifest.json"], lambda event: files.get(f"{event}.json"),
            tlp=run.tlp, now=now, valid_until=run.valid_until)
    return parsers.parse(run.format, files["data"], tlp=run.tlp, now=now,
                         valid_until=run.valid_until)


def execute_run(run: ImportRun, parse: Callable[[datetime], parsers.Parsed] | None = None,
                *, topic: Topic | None = None) -> ImportRun:
    """Parse and store; the run's counts and state say how it went. Never raises for bad
    input: what is wrong is written on the run."""
    with translation.override(run.created_by.language or settings.LANGUAGE_CODE):
        claimed = ImportRun.objects.filter(
            pk=run.pk, state__in=[ImportRun.State.QUEUED, ImportRun.State.RUNNING]).update(
            state=ImportRun.State.RUNNING, started_at=timezone.now(), processed=0)
        if not claimed:
            return run  # already finished (a job delivered twice)
        run.refresh_from_db()
        now = datetime.now(UTC)
        try:
            parsed = parse(now) if parse else _parse(run, _unpack(run), now)
            _store(run, parsed, now, topic=topic)
        except ServiceError as exc:
            _finish(run, ImportRun.State.FAILED, message=" ".join(exc.messages))
        except Exception:
            logger.exception("import %s failed", run.uuid)
            _finish(run, ImportRun.State.FAILED,
                    message=_("The import stopped because of an internal error; nothing "
                              "after the objects already counted was stored."))
        else:
            _finish(run, ImportRun.State.DONE)
    return run


def _store(run: ImportRun, parsed: parsers.Parsed, now: datetime, *, topic) -> None:
    run.received, run.skipped = parsed.received, parsed.skipped
    run.duplicate, run.failed = parsed.duplicates, len(parsed.failures)
    run.failures = [f.as_dict() for f in parsed.failures[:parsers.MAX_FAILURES_KEPT]]
    run.total = len(parsed.objects)
    run.new = run.processed = 0
    _save_progress(run)
    organisations, users = list(run.audience_organisations.all()), list(run.audience_users.all())
    settle = parsed.format != parsers.STIX
    source = Source.EXTRACTION if run.origin == ImportRun.Origin.EXTRACTION else (
        Source.FEED if run.origin == ImportRun.Origin.FEED else (
            Source.API if run.origin == ImportRun.Origin.API and run.format == Format.STIX
            else STORE_SOURCE[run.format]))
    objects = parsed.objects
    if settle:  # ids derived from values: the importing organisation's own (feeds.stix.owned)
        objects = stix.owned(objects, organisation_id=run.created_by.organisation_id,
                             identity=store.identity_id(run.created_by.organisation_id))
    for start in range(0, len(objects), CHUNK):
        chunk = objects[start:start + CHUNK]
        if settle:
            chunk = _settle_versions(chunk, run.created_by, run.community, now)
        result = store.ingest(
            chunk, user=run.created_by, source=source, community=run.community,
            source_detail=f"import {run.uuid}", audience_mode=run.audience_mode,
            audience_organisations=organisations, audience_users=users, default_tlp=run.tlp,
            topic=topic, now=now)
        run.new += len(result.stored)
        run.duplicate += len(result.duplicates)
        run.failed += len(result.failures)
        room = parsers.MAX_FAILURES_KEPT - len(run.failures)
        run.failures += [{"ref": f.id or "?", "message": f.message}
                         for f in result.failures[:max(room, 0)]]
        run.processed = start + len(chunk)
        _save_progress(run)


def _save_progress(run: ImportRun) -> None:
    run.save(update_fields=["received", "skipped", "duplicate", "failed", "failures", "total",
                            "new", "processed"])


def _finish(run: ImportRun, state: str, message: str = "") -> None:
    run.state, run.finished_at = state, timezone.now()
    if message:
        run.message = message
    if run.data:
        run.data.delete(save=False)
    run.save()
    audit.record(run.created_by, "feeds.import.done", run, state=state, received=run.received,
                 new=run.new, duplicate=run.duplicate, failed=run.failed)


def _essence(obj: dict) -> dict:
    return {key: value for key, value in obj.items() if key not in TIMESTAMPS}


def _settle_versions(objects: list[dict], user, community: Community, now: datetime
                     ) -> list[dict]:
    """Give value-derived objects the timestamps of what the community already holds: the same
    content is the stored object itself (a duplicate); changed content is its next version.
    Only versions the importer may read are looked at, so an import learns nothing (not even a
    creation time) about an indicator kept from them."""
    ids = [o["id"] for o in objects if o.get("type") in SETTLED_TYPES]
    if not ids:
        return objects
    stored = {stix_id: json.loads(raw) for stix_id, raw in readable_objects(user).filter(
        community=community, stix_id__in=ids, is_latest=True).values_list("stix_id", "raw")}
    settled = []
    for obj in objects:
        old = stored.get(obj.get("id"))
        if old is None or obj.get("type") not in SETTLED_TYPES:
            settled.append(obj)
        elif _essence(old) == _essence(obj):
            settled.append(old)
        else:
            settled.append(_next_version(old, obj, now))
    return settled


def _next_version(old: dict, new: dict, now: datetime) -> dict:
    new = dict(new)
    new["created"] = old.get("created", new["created"])
    try:
        previous = datetime.fromisoformat(old["modified"].replace("Z", "+00:00"))
    except (KeyError, ValueError, AttributeError):
        previous = now - timedelta(milliseconds=1)
    new["modified"] = stix.timestamp(max(now, previous + timedelta(milliseconds=1)))
    if "valid_from" in old and "valid_from" in new:
        until = new.get("valid_until")
        if until is None or until > old["valid_from"]:
            new["valid_from"] = old["valid_from"]
    return new


# --- feed sources ----------------------------------------------------------------------------

def _check_source(user, *, name: str, url: str, fmt: str, community: Community, tlp: str,
                  interval_minutes: int, valid_days: int | None) -> None:
    errors = []
    if not permissions.may_manage_feed_sources(user):
        raise ServiceError(_("Only the centre's analysts manage scheduled feeds."))
    if not name.strip():
        errors.append(_("Give the feed a name."))
    if not url.lower().startswith(("http://", "https://")):
        errors.append(_("The feed's address must start with http:// or https://."))
    if fmt not in Format.values or fmt == Format.AUTO:
        errors.append(_("Choose the feed's format."))
    if tlp not in TLP.values or tlp == TLP.RED:
        errors.append(_("A scheduled feed goes to all members of a community: choose a TLP "
                        "other than TLP:RED."))
    if not 5 <= interval_minutes <= 7 * 24 * 60:
        errors.append(_("Fetch between every 5 minutes and once a week."))
    if valid_days is not None and not 1 <= valid_days <= 3650:
        errors.append(_("Validity is between 1 and 3650 days."))
    if not permissions.may_import(user, community):
        errors.append(_("You may not add indicators to this community."))
    if errors:
        raise ServiceError(errors)


def create_feed_source(user, *, name: str, url: str, fmt: str, community: Community,
                       tlp: str = TLP.GREEN, interval_minutes: int = 60,
                       valid_days: int | None = None, enabled: bool = False,
                       authorization: str = "") -> FeedSource:
    _check_source(user, name=name, url=url, fmt=fmt, community=community, tlp=tlp,
                  interval_minutes=interval_minutes, valid_days=valid_days)
    with transaction.atomic():
        source = FeedSource.objects.create(
            name=name.strip(), url=url.strip(), format=fmt, community=community, tlp=tlp,
            interval_minutes=interval_minutes, valid_days=valid_days, enabled=enabled,
            authorization=authorization.strip(), created_by=user,
            next_fetch_at=timezone.now() if enabled else None)
        audit.record(user, "feeds.source.create", source, url=source.url, format=fmt,
                     community=community.pk, enabled=enabled)
    return source


def set_feed_source_enabled(user, source: FeedSource, enabled: bool) -> FeedSource:
    if not permissions.may_manage_feed_sources(user):
        raise ServiceError(_("Only the centre's analysts manage scheduled feeds."))
    with transaction.atomic():
        source.enabled = enabled
        source.next_fetch_at = timezone.now() if enabled else None
        source.save(update_fields=["enabled", "next_fetch_at"])
        audit.record(user, "feeds.source.enable" if enabled else "feeds.source.disable", source)
    return source


def fetch_now(user, source: FeedSource) -> None:
    """Queue one fetch of the source now (the page's button)."""
    if not permissions.may_manage_feed_sources(user):
        raise ServiceError(_("Only the centre's analysts manage scheduled feeds."))
    with transaction.atomic():
        audit.record(user, "feeds.source.fetch", source)
        enqueue(FETCH_JOB, {"source": source.pk, "slot": timezone.now().isoformat()},
                dedupe_key=f"feeds.fetch:{source.pk}:{timezone.now().isoformat()}")


def fetch_source(source: FeedSource) -> ImportRun:
    """Fetch the feed and import what is new, as its creator, into its community. For a MISP
    feed only events that are new or whose manifest timestamp changed are downloaded."""
    user = source.created_by
    valid_until = (timezone.now() + timedelta(days=source.valid_days)) if source.valid_days \
        else None
    placement = Placement(community=source.community, tlp=source.tlp, valid_until=valid_until)
    with transaction.atomic():
        run = _new_run(user, placement, format=source.format, origin=ImportRun.Origin.FEED,
                       source_name=source.url[:500], feed_source=source)
    seen = dict(source.seen_events)
    fetched: dict[str, str] = {}

    def parse(now: datetime) -> parsers.Parsed:
        _check_placement(user, placement)
        if source.format != Format.MISP_FEED:
            data = fetch(source.url, authorization=source.authorization)
            fmt = parsers.detect_format(data, source.url) if source.format == Format.AUTO \
                else source.format
            return parsers.parse(fmt, data, tlp=source.tlp, now=now, valid_until=valid_until)
        base = source.url if source.url.endswith("/") else source.url + "/"
        manifest_data = fetch(base + "manifest.json", authorization=source.authorization)
        manifest = parsers.load_json(manifest_data)
        if not isinstance(manifest, dict):
            raise ServiceError(_("manifest.json is not a MISP feed manifest: a JSON object "
                                 "whose keys are event uuids is expected."))
        changed = {key: value for key, value in manifest.items()
                   if not isinstance(value, dict) or seen.get(key) != str(value.get("timestamp"))}

        def load_event(event_id: str) -> bytes | None:
            data = fetch(f"{base}{event_id}.json", authorization=source.authorization,
                         missing_ok=True)
            if data is not None:
                value = changed.get(event_id)
                fetched[event_id] = str(value.get("timestamp")) if isinstance(value, dict) \
                    else ""
            return data

        return parsers.parse_misp_feed(json.dumps(changed).encode(), load_event,
                                       tlp=source.tlp, now=now, valid_until=valid_until)

    execute_run(run, parse)
    run.refresh_from_db()
    now = timezone.now()
    source.last_fetched_at = now
    source.last_error = run.message if run.state == ImportRun.State.FAILED else ""
    if run.state == ImportRun.State.DONE:
        seen.update(fetched)
        source.seen_events = seen
    source.save(update_fields=["last_fetched_at", "last_error", "seen_events"])
    return run


# --- from a topic's text to indicators -------------------------------------------------------

def topic_text(topic: Topic) -> str:
    """Everything in a topic where indicators are written: title, body and comments."""
    parts = [topic.title, topic.body or ""]
    parts += list(topic.comments.order_by("created_at", "id").values_list("body", flat=True))
    return "\n".join(parts)


def found_in_topic(topic: Topic) -> list[extract.Found]:
    """The caller has read the topic through `access_topic`; nothing else is looked at."""
    return extract.extract(topic_text(topic))


def indicator_placement(topic: Topic, community: Community, tlp: str, *, actor) -> Placement:
    """Where a topic's indicators may go: never lower than the topic's TLP, and only where the
    pass-on rule (`sharing.passing`) lets the actor move the topic itself. In the topic's own
    community, a topic with a chosen audience keeps it (so TLP:RED and AMBER+STRICT values stay
    with the people and organisations named); elsewhere the values go to the other community's
    members, as a re-shared topic would — which the rule refuses for a consultation-window
    report, and for TLP:AMBER outside the reader's organisation unless their organisation is
    the one it came from."""
    if tlp not in TLP.values:
        raise ServiceError(_("Unknown TLP."))
    tlp = stricter(tlp, topic.tlp)
    if community.kind == CommunityKind.CONSULTATION:
        raise ServiceError(_("Indicators do not go into the consultation window, where each "
                             "report stays with its reporter; choose another community."))
    if community.pk == topic.community_id and topic.audience_mode == AudienceMode.CHOSEN:
        placement = Placement(community=community, tlp=tlp, audience_mode=AudienceMode.CHOSEN,
                              organisations=tuple(topic.audience_organisations.all()),
                              users=tuple(topic.audience_users.all()))
    else:
        placement = Placement(community=community, tlp=tlp)
    destination = community_destination(
        community, audience_mode=placement.audience_mode, organisations=placement.organisations,
        users=placement.users, author=actor)
    passing.check(topic_item(topic), destination, actor_organisation_id=actor.organisation_id)
    if placement.audience_mode == AudienceMode.MEMBERS and tlp == TLP.RED:
        raise ServiceError(_("TLP:RED is for named recipients only: choose the organisations "
                             "or people who may read it."))
    return placement


def make_indicators(user, topic: Topic, *, values: list[str], community: Community,
                    tlp: str) -> ImportRun:
    """Turn chosen values found in the topic (`kind:value` keys, as the page offers them) into
    indicators (CVE ids into vulnerabilities) in one action, linked to the topic."""
    if not permissions.may_make_indicators(user, community):
        raise ServiceError(_("Only the centre's analysts and the community's managers turn "
                             "found values into indicators."))
    offered = {f"{f.kind}:{f.value}": f for f in found_in_topic(topic)}
    chosen = [offered[key] for key in dict.fromkeys(values) if key in offered]
    if not chosen:
        raise ServiceError(_("Choose at least one of the values found in this topic."))
    placement = indicator_placement(topic, community, tlp, actor=user)
    _check_placement(user, placement)
    with transaction.atomic():
        run = _new_run(user, placement, format=Format.LIST, origin=ImportRun.Origin.EXTRACTION,
                       source_name=topic.public_id)
        audit.record(user, "feeds.extract", run, topic=topic.public_id, values=len(chosen),
                     community=community.pk, tlp=placement.tlp)

    def parse(now: datetime) -> parsers.Parsed:
        parsed = parsers.Parsed(parsers.LIST, received=len(chosen))
        for found in chosen:
            parsed.add(stix.value_object(found.kind, found.value, tlp=placement.tlp,
                                         moment=now))
        return parsed

    return execute_run(run, parse, topic=topic)
