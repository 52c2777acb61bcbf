"""The pass-on rule (`sharing.passing`) on its own, over plain sets of readers.

`Readers` is compared with a small model of who actually reads: a universe of people (named
people of a few organisations, a not-yet-named person of every organisation, a person of an
organisation nobody mentions, and someone signed out), and `reads(readers, person)`. `within`
and `inside` must agree with that model exactly; `refusal` must never let an item reach anyone
FIRST TLP 2.0 keeps it from (soundness, random items and destinations), and must let through what
TLP 2.0 allows (the named cases below). No expected answer here is computed by the module under
test.
"""

from itertools import product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from renkei.errors import ServiceError
from renkei.sharing.models import TLP, stricter, strictness
from renkei.sharing.passing import (
    Destination,
    Item,
    Kind,
    Readers,
    check,
    check_widening,
    passable_tlps,
    refusal,
    widening_refusal,
)

CLEAR, GREEN, AMBER, STRICT, RED = "clear", "green", "amber", "amber+strict", "red"
WIDEST_FIRST = [CLEAR, GREEN, AMBER, STRICT, RED]
ORGS = (1, 2, 3)
UNMENTIONED_ORG = 99
NAMED = tuple((u, o) for o in ORGS for u in (10 * o + 1, 10 * o + 2))
ANONYMOUS = ("anonymous", None)
# Everyone who could ever read something: the named people, someone of each organisation who is
# named nowhere (so "organisation 1" is more than its named people), someone of an organisation
# no set mentions (so "every organisation" is more than the ones listed), and a signed-out person.
UNIVERSE = (*NAMED, *((1000 + o, o) for o in (*ORGS, UNMENTIONED_ORG)), ANONYMOUS)

RULE = {"max_examples": 400, "deadline": None, "database": None}


def reads(readers: Readers, person) -> bool:
    if person == ANONYMOUS:
        return readers.public
    if readers.public or readers.organisations is None:
        return True
    return person[1] in readers.organisations or person in readers.people


def who(readers: Readers) -> set:
    return {p for p in UNIVERSE if reads(readers, p)}


def org_of(person):
    return person[1]


readers_sets = st.one_of(
    st.builds(Readers, organisations=st.frozensets(st.sampled_from(ORGS)),
              people=st.frozensets(st.sampled_from(NAMED), max_size=4)),
    st.just(Readers.everyone()),
    st.just(Readers.anyone()),
    st.builds(Readers, organisations=st.just(frozenset()),
              people=st.frozensets(st.sampled_from(NAMED), min_size=1, max_size=3)),
)
tlps = st.sampled_from(WIDEST_FIRST)
kinds = st.sampled_from(list(Kind))


# --- Readers ---------------------------------------------------------------------------------

@settings(**RULE)
@given(a=readers_sets, b=readers_sets)
def test_within_means_every_reader_of_one_reads_the_other(a, b):
    assert a.within(b) == (who(a) <= who(b)), (a, b, who(a) - who(b))


@settings(**RULE)
@given(a=readers_sets, b=readers_sets)
def test_both_means_the_readers_of_one_who_read_the_other(a, b):
    assert who(a & b) == who(a) & who(b), (a, b)


@settings(**RULE)
@given(a=readers_sets, org=st.sampled_from((*ORGS, UNMENTIONED_ORG)))
def test_inside_means_every_reader_belongs_to_that_organisation(a, org):
    assert a.inside(org) == all(p != ANONYMOUS and org_of(p) == org for p in who(a)), (a, org)


def test_readers_constructors_read_what_they_say():
    assert who(Readers.anyone()) == set(UNIVERSE)
    assert who(Readers.everyone()) == set(UNIVERSE) - {ANONYMOUS}
    assert who(Readers.organisation(2)) == {p for p in UNIVERSE if p[1] == 2}
    assert who(Readers.person(11, 1)) == {(11, 1)}
    assert who(Readers()) == set()


