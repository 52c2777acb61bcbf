"""Every write to the STIX store: ingest, delete, sightings, collections.

`ingest(objects, *, user, collection=None, community=None, source, ...)` is the one way objects
enter the store: TAXII POST, the REST API, the pages, and the feeds app's imports (STIX upload,
MISP, CSV, lists, scheduled fetches, extraction from topics) all call it. It

1. checks each object on its own (`intel.stix.check`), so one bad object never spoils the rest;
2. refuses what may not go where: RED without named recipients, AMBER+STRICT to everyone;
3. in ONE transaction: locks the store clock, drops identical re-posts (a success, stored
   once), refuses a different object under an existing id+version, gives each new version its
   own strictly increasing `date_added` (microseconds), writes rows, audience, references,
   topic links and sightings in bulk, moves `is_latest`, and adds one audit entry.

The result lists every object's id and version under `stored`, `duplicates` or `failures`
(with a message in the caller's language). Objects are never half-written; a database error
rolls the whole batch back and propagates.
"""

import json
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from renkei.accounts import audit
from renkei.accounts.models import Organisation, User
from renkei.communities.models import EVERYONE_READS, Community, Topic
from renkei.communities.services import audience_candidates
from renkei.errors import ServiceError
from renkei.intel import stix
from renkei.intel.models import (
    Collection,
    Sighting,
    Source,
    StixAudienceOrganisation,
    StixAudienceUser,
    StixObject,
    StixRef,
    StixTopicLink,
    StoreClock,
)
from renkei.sharing import permissions
from renkei.sharing.models import CONFINED_TLP, TLP, AudienceMode

ONE_MICROSECOND = timedelta(microseconds=1)
SIGHTING_KIND_PROPERTY = "x_renkei_sighting_kind"


@dataclass(frozen=True)
class Outcome:
    id: str
    version: str
    message: str = ""


@dataclass
class IngestResult:
    stored: list[Outcome] = field(default_factory=list)
    duplicates: list[Outcome] = field(default_factory=list)
    failures: list[Outcome] = field(default_factory=list)
    # The stored rows as column values (see _Rows); `objects` makes model instances of them
    # only when asked: building ~25 fields per object cost a tenth of a bulk ingest.
    _rows: list = field(default_factory=list, repr=False)
    _objects: list | None = field(default=None, repr=False)

    @property
    def objects(self) -> list[StixObject]:
        if self._objects is None:
            # from_db takes the values in the model's field order.
            where = {c.attname: i for i, c in enumerate(_columns())}
            order = [where[f.attname] for f in StixObject._meta.concrete_fields[1:]]
            names = [f.attname for f in StixObject._meta.concrete_fields]
            self._objects = [
                StixObject.from_db(connection.alias, names, [pk, *(values[i] for i in order)])
                for pk, values in self._rows]
        return self._objects

    @property
    def successes(self) -> list[Outcome]:
        """What TAXII reports as successes: new versions and identical re-posts."""
        return self.stored + self.duplicates

    @property
    def total(self) -> int:
        return len(self.stored) + len(self.duplicates) + len(self.failures)


def _version_of(obj) -> str:
    if isinstance(obj, dict):
        value = obj.get("modified") or obj.get("created")
        if isinstance(value, str):
            return value
    return ""


def _id_of(obj) -> str:
    value = obj.get("id") if isinstance(obj, dict) else None
    return value if isinstance(value, str) else ""


# --- collections -----------------------------------------------------------------------------

def collection_for(community: Community) -> Collection:
    """The community's TAXII collection, made on first use (its id then never changes)."""
    collection = Collection.objects.filter(community=community).first()
    if collection is None:
        collection, _created = Collection.objects.get_or_create(
            community=community, defaults={"kind": Collection.Kind.COMMUNITY})
    return collection


def ensure_community_collections(communities) -> None:
    """One collection row for each of these communities (one query when all exist)."""
    missing = list(communities.exclude(stix_collection__isnull=False).values_list("id",
                                                                                  flat=True))
    if missing:
        Collection.objects.bulk_create(
            [Collection(kind=Collection.Kind.COMMUNITY, community_id=c) for c in missing],
            ignore_conflicts=True)


# --- ingest ----------------------------------------------------------------------------------

