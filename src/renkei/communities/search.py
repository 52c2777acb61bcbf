"""Topic search: one query object, parsed from GET parameters, run through the visibility rule.

Pages, exports and the API all build a `TopicQuery` with `parse_topic_query` and run it with
`search_topics`, so they accept the same parameters, refuse the same bad input with the same
message, and never show a topic `readable_topics` would not.
"""

import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import StrIndex
from django.utils.translation import gettext as _

from renkei.accounts.models import Organisation
from renkei.communities import search_index
from renkei.communities.models import (
    Acknowledgement,
    InformationKind,
    ReaderLevel,
    TopicSearchEntry,
    TopicTag,
)
from renkei.communities.search_index import TERM_MAX, normalise
from renkei.errors import ServiceError
from renkei.sharing.models import LIVE_ENVIRONMENT_ID, TLP
from renkei.sharing.visibility import readable_communities, readable_topics

QUERY_MIN = 2
QUERY_MAX = 200
# Each word is one index lookup; more than this is no longer a search but a list.
TERMS_MAX = 8
SORTS = ("updated", "created", "acks")
# The tag filter's name for "no tag" (the stored value is the empty string).
NO_TAG = "none"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


@dataclass(frozen=True)
class TopicQuery:
    """A search as the user asked for it; empty tuples and None mean "no filter"."""

    q: str = ""
    community_ids: tuple[int, ...] = ()
    kinds: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    tlps: tuple[str, ...] = ()
    reader_levels: tuple[str, ...] = ()
    author_organisation_ids: tuple[int, ...] = ()
    date_from: date | None = None  # first day included (Asia/Tokyo)
    date_to: date | None = None  # last day included (Asia/Tokyo)
    acknowledged: bool | None = None  # by the searching user
    sort: str | None = None  # None: title hits first when searching, then last update


# --- parsing ---------------------------------------------------------------------------------

def _values(params, name: str) -> list[str]:
    """Every non-empty value of one parameter, from a QueryDict or a dict of lists/strings."""
    if hasattr(params, "getlist"):
        raw = params.getlist(name)
    else:
        raw = params.get(name, [])
        if raw is None:
            raw = []
        elif isinstance(raw, (str, int)):
            raw = [raw]
    return [str(value).strip() for value in raw if str(value).strip()]


def _last(params, name: str) -> str:
    values = _values(params, name)
    return values[-1] if values else ""


def _ids(values: list[str], errors: list[str], message: str) -> tuple[int, ...]:
    ids = []
    for value in values:
        if not value.isascii() or not value.isdigit() or len(value) > 18:
            errors.append(message % {"value": value[:50]})
        else:
            ids.append(int(value))
    return tuple(dict.fromkeys(ids))


def _choices(values: list[str], allowed, errors: list[str], message: str) -> tuple[str, ...]:
    chosen = []
    for value in values:
        if value in allowed:
            chosen.append(value)
        else:
            errors.append(message % {"value": value[:50]})
    return tuple(dict.fromkeys(chosen))


def _tlps(values: list[str], errors: list[str]) -> tuple[str, ...]:
    chosen = []
    for value in values:
        try:
            chosen.append(TLP.parse(value).value)
        except ValueError:
            errors.append(_("Unknown TLP: %(value)s.") % {"value": value[:50]})
    return tuple(dict.fromkeys(chosen))


def _tags(values: list[str], errors: list[str]) -> tuple[str, ...]:
    allowed = {NO_TAG: "", **{tag: tag for tag in TopicTag.values if tag}}
    chosen = []
    for value in values:
        if value in allowed:
            chosen.append(allowed[value])
        else:
            errors.append(_("Unknown tag: %(value)s.") % {"value": value[:50]})
    return tuple(dict.fromkeys(chosen))


def _day(value: str, errors: list[str]) -> date | None:
    if not value:
        return None
    try:
        if not _DATE.fullmatch(value):
            raise ValueError
        day = date.fromisoformat(value)
        if not 1000 <= day.year <= 9998:  # keeps the Asia/Tokyo day bounds representable
            raise ValueError
        return day
    except ValueError:
        errors.append(_("Not a date (YYYY-MM-DD): %(value)s.") % {"value": value[:50]})
        return None