def test_within_edge_cases():
    org1 = Readers.organisation(1)
    named_of_org1 = Readers(people=frozenset(p for p in NAMED if p[1] == 1))
    # The named people of an organisation are not the organisation: it may have others.
    assert named_of_org1.within(org1) and not org1.within(named_of_org1)
    assert not Readers.everyone().within(Readers(organisations=frozenset(ORGS)))
    assert Readers(organisations=frozenset(ORGS)).within(Readers.everyone())
    assert not Readers.anyone().within(Readers.everyone())
    assert Readers.anyone().within(Readers.anyone())
    assert Readers().within(Readers())  # nobody reads nothing wider
    assert Readers().inside(1)
    assert not Readers.person(11, 1).inside(2)
    assert Readers(organisations=frozenset({1}), people=frozenset({(11, 1)})).inside(1)
    assert not Readers(organisations=frozenset({1}), people=frozenset({(21, 2)})).inside(1)


# --- refusal: never further than TLP 2.0 allows (soundness) ---------------------------------

items = st.builds(
    Item, tlp=tlps, readers=readers_sets, origin_organisation_id=st.sampled_from(ORGS),
    environment_id=st.sampled_from((1, 2)), from_consultation=st.sampled_from((False, False,
                                                                              True)))


@st.composite
def destinations(draw) -> Destination:
    """Destinations as the paths describe them: the public page is read by anyone."""
    kind = draw(kinds)
    readers = Readers.anyone() if kind == Kind.PUBLIC else draw(readers_sets)
    return Destination(kind=kind, readers=readers,
                       environment_id=draw(st.sampled_from((None, 1, 2))),
                       sanitised_summary=draw(st.sampled_from((False, False, False, True))))


def allowed_readers(item: Item, actor_org: int) -> set:
    """Who may end up reading the item after this actor passes it on (FIRST TLP 2.0)."""
    now = who(item.readers)
    everyone = set(UNIVERSE) - {ANONYMOUS}
    own = {p for p in everyone if org_of(p) == actor_org}
    if item.tlp == CLEAR:
        return set(UNIVERSE)
    if item.tlp == GREEN:
        return everyone
    if item.tlp == AMBER:
        return everyone if actor_org == item.origin_organisation_id else now | own
    if item.tlp == STRICT:
        return now | own
    return now


@settings(**RULE)
@given(item=items, destination=destinations(), actor_org=st.sampled_from(ORGS))
def test_nothing_passes_further_than_tlp_allows(item, destination, actor_org):
    reason = refusal(item, destination, actor_organisation_id=actor_org)
    if reason is not None:
        assert isinstance(reason, str) and reason.strip()
        with pytest.raises(ServiceError) as raised:
            check(item, destination, actor_organisation_id=actor_org)
        assert reason in raised.value.messages
        return
    check(item, destination, actor_organisation_id=actor_org)  # agrees: no exception
    assert destination.environment_id in {None, item.environment_id}, "crossed environments"
    reached = who(destination.readers)
    assert reached <= allowed_readers(item, actor_org), (
        f"{item.tlp} reached {reached - allowed_readers(item, actor_org)}")
    if ANONYMOUS in reached:
        assert item.tlp == CLEAR and not item.from_consultation, "made public"
    if destination.kind == Kind.MAIL:
        assert item.tlp in {CLEAR, GREEN}, f"{item.tlp} written into a mail body"
    if destination.kind == Kind.PUBLIC:
        assert item.tlp == CLEAR and not item.from_consultation
    # (A new audience for a consultation report is an edit: `widening_refusal` decides it.)
    if item.from_consultation and not destination.sanitised_summary and \
            destination.kind != Kind.AUDIENCE:
        own = {p for p in UNIVERSE if p != ANONYMOUS and org_of(p) == actor_org}
        assert reached <= who(item.readers) | own, (
            f"a consultation report reached {reached - who(item.readers) - own} "
            f"through {destination.kind}")


# --- refusal: as far as TLP 2.0 allows (completeness) ---------------------------------------

ONE_READER = Readers.person(11, 1)