def _check_audience(community: Community, audience_mode: str, organisations: list,
                    users: list) -> None:
    if audience_mode not in AudienceMode.values:
        raise ServiceError(_("Unknown audience."))
    if audience_mode == AudienceMode.MEMBERS:
        return
    if not organisations and not users:
        raise ServiceError(_("Choose at least one organisation or person for the audience."))
    allowed = audience_candidates(community)
    if allowed is None:
        return
    allowed_orgs, allowed_users = allowed
    outside = [o.name for o in organisations if o.id not in allowed_orgs]
    outside += [u.display_name for u in users
                if u.id not in allowed_users and u.organisation_id not in allowed_orgs]
    if outside:
        raise ServiceError(
            _("These are not members of the community and cannot be in the audience: %(names)s")
            % {"names": ", ".join(outside)})


def _placement_error(tlp: str, community: Community, audience_mode: str) -> str | None:
    if audience_mode == AudienceMode.MEMBERS and tlp == TLP.RED:
        return _("TLP:RED is for named recipients only; this object cannot go to all members "
                 "of a community.")
    if audience_mode == AudienceMode.MEMBERS and tlp in CONFINED_TLP and \
            community.kind in EVERYONE_READS:
        return _("TLP:AMBER+STRICT stays with its recipients' organisations; it cannot go to a "
                 "community everyone reads.")
    return None


def ingest(
    objects, *, user: User, source: str, collection: Collection | None = None,
    community: Community | None = None, source_detail: str = "",
    audience_mode: str = AudienceMode.MEMBERS, audience_organisations=(), audience_users=(),
    default_tlp: str | None = None, topic: Topic | None = None, check_permission: bool = True,
    now: datetime | None = None,
) -> IngestResult:
    """Store STIX objects (dicts) in a community; see the module docstring.

    `collection` or `community` says where. `default_tlp` applies to objects without a TLP
    marking (else the collection's default, else GREEN). `topic` links every stored object to
    that topic. Raises ServiceError (nothing stored) when the user may not write there or the
    audience is wrong; per-object problems land in `failures`.
    """
    if collection is not None:
        if collection.kind != Collection.Kind.COMMUNITY:
            raise ServiceError(_("Nobody can add objects to a curated collection."))
        community = collection.community
    if community is None:
        raise ServiceError(_("Choose a community for the objects."))
    if source not in Source.values:
        raise ServiceError(_("Unknown source."))
    if check_permission and not permissions.can_post(user, community):
        raise ServiceError(_("You may not add objects to this community."))
    organisations, users = list(audience_organisations), list(audience_users)
    _check_audience(community, audience_mode, organisations, users)
    if default_tlp is None:
        default_tlp = collection.default_tlp if collection is not None else TLP.GREEN
    now = now or datetime.now(UTC)

    result = IngestResult()
    good: list[stix.Checked] = []
    objects = list(objects)
    creators = _creators(objects)
    platform_identities = _platform_identities(objects)
    revocations: list[tuple[str, int]] = []
    for obj in objects:
        stix_id = _id_of(obj)
        try:
            creator, refusal = _creator_for(obj, creators.get(stix_id), user)
            if refusal is None and stix_id in platform_identities:
                refusal = _("%(id)s is the identity renkei gives an organisation; renkei "
                            "writes it, nobody adds it.") % {"id": stix_id}
            if refusal:
                raise stix.Invalid(refusal)
            checked = stix.check(obj, now=now, creator=creator, default_tlp=default_tlp)
        except stix.Invalid as exc:
            result.failures.append(Outcome(stix_id, _version_of(obj), str(exc)))
            continue
        if creators.get(stix_id, user.organisation_id) != user.organisation_id:
            revocations.append((stix_id, creators[stix_id]))
        problem = _placement_error(checked.tlp, community, audience_mode)
        if problem:
            result.failures.append(Outcome(checked.stix_id, _version_of(obj), problem))
            continue
        good.append(checked)

    with transaction.atomic():
        if good:
            _store(good, result, community=community, user=user, source=source,
                   source_detail=source_detail[:200], audience_mode=audience_mode,
                   organisations=organisations, users=users, topic=topic)
        audit.record(user, "stix.ingest", community, source=source, detail=source_detail[:200],
                     stored=len(result.stored), duplicates=len(result.duplicates),
                     failures=len(result.failures))
        stored = {o.id for o in result.stored}
        for stix_id, organisation_id in revocations:
            if stix_id in stored:
                audit.record(user, "stix.revoke", community, stix_id=stix_id,
                             created_by_organisation=organisation_id)
    return result