def _acknowledged(value: str, errors: list[str]) -> bool | None:
    if value in ("", "any"):
        return None
    if value in ("yes", "no"):
        return value == "yes"
    errors.append(_("Unknown value for acknowledged: %(value)s (use yes or no).")
                  % {"value": value[:50]})
    return None


def search_terms(q: str) -> list[str]:
    """The normalised words of a search, each to be found somewhere in a topic. A word of one
    character cannot be looked up alone, so it stays with its neighbour ("Windows 7" is one
    term, found as written)."""
    terms: list[str] = []
    pending = ""
    for word in normalise(q).split():
        if len(word) == 1 and terms and not pending:
            terms[-1] += " " + word
        elif len(word) == 1:
            pending = f"{pending} {word}".strip()
        else:
            terms.append(f"{pending} {word}".strip())
            pending = ""
    if pending:
        if terms:
            terms[-1] += " " + pending
        else:
            terms.append(pending)
    return terms


def _q_errors(q: str) -> list[str]:
    if len(q) > QUERY_MAX:
        return [_("Search for at most %(max)d characters (this search has %(n)d).")
                % {"max": QUERY_MAX, "n": len(q)}]
    terms = search_terms(q)
    if sum(len(term) for term in terms) < QUERY_MIN:
        return [_("Search for at least %(min)d characters.") % {"min": QUERY_MIN}]
    if len(terms) > TERMS_MAX:
        return [_("Search for at most %(max)d words at once.") % {"max": TERMS_MAX}]
    if any(len(term) > TERM_MAX for term in terms):
        return [_("This search is too long.")]
    return []


def _check_q(q: str, errors: list[str]) -> str:
    if q:
        errors += _q_errors(q)
    return q


def _check_known(query: TopicQuery, user, environment_id: int, errors: list[str]) -> None:
    """Ids must name something the user can see; a community they cannot read is as unknown
    as one that does not exist (the same message, so nothing is revealed)."""
    if query.community_ids:
        known = set(readable_communities(user, environment_id)
                    .filter(id__in=query.community_ids).values_list("id", flat=True))
        for missing in sorted(set(query.community_ids) - known):
            errors.append(_("Unknown community: %(value)s.") % {"value": missing})
    if query.author_organisation_ids:
        known = set(Organisation.objects.filter(id__in=query.author_organisation_ids)
                    .values_list("id", flat=True))
        for missing in sorted(set(query.author_organisation_ids) - known):
            errors.append(_("Unknown organisation: %(value)s.") % {"value": missing})


def parse_topic_query(params: Mapping, user,
                      environment_id: int = LIVE_ENVIRONMENT_ID) -> TopicQuery:
    """The search the GET parameters describe; ServiceError (every problem at once) if any
    value is unknown or out of range. Parameters it does not know (page, confined…) are left
    to the caller."""
    errors: list[str] = []
    sort = _last(params, "sort") or None
    if sort is not None and sort not in SORTS:
        errors.append(_("Unknown sort order: %(value)s.") % {"value": sort[:50]})
        sort = None
    query = TopicQuery(
        q=_check_q(_last(params, "q"), errors),
        community_ids=_ids(_values(params, "community"), errors,
                           _("Unknown community: %(value)s.")),
        kinds=_choices(_values(params, "kind"), InformationKind.values, errors,
                       _("Unknown kind of information: %(value)s.")),
        tags=_tags(_values(params, "tag"), errors),
        tlps=_tlps(_values(params, "tlp"), errors),
        reader_levels=_choices(_values(params, "level"), ReaderLevel.values, errors,
                               _("Unknown reader level: %(value)s.")),
        author_organisation_ids=_ids(_values(params, "org"), errors,
                                     _("Unknown organisation: %(value)s.")),
        date_from=_day(_last(params, "from"), errors),
        date_to=_day(_last(params, "to"), errors),
        acknowledged=_acknowledged(_last(params, "acked"), errors),
        sort=sort,
    )
    if query.date_from and query.date_to and query.date_from > query.date_to:
        errors.append(_("The start date is after the end date."))
    if not errors:
        _check_known(query, user, environment_id, errors)
    if errors:
        raise ServiceError(errors)
    return query


