"""What the sanitiser must know, gathered from the database.

Every organisation except the centre (its name identifies nobody) with its aliases and the
e-mail domains of its people and emergency contacts; the names of every person on the platform
and in the emergency contacts directory; a case's internal system names (its report's "affected
services and systems"); and strings the centre adds by hand.

The matcher for organisations and people is compiled once per directory (kept while the
directory does not change); a case's own names are a small second matcher.
"""

from collections import defaultdict
from functools import lru_cache

from renkei.accounts.models import Organisation, OrganisationKind, User
from renkei.situation.models import OrganisationAlias
from renkei.situation.sanitiser import Directory, OrganisationNames, Sanitiser, split_systems


def _domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].strip().lower() if "@" in (email or "") else ""


def platform_directory() -> Directory:
    from renkei.incidents.models import EmergencyContact

    domains: dict[int, set[str]] = defaultdict(set)
    aliases: dict[int, list[str]] = defaultdict(list)
    people: set[str] = set()
    for org_id, email, name in User.objects.values_list("organisation_id", "email", "name"):
        people.add(name)
        if _domain(email):
            domains[org_id].add(_domain(email))
    for org_id, email, name in EmergencyContact.objects.values_list(
            "organisation_id", "email", "name"):
        people.add(name)
        if _domain(email):
            domains[org_id].add(_domain(email))
    for org_id, alias in OrganisationAlias.objects.values_list("organisation_id", "alias"):
        aliases[org_id].append(alias)
    organisations = tuple(
        OrganisationNames(str(pk), name, tuple(sorted(aliases[pk])), tuple(sorted(domains[pk])))
        for pk, name in Organisation.objects.exclude(kind=OrganisationKind.CENTRE)
        .order_by("pk").values_list("pk", "name")
    )
    return Directory(organisations=organisations, people=tuple(sorted(p for p in people if p)))


@lru_cache(maxsize=4)
def _compiled(directory: Directory) -> Sanitiser:
    return Sanitiser(directory)


def sanitiser_for(case=None, extra_terms: str = "") -> Sanitiser:
    """The platform's sanitiser, plus the case's system names and the centre's own strings."""
    base = _compiled(platform_directory())
    systems = split_systems(case.report.affected_systems) if case is not None else []
    extra = [line.strip() for line in (extra_terms or "").splitlines() if line.strip()]
    if not systems and not extra:
        return base
    return Sanitiser(Directory(systems=tuple(systems), extra=tuple(extra)), base=base)
