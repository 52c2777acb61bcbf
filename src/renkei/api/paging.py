"""Cursor paging for API lists: keyset paging over whatever order the list's queryset has.

A cursor is opaque to clients: a signed token holding the sort key of the last item returned and
a hash of the query that produced it (the caller's id and the filter parameters). So a page
never shifts when topics are added meanwhile, a tampered cursor fails its signature, and a cursor
from another query or another person is refused rather than silently giving wrong results.

The keyset works for any ordering: each ORDER BY term (a field name or an expression such as a
search rank) is annotated under a name of its own, so the last item's values can be read back and
compared with. The primary key is appended as the last tie-breaker, so every item appears exactly
once however many share a timestamp.
"""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.core import signing
from django.db.models import F, OrderBy, Q, QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from renkei.errors import ServiceError

SALT = "api.cursor"
DEFAULT_LIMIT = 50
MAX_LIMIT = 100
# Query parameters that move through the list rather than choose it.
PAGING_PARAMS = frozenset({"cursor", "limit"})


@dataclass(frozen=True)
class _Key:
    alias: str  # the name the term's value is read back under
    descending: bool


def query_hash(scope: str, params) -> str:
    """What a cursor is bound to: the scope (who asked, which list) and every filter
    parameter."""
    items = []
    for name in sorted(set(params.keys()) - PAGING_PARAMS):
        values = params.getlist(name) if hasattr(params, "getlist") else [params[name]]
        items.append((name, sorted(str(v) for v in values)))
    raw = repr((scope, items)).encode()
    return hashlib.sha256(raw).hexdigest()[:24]


def _keyed(queryset: QuerySet) -> tuple[QuerySet, list[_Key]]:
    """The queryset ordered by named keys only, ending with the primary key."""
    ordering = list(queryset.query.order_by) or list(queryset.model._meta.ordering)
    annotations, keys = {}, []
    for i, term in enumerate(ordering):
        if isinstance(term, str):
            descending = term.startswith("-")
            expression = F(term.lstrip("-"))
        elif isinstance(term, OrderBy):
            descending, expression = term.descending, term.expression
        else:  # a bare expression sorts ascending
            descending, expression = False, term
        alias = f"cursor_k{i}"
        annotations[alias] = expression
        keys.append(_Key(alias, descending))
    if not any(isinstance(t, str) and t.lstrip("-") in {"pk", "id"} for t in ordering):
        annotations["cursor_pk"] = F("pk")
        keys.append(_Key("cursor_pk", keys[-1].descending if keys else False))
    ordered = queryset.annotate(**annotations).order_by(
        *[f"-{k.alias}" if k.descending else k.alias for k in keys])
    return ordered, keys


def _encode(value):
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"dec": str(value)}
    return value


def _decode(value):
    if isinstance(value, dict):
        if "dt" in value:
            return parse_datetime(value["dt"])
        if "d" in value:
            return date.fromisoformat(value["d"])
        if "dec" in value:
            return Decimal(value["dec"])
    return value


def _after(keys: list[_Key], values: list) -> Q:
    """Rows strictly after the given key values in the keyset's order."""
    condition = Q(pk__in=[])
    equal = Q()
    for key, value in zip(keys, values, strict=True):
        if value is None:
            # NULLs cannot be compared; such a term only narrows through equality.
            equal &= Q(**{f"{key.alias}__isnull": True})
            continue
        lookup = "lt" if key.descending else "gt"
        condition |= equal & Q(**{f"{key.alias}__{lookup}": value})
        equal &= Q(**{key.alias: value})
    return condition


def _refused() -> ServiceError:
    return ServiceError(_("The cursor is not valid for this list: it was changed, or it "
                          "belongs to another query. Start again without a cursor."))


def page(queryset: QuerySet, *, cursor: str | None, limit: int, bound_to: str,
         fields: tuple[str, ...] = ()) -> tuple[list, str | None]:
    """One page of `queryset` after `cursor`, and the cursor for the next page (or None).

    With `fields`, rows are dicts of just those values (no model instances, no unused columns
    such as a topic's body): the fast path for long lists."""
    ordered, keys = _keyed(queryset)
    if cursor:
        try:
            data = signing.loads(cursor, salt=SALT)
        except signing.BadSignature as exc:
            raise _refused() from exc
        if not isinstance(data, dict) or data.get("q") != bound_to or not isinstance(
                data.get("k"), list) or len(data["k"]) != len(keys):
            raise _refused()
        try:
            ordered = ordered.filter(_after(keys, [_decode(v) for v in data["k"]]))
        except (TypeError, ValueError) as exc:
            raise _refused() from exc
    if fields:
        ordered = ordered.values(*fields, *[key.alias for key in keys])
    rows = list(ordered[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    values = [last[key.alias] if fields else getattr(last, key.alias) for key in keys]
    token = signing.dumps(
        {"q": bound_to, "k": [_encode(value) for value in values]},
        salt=SALT, compress=True,
    )
    return rows, token