# --- provenance ------------------------------------------------------------------------------
# An object's creator on renkei is the organisation that added its first stored version,
# anywhere in the store; `created_by_ref` names that organisation's identity. Only it adds
# versions; the centre's staff may add a revoked one (audited). SCOs have no creator (their
# ids follow from their values, so many organisations send the same one), and the TLP
# marking definitions are everyone's.

def _creators(objects) -> dict[str, int]:
    """stix_id -> the organisation that added the first stored version of it."""
    ids = {_id_of(o) for o in objects if isinstance(o, dict) and
           o.get("type") not in stix.SCO_TYPES} - {""} - set(stix.TLP_MARKINGS)
    creators: dict[str, int] = {}
    if not ids:
        return creators
    rows = StixObject.objects.filter(stix_id__in=ids).order_by("-date_added").values_list(
        "stix_id", "added_by_organisation_id")
    for stix_id, organisation_id in rows.iterator(chunk_size=2000):
        creators[stix_id] = organisation_id  # the oldest comes last
    return creators


def _creator_for(obj, creator_organisation_id: int | None, user: User
                 ) -> tuple[str | None, str | None]:
    """(the identity the object must name as created_by_ref, why it may not be added)."""
    if creator_organisation_id is None or creator_organisation_id == user.organisation_id:
        return identity_id(user.organisation_id), None
    if user.is_centre_staff and isinstance(obj, dict) and obj.get("revoked") is True:
        return identity_id(creator_organisation_id), None
    return None, _("Another organisation created %(id)s; only it may add versions of it. "
                   "Report a sighting of it, or add your own object and a relationship to "
                   "it.") % {"id": _id_of(obj)}


def _platform_identities(objects) -> set[str]:
    """The ids of the identities renkei gives organisations that this batch tries to add."""
    wanted = {_id_of(o) for o in objects if isinstance(o, dict) and o.get("type") == "identity"}
    if not wanted:
        return set()
    return wanted & {identity_id(pk) for pk in Organisation.objects.values_list("pk", flat=True)}


def _next_date_added(count: int) -> datetime:
    """Reserve `count` consecutive microseconds after every date_added handed out so far.

    The clock row stays locked until the caller's transaction commits, so a reader paging by
    date_added can never see a later value before an earlier one is committed."""
    clock = StoreClock.objects.select_for_update().filter(pk=1).first()
    if clock is None:
        StoreClock.objects.get_or_create(pk=1, defaults={"last": datetime(1970, 1, 1,
                                                                          tzinfo=UTC)})
        clock = StoreClock.objects.select_for_update().get(pk=1)
    start = max(timezone.now(), clock.last + ONE_MICROSECOND)
    clock.last = start + ONE_MICROSECOND * (count - 1)
    clock.save(update_fields=["last"])
    return start


