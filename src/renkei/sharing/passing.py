"""THE pass-on rule: how far an item may travel from where it is read (FIRST TLP 2.0).

The visibility rule (`visibility.py`) decides who reads an item where it is. This module
decides whether a reader may *move* an item — copy, re-share, turn into indicators, put in a
feed, a TAXII collection, a curated collection, an export, a mail body, a situation report,
the public page — to a destination with its own set of readers. Every such path asks
`refusal(...)` (or `check(...)`, which raises); none decides for itself.

Both sides are described as plain sets (`Readers`), so the rule depends on nothing above it:
the apps that own communities and audiences say who reads what (`communities.audiences`).

How far each TLP goes (FIRST TLP 2.0, https://www.first.org/tlp/):
- CLEAR: anywhere, the public page included;
- GREEN: anywhere on the platform (its community), never public;
- AMBER: inside the recipient's own organisation; wider only when the originating
  organisation passes it on (it chose the recipients), never public;
- AMBER+STRICT: inside the recipient's own organisation only;
- RED: only to the people (and organisations) its author named.
Moving an item to readers who all read it already widens nothing and is always allowed,
except for consultation-window reports, which leave the window only as a reviewed sanitised
summary, and except across environments (live and an exercise never mix).

Edits follow the same sets: only the originating organisation may widen TLP or audience
(`widening_refusal`); anyone who may edit may narrow them.
"""

from dataclasses import dataclass, field
from enum import StrEnum

from django.utils.translation import gettext as _

from renkei.errors import ServiceError
from renkei.sharing.models import TLP, strictness

# Markings a mail body may carry: a mail server is outside the platform; others get a link.
MAIL_BODY_TLP = frozenset({TLP.CLEAR, TLP.GREEN})


class Kind(StrEnum):
    """Where an item is moved to; the message of a refusal names it."""

    COMMUNITY = "community"      # re-share, indicators made from a topic, an ingest
    AUDIENCE = "audience"        # a new audience or TLP of the same item (an edit)
    EXPORT = "export"            # a file downloaded by one person (CSV, XLSX, bundle)
    FEED = "feed"                # a machine of the reader's organisation (TAXII, feeds out)
    CURATED = "curated"          # a collection every organisation reads
    MAIL = "mail"                # the body of a mail
    SITUATION = "situation"      # an escalation report, a situation bulletin or a summary
    PUBLIC = "public"            # the public page: anyone, signed in or not


@dataclass(frozen=True)
class Readers:
    """Who reads something: whole organisations, people named in person, or everyone.

    `organisations=None` means every organisation of the platform; `public` means anyone at
    all. `people` holds (user id, organisation id) pairs, so "all inside one organisation"
    can be answered for people named in person too."""

    organisations: frozenset[int] | None = frozenset()
    people: frozenset[tuple[int, int]] = frozenset()
    public: bool = False

    @classmethod
    def everyone(cls) -> "Readers":
        return cls(organisations=None)

    @classmethod
    def anyone(cls) -> "Readers":
        return cls(organisations=None, public=True)

    @classmethod
    def organisation(cls, organisation_id: int) -> "Readers":
        return cls(organisations=frozenset({organisation_id}))

    @classmethod
    def person(cls, user_id: int, organisation_id: int) -> "Readers":
        return cls(people=frozenset({(user_id, organisation_id)}))

    def within(self, other: "Readers") -> bool:
        """Every reader here already reads `other`."""
        if other.public:
            return True
        if self.public:
            return False
        if other.organisations is None:
            return True
        if self.organisations is None:
            return False
        return self.organisations <= other.organisations and all(
            person in other.people or organisation in other.organisations
            for person in self.people for organisation in (person[1],))

    def __and__(self, other: "Readers") -> "Readers":
        """Those who are readers in both: e.g. a chosen audience and the community it is in."""
        public = self.public and other.public
        if self.organisations is None:
            return Readers(organisations=other.organisations, people=other.people, public=public)
        if other.organisations is None:
            return Readers(organisations=self.organisations, people=self.people, public=public)
        people = frozenset(
            {p for p in self.people if p in other.people or p[1] in other.organisations}
            | {p for p in other.people if p[1] in self.organisations})
        return Readers(organisations=self.organisations & other.organisations, people=people)

    def inside(self, organisation_id: int) -> bool:
        """Every reader belongs to this one organisation."""
        if self.public or self.organisations is None:
            return False
        return self.organisations <= {organisation_id} and all(
            organisation == organisation_id for _user, organisation in self.people)


@dataclass(frozen=True)
class Item:
    """What is passed on: its marking, who reads it now and who it came from."""

    tlp: str
    readers: Readers
    origin_organisation_id: int
    environment_id: int
    # A consultation-window report (or anything of its thread).
    from_consultation: bool = False


@dataclass(frozen=True)
class Destination:
    kind: Kind
    readers: Readers
    environment_id: int | None = None  # None: off the platform (files, machines, mail)
    # The reviewed sanitised summary: the one way out of the consultation window.
    sanitised_summary: bool = False
    # Inside the consultation window itself (a support request to an agency): a report's
    # content may go there as far as its TLP allows.
    in_consultation: bool = False
    name: str = field(default="", compare=False)