def _item(tlp, readers=ONE_READER, origin=1, env=1, consultation=False):
    return Item(tlp=tlp, readers=readers, origin_organisation_id=origin, environment_id=env,
                from_consultation=consultation)


def _to(readers, kind=Kind.COMMUNITY, env=1, sanitised=False):
    return Destination(kind=kind, readers=readers, environment_id=env,
                       sanitised_summary=sanitised)


def test_clear_goes_anywhere_the_public_page_included():
    for kind in Kind:
        assert refusal(_item(CLEAR), _to(Readers.anyone(), kind),
                       actor_organisation_id=2) is None, kind


def test_green_goes_anywhere_on_the_platform_but_never_public():
    for kind in set(Kind) - {Kind.PUBLIC}:
        assert refusal(_item(GREEN), _to(Readers.everyone(), kind),
                       actor_organisation_id=2) is None, kind
    assert refusal(_item(GREEN), _to(Readers.anyone(), Kind.PUBLIC), actor_organisation_id=1)
    assert refusal(_item(GREEN), _to(Readers.anyone()), actor_organisation_id=1)


AMBER_READERS = Readers(organisations=frozenset({1}), people=frozenset({(21, 2)}))


@pytest.mark.parametrize("tlp", [AMBER, STRICT])
def test_amber_a_reader_passes_on_inside_their_own_organisation(tlp):
    item = _item(tlp, AMBER_READERS, origin=1)
    # A reader of organisation 2, named in person, passes it on to their organisation.
    assert refusal(item, _to(Readers.organisation(2)), actor_organisation_id=2) is None
    assert refusal(item, _to(Readers.person(22, 2)), actor_organisation_id=2) is None
    # ... but not to a third organisation, nor to everyone.
    for readers in (Readers.organisation(3), Readers(organisations=frozenset({2, 3})),
                    Readers.everyone(), Readers.person(31, 3)):
        assert refusal(item, _to(readers), actor_organisation_id=2), (tlp, readers)


def test_amber_the_originating_organisation_chooses_wider_recipients_amber_strict_not():
    wide = _to(Readers(organisations=frozenset(ORGS)))
    assert refusal(_item(AMBER, AMBER_READERS, origin=1), wide, actor_organisation_id=1) is None
    assert refusal(_item(AMBER, AMBER_READERS, origin=1), _to(Readers.everyone()),
                   actor_organisation_id=1) is None
    assert refusal(_item(AMBER, AMBER_READERS, origin=1), wide, actor_organisation_id=2)
    assert refusal(_item(STRICT, AMBER_READERS, origin=1), wide, actor_organisation_id=1)
    # Never public, not even from the origin.
    assert refusal(_item(AMBER, origin=1), _to(Readers.anyone()), actor_organisation_id=1)


def test_amber_never_goes_into_a_collection_every_organisation_reads_from_a_reader():
    reason = refusal(_item(AMBER, AMBER_READERS, origin=1),
                     _to(Readers.everyone(), Kind.CURATED, env=None), actor_organisation_id=2)
    assert reason and reason != refusal(
        _item(AMBER, AMBER_READERS, origin=1), _to(Readers.everyone()), actor_organisation_id=2)


def test_red_stays_with_the_people_it_names():
    named = Readers(people=frozenset({(11, 1), (21, 2), (31, 3)}))
    item = _item(RED, named, origin=1)
    for actor in ORGS:
        assert refusal(item, _to(Readers(people=frozenset({(21, 2), (31, 3)}))),
                       actor_organisation_id=actor) is None
        assert refusal(item, _to(named), actor_organisation_id=actor) is None
        # Not one more person, not even of the passer's own organisation or the origin's.
        assert refusal(item, _to(Readers(people=named.people | {(12, 1)})),
                       actor_organisation_id=actor)
        assert refusal(item, _to(Readers.organisation(actor)), actor_organisation_id=actor)
        assert refusal(item, _to(Readers.everyone()), actor_organisation_id=actor)