def _store(good, result, *, community, user, source, source_detail, audience_mode,
           organisations, users, topic) -> None:
    ids = {c.stix_id for c in good}
    existing = defaultdict(list)  # stix_id -> [(version, content_hash, pk, is_latest)]
    for row in StixObject.objects.filter(community=community, stix_id__in=ids).values_list(
            "stix_id", "version", "content_hash", "pk", "is_latest"):
        existing[row[0]].append(row[1:])

    accepted: list[stix.Checked] = []
    seen: dict[tuple[str, object], str] = {}  # (id, version or None) -> content hash
    for checked in good:
        version = checked.modified or checked.created
        shown = stix.format_timestamp(version) if version else ""
        key = (checked.stix_id, version)
        if version is None:  # SCOs: a version per distinct content
            same = any(h == checked.content_hash for _v, h, _pk, _l in
                       existing[checked.stix_id]) or (checked.stix_id, checked.content_hash) in \
                seen
            if same:
                result.duplicates.append(Outcome(checked.stix_id, shown))
                continue
            seen[(checked.stix_id, checked.content_hash)] = checked.content_hash
            accepted.append(checked)
            continue
        known = seen.get(key) or next(
            (h for v, h, _pk, _l in existing[checked.stix_id] if v == version), None)
        if known == checked.content_hash:
            result.duplicates.append(Outcome(checked.stix_id, shown))
        elif known is not None:
            result.failures.append(Outcome(
                checked.stix_id, shown,
                _("A different object with this id and version is already stored; change "
                  "modified to add a new version.")))
        else:
            seen[key] = checked.content_hash
            accepted.append(checked)
    if not accepted:
        return

    start = _next_date_added(len(accepted))
    organisation = user.organisation
    extra = [f.get_default() for f in _columns()[len(_ROW_ORDER):]]
    base = (community.pk, audience_mode, user.pk, user.organisation_id, source, source_detail)
    rows = []
    for i, c in enumerate(accepted):
        date_added = start + ONE_MICROSECOND * i
        # In the order of _ROW_ORDER; is_latest is settled by _mark_latest.
        rows.append([c.stix_id, c.type, c.spec_version, c.created, c.modified,
                     c.modified or c.created or date_added, date_added, c.raw, c.content_hash,
                     c.tlp, *base, c.revoked, c.name, c.pattern, c.pattern_type,
                     c.valid_from, c.valid_until, False, *extra])
    _mark_latest(rows, existing)
    pks = _insert(rows, start)
    if audience_mode == AudienceMode.CHOSEN:
        _add_rows(StixAudienceOrganisation, ("stix_object_id", "organisation_id"),
                  [(pk, o.pk) for pk in pks for o in organisations])
        _add_rows(StixAudienceUser, ("stix_object_id", "user_id"),
                  [(pk, u.pk) for pk in pks for u in users])
    refs = [StixRef(stix_object_id=pk, kind=kind, target_id=target)
            for pk, checked in zip(pks, accepted, strict=True) for kind, target in checked.refs]
    if refs:
        StixRef.objects.bulk_create(refs, batch_size=1000)
    _link_topics(pks, accepted, topic)
    _record_sightings(pks, accepted, community, organisation, user, source)
    result.stored.extend(Outcome(row[_STIX_ID], stix.format_timestamp(row[_VERSION]))
                         for row in rows)
    result._rows.extend(zip(pks, rows, strict=True))


# The columns of a stored row, in the order _store builds them; any other column of the
# table (a field added later) gets its default.
_ROW_ORDER = ("stix_id", "type", "spec_version", "created", "modified", "version", "date_added",
              "raw", "content_hash", "tlp", "community_id", "audience_mode", "added_by_id",
              "added_by_organisation_id", "source", "source_detail", "revoked", "name",
              "pattern", "pattern_type", "valid_from", "valid_until", "is_latest")
_STIX_ID, _VERSION, _DATE_ADDED = 0, 5, 6
_IS_LATEST = _ROW_ORDER.index("is_latest")
_COLUMNS = None
# False: PostgreSQL takes the multi-row INSERTs too (a test compares what both paths store).
COPY_ON_POSTGRESQL = True


def _columns() -> list:
    global _COLUMNS
    if _COLUMNS is None:
        fields = {f.attname: f for f in StixObject._meta.concrete_fields if not f.primary_key}
        _COLUMNS = [fields.pop(name) for name in _ROW_ORDER] + list(fields.values())
    return _COLUMNS


def _insert(rows: list[list], start: datetime) -> list[int]:
    """Insert the rows and return their ids, read back by date_added (unique, and ours while
    the clock is locked). PostgreSQL: COPY, which sends the rows as data; a multi-row INSERT
    of a batch spent more time having psycopg prepare its SQL than the server storing it.
    SQLite (no COPY): multi-row INSERTs of a few hundred rows each."""
    columns = _columns()
    _add_rows(StixObject, [f.attname for f in columns], rows, fields=columns)
    # The rows' date_added rise with their position, so the ids in date_added order are theirs
    # in order (and no timestamps need decoding).
    ids = list(StixObject.objects.filter(
        date_added__gte=start, date_added__lte=rows[-1][_DATE_ADDED]).order_by(
        "date_added").values_list("pk", flat=True))
    if len(ids) != len(rows):
        raise RuntimeError("date_added reserved for this ingest held other rows")
    return ids


