"""Paging for topic lists that stays fast in communities with tens of thousands of topics.

Two things make a naive `Paginator` over "must-see first, then newest" slow at that size:
ordering by (is_pinned, updated_at) cannot walk the (community, updated_at) index, and an exact
count has to check the visibility rule on every topic of the community. So must-see topics and
the others are fetched as two lists (each walks an index and stops after one page), and the
others are counted exactly only up to a bound that always lies beyond the page shown; past it
the page says "more than N".
"""

from dataclasses import dataclass

from django.db.models import QuerySet

# Counts up to this many topics are exact.
COUNT_FLOOR = 1000
# How many pages past the current one the count always reaches, so "next" always works.
LOOKAHEAD_PAGES = 5
MAX_PAGE = 100_000


@dataclass
class ListPage:
    """What templates need of a page; `paginator` is the page itself, as with Django's Page."""

    object_list: list
    number: int
    per_page: int
    count: int
    count_is_lower_bound: bool

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    @property
    def paginator(self) -> "ListPage":
        return self

    @property
    def num_pages(self) -> int | None:
        if self.count_is_lower_bound:
            return None
        return max(1, -(-self.count // self.per_page))

    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.object_list else 0

    def end_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.object_list)

    def has_previous(self) -> bool:
        return self.number > 1

    def has_next(self) -> bool:
        return self.count_is_lower_bound or self.number < (self.num_pages or 1)

    def previous_page_number(self) -> int:
        return self.number - 1

    def next_page_number(self) -> int:
        return self.number + 1


def _page_number(raw) -> int:
    try:
        number = int(raw)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), MAX_PAGE)


def pinned_first_page(pinned: QuerySet, others: QuerySet, raw_number, per_page: int) -> ListPage:
    """One page of `pinned` followed by `others` (two disjoint, ordered querysets)."""
    number = _page_number(raw_number)
    offset = (number - 1) * per_page
    bound = max(COUNT_FLOOR, offset + per_page * (1 + LOOKAHEAD_PAGES))
    # Must-see lists are short; search's first list (title hits) may not be: bound both.
    pinned_count = pinned[: bound + 1].count()
    others_count = others[: bound + 1].count() if pinned_count <= bound else 0
    lower_bound = pinned_count > bound or others_count > bound
    count = min(pinned_count, bound) + min(others_count, bound)
    if not lower_bound and offset >= count > 0:
        number = -(-count // per_page)  # past the end: show the last page
        offset = (number - 1) * per_page
    rows = list(pinned[offset : offset + per_page]) if offset < pinned_count else []
    if len(rows) < per_page:
        start = max(0, offset - pinned_count)
        rows += list(others[start : start + per_page - len(rows)])
    return ListPage(rows, number, per_page, count, lower_bound)
