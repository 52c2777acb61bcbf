"""What a stored STIX object looks like when it leaves renkei: TAXII answers and bundle.json.

- Every object carries its TLP marking: the TLP 2.0 marking definition of the TLP it is
  stored under (rows stored before renkei wrote markings in get it here), next to whatever
  markings its producer gave it (docs/api.md says why TLP 2.0 and not TLP 1 as well).
- A container's `object_refs` (report, grouping, note, opinion) name only objects that leave
  at least as widely as the container, in the reader's view: a readable latest version in the
  container's own community, with a TLP no stricter and an audience no narrower. A refused,
  missing, unreadable or confined object is not named. When nothing is left, the list names
  the container's own TLP marking definition (STIX requires at least one reference).
- Bundles carry the marking definitions their objects name (`definitions_for`).

Which rows may leave at all is the caller's (`passable_tlps` of `sharing.passing`).
"""

import json
import re
from collections import defaultdict

from renkei.accounts.models import Organisation
from renkei.communities.audiences import audience_readers
from renkei.intel import stix
from renkei.intel.models import StixAudienceOrganisation, StixAudienceUser, StixRef
from renkei.intel.selectors import readable_objects
from renkei.intel.services import identity_id, organisation_identity
from renkei.sharing.models import AudienceMode, strictness

CONTAINERS = frozenset({"report", "grouping", "note", "opinion"})
# The columns `raws` needs of each row (named tuples or objects with these attributes).
FIELDS = ("pk", "type", "tlp", "community_id", "audience_mode", "added_by_id", "raw")
_CREATED_BY = re.compile(r'"created_by_ref":\s*"(identity--[0-9a-f-]{36})"')


def raws(user, rows) -> list[str]:
    """The JSON text of each row as it leaves for this reader."""
    allowed = _allowed_refs(user, rows)
    out = []
    for row in rows:
        raw = stix.with_marking(row.raw, row.tlp)
        if row.pk in allowed:
            raw = _with_refs(raw, allowed[row.pk], row.tlp)
        out.append(raw)
    return out


def _with_refs(raw: str, allowed: set[str], tlp: str) -> str:
    obj = json.loads(raw)
    refs = obj.get("object_refs")
    if not isinstance(refs, list):
        return raw
    kept = [ref for ref in refs if ref in allowed]
    if kept == refs:
        return raw
    obj["object_refs"] = kept or [stix.TLP_MARKING_IDS[tlp]]
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _allowed_refs(user, rows) -> dict[int, set[str]]:
    containers = {row.pk: row for row in rows if row.type in CONTAINERS}
    if not containers:
        return {}
    targets: dict[int, set[str]] = defaultdict(set)
    for pk, target in StixRef.objects.filter(stix_object_id__in=list(containers),
                                             kind="object_refs").values_list(
            "stix_object_id", "target_id"):
        targets[pk].add(target)
    wanted = set().union(*targets.values()) if targets else set()
    found = {}
    if wanted:
        for ref in readable_objects(user).filter(
                is_latest=True, stix_id__in=wanted,
                community_id__in={c.community_id for c in containers.values()}).values_list(
                *[f for f in FIELDS if f != "raw"], "stix_id", named=True):
            found[(ref.community_id, ref.stix_id)] = ref
    audiences = _Audiences()
    return {pk: {target for target in targets[pk]
                 if _as_wide(found.get((container.community_id, target)), container, audiences)}
            for pk, container in containers.items()}


def _as_wide(ref, container, audiences: "_Audiences") -> bool:
    if ref is None or strictness(ref.tlp) > strictness(container.tlp):
        return False
    if ref.audience_mode != AudienceMode.CHOSEN:
        return True  # all members of the container's own community
    if container.audience_mode != AudienceMode.CHOSEN:
        return False
    return audiences.readers(container).within(audiences.readers(ref))


class _Audiences:
    """The readers of rows with a chosen audience, fetched when first asked."""

    def __init__(self):
        self.known = {}

    def readers(self, row):
        if row.pk not in self.known:
            organisations = StixAudienceOrganisation.objects.filter(
                stix_object_id=row.pk).values_list("organisation_id", flat=True)
            users = list(StixAudienceUser.objects.filter(stix_object_id=row.pk).values_list(
                "user_id", flat=True))
            if row.added_by_id is not None:
                users.append(row.added_by_id)
            self.known[row.pk] = audience_readers(None, AudienceMode.CHOSEN,
                                                  organisations=list(organisations), users=users)
        return self.known[row.pk]


def references_in(raw_texts) -> set[str]:
    """The TLP marking definitions and the organisation identities these texts name."""
    named: set[str] = set()
    for raw in raw_texts:
        named |= stix.markings_named(raw)
        named.update(_CREATED_BY.findall(raw))
    return named


def definitions(named: set[str], present: set[str]) -> list[dict]:
    """The objects for those names a bundle lacks (not in `present`): the TLP marking
    definitions (with the TLP 2.0 extension definition) and renkei's organisation identities."""
    missing = named - present
    found = [stix.MARKING_DEFINITIONS[m] for m in sorted(missing & set(stix.MARKING_DEFINITIONS))]
    if any("extensions" in d for d in found) and stix.TLP2_EXTENSION_ID not in present:
        found.append(stix.TLP2_EXTENSION)
    identities = {m for m in missing if m.startswith("identity--")}
    if identities:
        for organisation in Organisation.objects.order_by("pk"):
            if identity_id(organisation.pk) in identities:
                found.append(organisation_identity(organisation))
    return found