def _add_rows(model, attnames, rows, fields=None) -> None:
    """Rows (sequences of column values in the order of `attnames`) into the model's table, in
    as few statements as the database allows."""
    if not rows:
        return
    ops = connection.ops
    table = ops.quote_name(model._meta.db_table)
    fields = fields or [model._meta.get_field(name.removesuffix("_id")) for name in attnames]
    names = ", ".join(ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and COPY_ON_POSTGRESQL:
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        datetimes = [i for i, f in enumerate(fields) if f.get_internal_type() == "DateTimeField"]
        if datetimes:
            adapt = ops.adapt_datetimefield_value
            rows = [list(row) for row in rows]
            for row in rows:
                for i in datetimes:
                    row[i] = adapt(row[i])
        marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
        # Multi-row VALUES: one round trip per chunk (a row-by-row executemany costs one each).
        chunk = max(1, min(500, (connection.features.max_query_params or 10_000) // len(fields)))
        for i in range(0, len(rows), chunk):
            part = rows[i:i + chunk]
            cursor.execute(f"INSERT INTO {table} ({names}) VALUES " + ", ".join(
                [marks] * len(part)), [v for row in part for v in row])


def _mark_latest(rows: list[list], existing) -> None:
    """The newest version of each id in the community carries is_latest, and only it."""
    newest: dict[str, list] = {}
    for row in rows:
        current = newest.get(row[_STIX_ID])
        if current is None or (row[_VERSION], row[_DATE_ADDED]) > (current[_VERSION],
                                                                   current[_DATE_ADDED]):
            newest[row[_STIX_ID]] = row
    superseded = []
    for stix_id, row in newest.items():
        stored_latest = [(v, pk) for v, _h, pk, latest in existing.get(stix_id, ()) if latest]
        if stored_latest and stored_latest[0][0] > row[_VERSION]:
            continue  # an older version arrived late; the stored one stays the latest
        row[_IS_LATEST] = True
        superseded += [pk for _v, pk in stored_latest]
    if superseded:
        StixObject.objects.filter(pk__in=superseded).update(is_latest=False)


def _link_topics(pks, accepted, topic) -> None:
    wanted = {pid for checked in accepted for pid in checked.topic_ids}
    known = dict(Topic.objects.filter(public_id__in=wanted).values_list("public_id", "id")) \
        if wanted else {}
    if not known and topic is None:
        return
    links = []
    for pk, checked in zip(pks, accepted, strict=True):
        topic_ids = {known[p] for p in checked.topic_ids if p in known}
        if topic is not None:
            topic_ids.add(topic.id)
        links += [StixTopicLink(stix_object_id=pk, topic_id=t) for t in topic_ids]
    StixTopicLink.objects.bulk_create(links, ignore_conflicts=True)


def _record_sightings(pks, accepted, community, organisation, user, source) -> None:
    sightings = []
    for pk, checked in zip(pks, accepted, strict=True):
        target = checked.obj.get("sighting_of_ref", "")
        if checked.type != "sighting" or not target.startswith("indicator--"):
            continue
        first = _when(checked.obj.get("first_seen")) or checked.created
        last = _when(checked.obj.get("last_seen")) or first
        kind = checked.obj.get(SIGHTING_KIND_PROPERTY)
        sightings.append(Sighting(
            community=community, indicator_id=target, organisation=organisation,
            reported_by=user, source=source, stix_object_id=pk,
            kind=kind if kind in Sighting.Kind.values else Sighting.Kind.SEEN,
            count=max(1, min(int(checked.obj.get("count") or 1), 999_999_999)),
            first_seen=first, last_seen=max(first, last),
        ))
    if sightings:
        Sighting.objects.bulk_create(sightings)


def _when(value):
    try:
        return stix.parse_timestamp(value)
    except ValueError:
        return None


# --- deleting --------------------------------------------------------------------------------

def delete_object(*, user: User, community: Community, stix_id: str,
                  versions: list[datetime] | None = None) -> int:
    """Remove an object (all versions, or the given ones) from a community's collection.

    Who may: the centre's staff, and whoever may post in the community for the versions their
    own organisation added. Returns how many versions went."""
    rows = StixObject.objects.filter(community=community, stix_id=stix_id)
    if versions is not None:
        rows = rows.filter(version__in=versions)
    if not user.is_centre_staff:
        if not permissions.can_post(user, community):
            raise ServiceError(_("You may not delete objects in this community."))
        if rows.exclude(added_by_organisation=user.organisation_id).exists():
            raise ServiceError(_("Only the centre and the organisation that added an object "
                                 "may delete it."))
    with transaction.atomic():
        count, _detail = rows.delete()
        remaining = StixObject.objects.filter(community=community, stix_id=stix_id)
        newest = remaining.order_by("-version", "-date_added").first()
        if newest is not None and not newest.is_latest:
            remaining.filter(pk=newest.pk).update(is_latest=True)
        # Sightings reported for the indicator stay: they are reports, not the indicator.
        audit.record(user, "stix.delete", community, stix_id=stix_id,
                     versions=[stix.format_timestamp(v) for v in versions or []])
    return count


# --- sightings -------------------------------------------------------------------------------

def report_sighting(*, user: User, indicator: StixObject, kind: str = Sighting.Kind.SEEN,
                    count: int = 1, seen_at: datetime | None = None,
                    source: str = Source.PAGE) -> Sighting:
    """A participant or vendor says it saw (or blocked) the indicator. The caller has already
    checked that the user may read the indicator (`selectors.access_object`)."""
    if kind not in Sighting.Kind.values:
        raise ServiceError(_("A sighting is either seen or blocked."))
    if indicator.type != "indicator":
        raise ServiceError(_("Sightings are reported for indicators."))
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 999_999:
        raise ServiceError(_("The count is a whole number from 1 to 999999."))
    now = timezone.now()
    seen_at = seen_at or now
    if seen_at > now + stix.FUTURE_SKEW:
        raise ServiceError(_("A sighting cannot lie in the future."))
    with transaction.atomic():
        sighting = Sighting.objects.create(
            community=indicator.community, indicator_id=indicator.stix_id, kind=kind,
            count=count, first_seen=seen_at, last_seen=seen_at, organisation=user.organisation,
            reported_by=user, source=source,
        )
        audit.record(user, "stix.sighting", sighting, indicator=indicator.stix_id, kind=kind)
    return sighting


def identity_id(organisation_id: int) -> str:
    """The stable STIX identity id of an organisation: every object it creates on renkei
    names it as `created_by_ref`."""
    return f"identity--{uuid.uuid5(uuid.NAMESPACE_URL, f'renkei:organisation:{organisation_id}')}"


def organisation_identity_id(organisation: Organisation) -> str:
    return identity_id(organisation.pk)


def organisation_identity(organisation: Organisation) -> dict:
    """The identity object renkei writes for an organisation (bundles carry it)."""
    return {"type": "identity", "spec_version": "2.1", "id": identity_id(organisation.pk),
            "created": IDENTITY_CREATED, "modified": IDENTITY_CREATED,
            "name": organisation.name, "identity_class": "organization"}


IDENTITY_CREATED = "2020-01-01T00:00:00.000Z"


# --- revoking --------------------------------------------------------------------------------

def revoke_object(*, user: User, obj: StixObject, source: str = Source.PAGE) -> IngestResult:
    """Add a revoked version of a readable object (the caller checked that with
    `selectors.access_object`): its creator organisation may, and the centre's staff for any
    organisation's object (audited as `stix.revoke`)."""
    creator = _creators([{"id": obj.stix_id, "type": obj.type}]).get(obj.stix_id)
    if obj.type in stix.SCO_TYPES or creator is None:
        raise ServiceError(_("Only objects with a creator can be revoked."))
    if creator != user.organisation_id and not user.is_centre_staff:
        raise ServiceError(_("Only the organisation that created this object, and the centre, "
                             "may revoke it."))
    latest = StixObject.objects.filter(community_id=obj.community_id, stix_id=obj.stix_id,
                                       is_latest=True).first() or obj
    data = json.loads(latest.raw)
    if data.get("revoked") is True:
        raise ServiceError(_("This object is already revoked."))
    now = max(timezone.now(), (latest.modified or latest.version) + timedelta(milliseconds=1))
    data["revoked"] = True
    data.pop("created_by_ref", None)  # renkei writes the creator's identity back in
    data["modified"] = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{now.microsecond // 1000:03d}Z"
    result = ingest(
        [data], user=user, source=source, community=latest.community,
        source_detail="revoke", audience_mode=latest.audience_mode,
        audience_organisations=list(latest.audience_organisations.all()),
        audience_users=list(latest.audience_users.all()), default_tlp=latest.tlp,
        check_permission=not user.is_centre_staff, now=now)
    if result.failures:
        raise ServiceError(result.failures[0].message)
    return result