@pytest.mark.parametrize("tlp", WIDEST_FIRST)
def test_moving_to_readers_who_read_it_already_is_allowed(tlp):
    readers = Readers(organisations=frozenset({2}), people=frozenset({(11, 1), (31, 3)}))
    item = _item(tlp, readers, origin=1)
    narrower_sets = [Readers.person(31, 3), Readers.person(22, 2), Readers(people=readers.people),
                     readers, Readers.organisation(2)]
    for narrower in narrower_sets:
        for kind in (Kind.COMMUNITY, Kind.AUDIENCE, Kind.EXPORT, Kind.FEED, Kind.SITUATION):
            assert refusal(item, _to(narrower, kind), actor_organisation_id=3) is None, (
                tlp, narrower, kind)


def test_mail_bodies_carry_clear_and_green_only():
    for tlp in WIDEST_FIRST:
        reason = refusal(_item(tlp), _to(Readers.person(11, 1), Kind.MAIL, env=None),
                         actor_organisation_id=1)
        assert (reason is None) == (tlp in {CLEAR, GREEN}), tlp


@pytest.mark.parametrize("tlp", WIDEST_FIRST)
def test_nothing_crosses_environments(tlp):
    item = _item(tlp, Readers.everyone(), env=1)
    assert refusal(item, _to(Readers.person(11, 1), env=2), actor_organisation_id=1)
    assert refusal(item, _to(Readers.person(11, 1), Kind.AUDIENCE, env=2),
                   actor_organisation_id=1)
    assert refusal(item, _to(Readers.person(11, 1), env=1), actor_organisation_id=1) is None


@pytest.mark.parametrize("tlp", WIDEST_FIRST)
def test_consultation_reports_leave_the_window_only_as_the_sanitised_summary(tlp):
    reporter_and_centre = Readers(organisations=frozenset({1, 3}))
    item = _item(tlp, reporter_and_centre, origin=1, consultation=True)
    for kind in (Kind.COMMUNITY, Kind.CURATED, Kind.MAIL, Kind.SITUATION, Kind.PUBLIC):
        for readers in (Readers.organisation(2), Readers.everyone(), Readers.anyone()):
            assert refusal(item, _to(readers, kind), actor_organisation_id=1), (kind, readers)
    # Not even to the readers it has already, e.g. a mail body or another community of theirs.
    assert refusal(item, _to(Readers.organisation(1), Kind.MAIL), actor_organisation_id=1)
    assert refusal(item, _to(Readers.organisation(1)), actor_organisation_id=1)
    # Its readers' own downloads and machines, and its own audience, stay possible.
    if tlp != RED:
        assert refusal(item, _to(Readers.person(11, 1), Kind.EXPORT, env=None),
                       actor_organisation_id=1) is None
        assert refusal(item, _to(Readers.organisation(3), Kind.FEED, env=None),
                       actor_organisation_id=3) is None
    # ... and only to them: a download or a feed read by other organisations is outside.
    for kind in (Kind.EXPORT, Kind.FEED):
        for readers in (Readers.organisation(2), Readers.everyone()):
            assert refusal(item, _to(readers, kind, env=None), actor_organisation_id=1), (
                tlp, kind, readers)
    # The reviewed sanitised summary is the way out, but never onto the public page.
    if tlp in {CLEAR, GREEN}:
        assert refusal(item, _to(Readers.everyone(), Kind.SITUATION, sanitised=True),
                       actor_organisation_id=3) is None
    assert refusal(item, _to(Readers.anyone(), Kind.PUBLIC, sanitised=True),
                   actor_organisation_id=3)