def refusal(item: Item, destination: Destination, *, actor_organisation_id: int) -> str | None:
    """Why the actor may not move the item there, in the actor's language; None if they may."""
    tlp = TLP(item.tlp)
    label = tlp.label
    if destination.environment_id is not None and \
            destination.environment_id != item.environment_id:
        return _("Nothing crosses between the live platform and an exercise.")
    if item.from_consultation and not _stays_in_window(item, destination,
                                                       actor_organisation_id):
        return _("Reports in the consultation window stay there; the centre passes them on "
                 "only as a reviewed sanitised summary.")
    if destination.kind == Kind.MAIL and tlp not in MAIL_BODY_TLP:
        return _("%(tlp)s information is not written into mail; the mail carries a link.") % {
            "tlp": label}
    if destination.readers.public or destination.kind == Kind.PUBLIC:
        if tlp == TLP.CLEAR and not item.from_consultation:
            return None
        return _("Only TLP:CLEAR information may be made public; this is %(tlp)s.") % {
            "tlp": label}
    if tlp in {TLP.CLEAR, TLP.GREEN}:
        return None
    readers = destination.readers
    if tlp == TLP.RED:
        # RED stays with what its author named: people, or whole organisations named as such.
        if readers.within(item.readers):
            return None
        return _("TLP:RED information stays with the people it names; it cannot be passed on "
                 "to anyone else.")
    if readers.within(item.readers) or readers.inside(actor_organisation_id):
        return None
    if tlp == TLP.AMBER and actor_organisation_id == item.origin_organisation_id:
        return None  # the originating organisation chooses its recipients
    if tlp == TLP.AMBER_STRICT:
        return _("TLP:AMBER+STRICT information stays inside the recipient's organisation; it "
                 "cannot be passed on to other organisations.")
    if destination.kind == Kind.CURATED:
        return _("TLP:AMBER information cannot go into a collection every organisation reads.")
    return _("TLP:AMBER information cannot be shared into a community that other "
             "organisations take part in; only the organisation it came from may widen it.")


def _stays_in_window(item: Item, destination: Destination, actor_organisation_id: int) -> bool:
    """A consultation report moves only inside the window (then as far as its TLP allows), as
    the reviewed sanitised summary, or to its readers' own files and machines: never into a
    community, nor into a mail body, which lies on mail servers."""
    if destination.sanitised_summary or destination.in_consultation:
        return True
    readers = destination.readers
    return destination.kind in {Kind.EXPORT, Kind.FEED} and (
        readers.within(item.readers) or readers.inside(actor_organisation_id))


def check(item: Item, destination: Destination, *, actor_organisation_id: int) -> None:
    """`refusal`, raised as a ServiceError (nothing is written)."""
    reason = refusal(item, destination, actor_organisation_id=actor_organisation_id)
    if reason:
        raise ServiceError(reason, code="pass_on")


def widening_refusal(before: Item, *, tlp: str, readers: Readers, actor_organisation_id: int,
                     speaks_for_organisation: bool = True) -> str | None:
    """An edit to a new TLP and audience: only the originating organisation may widen either,
    through someone who speaks for it (the author or an admin of it; not a community manager
    who happens to work there)."""
    if actor_organisation_id == before.origin_organisation_id and speaks_for_organisation:
        return None
    if strictness(tlp) < strictness(before.tlp):
        return _("Only the organisation that wrote this may make its TLP wider (%(old)s to "
                 "%(new)s); you may make it stricter.") % {
            "old": TLP(before.tlp).label, "new": TLP(tlp).label}
    if not readers.within(before.readers):
        return _("Only the organisation that wrote this may widen its audience; you may "
                 "narrow it.")
    return None


def check_widening(before: Item, *, tlp: str, readers: Readers, actor_organisation_id: int,
                   speaks_for_organisation: bool = True) -> None:
    reason = widening_refusal(before, tlp=tlp, readers=readers,
                              actor_organisation_id=actor_organisation_id,
                              speaks_for_organisation=speaks_for_organisation)
    if reason:
        raise ServiceError(reason, code="pass_on")


# What a reader's own machines, files and mail may carry, whatever the item: the reader reads
# it, so at least they (one person of one organisation) are among its readers.
_ACTOR, _ACTOR_ORGANISATION = 0, 0
_OWN_DESTINATIONS = {
    Kind.EXPORT: Readers.person(_ACTOR, _ACTOR_ORGANISATION),
    Kind.FEED: Readers.organisation(_ACTOR_ORGANISATION),
    Kind.MAIL: Readers.person(_ACTOR, _ACTOR_ORGANISATION),
    Kind.CURATED: Readers.everyone(),
    Kind.PUBLIC: Readers.anyone(),
}


def passable_tlps(kind: Kind, *, from_consultation: bool = False) -> frozenset[str]:
    """The markings `refusal` lets through to this kind of destination for any item the reader
    reads (as a queryset filter): a file the reader downloads takes everything they read; a
    machine of their organisation (TAXII, feeds out) all but RED; a mail body, a curated
    collection CLEAR and GREEN; the public page CLEAR only."""
    readers = _OWN_DESTINATIONS[kind]
    return frozenset(
        tlp.value for tlp in TLP
        if refusal(Item(tlp=tlp, readers=Readers.person(_ACTOR, _ACTOR_ORGANISATION),
                        origin_organisation_id=-1, environment_id=0,
                        from_consultation=from_consultation),
                   Destination(kind=kind, readers=readers),
                   actor_organisation_id=_ACTOR_ORGANISATION) is None)