# --- running ---------------------------------------------------------------------------------

def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=_TOKYO)


def _filtered(topics: QuerySet, query: TopicQuery, user) -> QuerySet:
    if query.community_ids:
        topics = topics.filter(community_id__in=query.community_ids)
    if query.kinds:
        topics = topics.filter(kind__in=query.kinds)
    if query.tags:
        topics = topics.filter(tag__in=query.tags)
    if query.tlps:
        topics = topics.filter(tlp__in=query.tlps)
    if query.reader_levels:
        topics = topics.filter(reader_level__in=query.reader_levels)
    if query.author_organisation_ids:
        topics = topics.filter(author_organisation_id__in=query.author_organisation_ids)
    if query.date_from:
        topics = topics.filter(created_at__gte=_start_of(query.date_from))
    if query.date_to:
        topics = topics.filter(created_at__lt=_start_of(query.date_to + timedelta(days=1)))
    if query.acknowledged is not None:
        mine = Exists(Acknowledgement.objects.filter(topic_id=OuterRef("pk"), user_id=user.id))
        topics = topics.filter(mine if query.acknowledged else ~mine)
    return topics


def _containing(term: str, *, title_only: bool = False) -> Q:
    sql, params = search_index.topic_ids_sql(term, title_only=title_only)
    return Q(id__in=RawSQL(sql, params))


def _matched(topics: QuerySet, terms: list[str], *, rank: bool) -> QuerySet:
    """Topics with every term somewhere (title, body, a comment or a file name); with `rank`,
    each marked `title_hit` when its title holds every term."""
    in_title = Q()
    for term in terms:
        topics = topics.filter(_containing(term))
        in_title &= _containing(term, title_only=True)
    if not rank:
        return topics
    return topics.annotate(title_hit=ExpressionWrapper(in_title, output_field=BooleanField()))


_ORDER = {
    "updated": ("-updated_at", "-id"),
    "created": ("-created_at", "-id"),
    "acks": ("-ack_count", "-updated_at", "-id"),
}


def _checked_terms(query: TopicQuery) -> list[str]:
    errors = _q_errors(query.q)
    if errors:
        raise ServiceError(errors)
    return search_terms(query.q)


def search_topics(user, query: TopicQuery,
                  environment_id: int = LIVE_ENVIRONMENT_ID) -> QuerySet:
    """Topics the user may read that match the query, in the order it asks for: by default,
    when searching, topics whose title holds the words come first, then the most recent.
    A query built without `parse_topic_query` is checked the same way (ServiceError)."""
    topics = _filtered(readable_topics(user, environment_id), query, user)
    order = _ORDER[query.sort or "updated"]
    if not query.q:
        return topics.order_by(*order)
    topics = _matched(topics, _checked_terms(query), rank=query.sort is None)
    if query.sort is None:
        order = ("-title_hit", *order)
    return topics.order_by(*order)


def _title_holds(term: str) -> Exists:
    """The topic's own title entry contains the term: one indexed row per topic, so the
    database can check it topic by topic while it walks the newest first."""
    return Exists(TopicSearchEntry.objects.filter(topic_id=OuterRef("pk"), field=search_index.TITLE)
                  .annotate(at=StrIndex("text", Value(term))).filter(at__gt=0))


def search_parts(user, query: TopicQuery,
                 environment_id: int = LIVE_ENVIRONMENT_ID) -> tuple[QuerySet, QuerySet]:
    """`search_topics` as two lists, the first followed by the second, for a paged page.

    Ranked by title, one ordered list must find every match before it can show the first
    twenty; two lists (titles holding the words, then the others), each by recency, let the
    database walk the newest topics and stop after a page when a word is common."""
    topics = search_topics(user, replace(query, sort=query.sort or "updated"), environment_id)
    if not query.q or query.sort is not None:
        return topics.none(), topics
    in_title, elsewhere = Q(), Q()
    for term in search_terms(query.q):
        in_title &= _containing(term, title_only=True)
        elsewhere |= ~_title_holds(term)
    return topics.filter(in_title), topics.filter(elsewhere)