def test_refusals_say_why():
    cases = {
        "environment": (_item(GREEN), _to(Readers.person(11, 1), env=2)),
        "consultation": (_item(GREEN, consultation=True), _to(Readers.everyone())),
        "mail": (_item(AMBER), _to(Readers.person(11, 1), Kind.MAIL)),
        "public": (_item(GREEN), _to(Readers.anyone(), Kind.PUBLIC)),
        "red": (_item(RED), _to(Readers.person(21, 2))),
        "strict": (_item(STRICT), _to(Readers.organisation(3))),
        "amber": (_item(AMBER), _to(Readers.organisation(3))),
        "curated": (_item(AMBER), _to(Readers.everyone(), Kind.CURATED)),
    }
    reasons = {name: refusal(item, dest, actor_organisation_id=2)
               for name, (item, dest) in cases.items()}
    assert all(reasons.values()), reasons
    assert len(set(reasons.values())) == len(reasons), "two refusals give the same message"
    for name in ("mail", "public", "red", "strict", "amber"):
        tlp = cases[name][0].tlp
        assert TLP(tlp).label in reasons[name] or name == "public", (name, reasons[name])
    assert "TLP:GREEN" in reasons["public"]


# --- edits: only the origin widens -----------------------------------------------------------

@settings(**RULE)
@given(before=items, tlp=tlps, readers=readers_sets, actor_org=st.sampled_from(ORGS))
def test_only_the_originating_organisation_widens_an_edit(before, tlp, readers, actor_org):
    reason = widening_refusal(before, tlp=tlp, readers=readers, actor_organisation_id=actor_org)
    if actor_org == before.origin_organisation_id:
        assert reason is None
        return
    wider_tlp = WIDEST_FIRST.index(tlp) < WIDEST_FIRST.index(before.tlp)
    wider_readers = not who(readers) <= who(before.readers)
    assert (reason is None) == (not wider_tlp and not wider_readers), (before, tlp, readers)
    if reason:
        with pytest.raises(ServiceError) as raised:
            check_widening(before, tlp=tlp, readers=readers, actor_organisation_id=actor_org)
        assert reason in raised.value.messages
    else:
        check_widening(before, tlp=tlp, readers=readers, actor_organisation_id=actor_org)


def test_narrowing_is_anyone_who_edits():
    before = _item(GREEN, Readers(organisations=frozenset({1, 2})), origin=1)
    assert widening_refusal(before, tlp=RED, readers=Readers.person(21, 2),
                            actor_organisation_id=3) is None
    assert widening_refusal(before, tlp=AMBER, readers=before.readers,
                            actor_organisation_id=3) is None
    assert widening_refusal(before, tlp=CLEAR, readers=before.readers, actor_organisation_id=3)
    assert widening_refusal(before, tlp=GREEN, readers=Readers.everyone(),
                            actor_organisation_id=3)
    assert widening_refusal(before, tlp=CLEAR, readers=Readers.everyone(),
                            actor_organisation_id=1) is None


# --- strictness and the markings each kind of destination takes ------------------------------

def test_strictness_orders_the_markings_widest_first():
    assert [strictness(t) for t in WIDEST_FIRST] == sorted(strictness(t) for t in WIDEST_FIRST)
    assert len({strictness(t) for t in WIDEST_FIRST}) == 5
    for a, b in product(WIDEST_FIRST, repeat=2):
        assert stricter(a, b) == WIDEST_FIRST[max(WIDEST_FIRST.index(a), WIDEST_FIRST.index(b))]


@pytest.mark.parametrize(("kind", "consultation", "expected"), [
    (Kind.EXPORT, False, {CLEAR, GREEN, AMBER, STRICT, RED}),  # a file for the reader alone
    (Kind.FEED, False, {CLEAR, GREEN, AMBER, STRICT}),  # a machine of the reader's organisation
    (Kind.MAIL, False, {CLEAR, GREEN}),
    (Kind.CURATED, False, {CLEAR, GREEN}),
    (Kind.PUBLIC, False, {CLEAR}),
    (Kind.MAIL, True, set()),  # consultation reports: never in a mail body
    (Kind.CURATED, True, set()),
    (Kind.PUBLIC, True, set()),
    (Kind.EXPORT, True, {CLEAR, GREEN, AMBER, STRICT, RED}),
])
def test_passable_tlps(kind, consultation, expected):
    assert set(passable_tlps(kind, from_consultation=consultation)) == expected
