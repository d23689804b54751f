"""Pagination that stays fast deep in a long list.

Next and Previous links carry the row they continue from (`after=<pk>` / `before=<pk>`), so a
page deep in a list of 200,000 rows is one indexed range read instead of an OFFSET that scans
every row before it. A bare `?page=N` still works (an offset, fine for the first pages). The
total is counted only up to `COUNT_CAP` rows: past it the page says "more than 1,000".
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet, Subquery

COUNT_CAP = 1_000
# A `?page=N` beyond this is read as this: the offset stays within what the database accepts.
PAGE_CAP = 100_000


def _positive(value: str | None, cap: int = 2**62) -> int | None:
    """A positive integer of ASCII digits up to `cap`, else None ("²".isdigit() is true, yet
    int() refuses it)."""
    if not value or not (value.isascii() and value.isdigit()) or len(value) > 19:
        return None
    number = int(value)
    return min(number, cap) if number > 0 else None


@dataclass
class Page:
    """What `linking/_pagination.html` shows; `page.paginator` is the page itself, so the
    attributes of Django's Page and Paginator that templates use keep working."""

    object_list: list
    number: int
    count: int
    count_capped: bool
    per_page: int
    has_next: bool
    has_previous: bool
    next_query: str
    previous_query: str

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    @property
    def paginator(self) -> Page:
        return self

    @property
    def num_pages(self) -> int | None:
        if self.count_capped:
            return None
        return max(1, -(-self.count // self.per_page))

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


def _keyset(qs: QuerySet, ordering: tuple[str, str], pk: int, forward: bool) -> QuerySet:
    """Rows strictly after (or before) the row `pk` in `ordering` (a field, then the pk in the
    same direction). The anchor's sort value is read by a subquery, so the link carries only
    an id; the redundant bound lets the index start its range scan at the anchor.

    The anchor is looked up in `qs` itself (the viewer's reseller and the list's filters): a
    row outside it has no sort value here, so it yields no rows and tells nothing of itself
    (not whether it exists, nor when it was made)."""
    key = ordering[0]
    name = key.lstrip("-")
    descending = key.startswith("-")
    value = Subquery(qs.order_by().filter(pk=pk).values(name)[:1])
    beyond = "lt" if descending == forward else "gt"
    return qs.filter(
        Q(**{f"{name}__{beyond}": value}) | Q(**{name: value, f"pk__{beyond}": pk}),
        **{f"{name}__{beyond}e": value},
    )


def _reverse(ordering: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f[1:] if f.startswith("-") else f"-{f}" for f in ordering)


def paginate(request, qs: QuerySet, *, ordering: tuple[str, str], per_page: int | None = None):
    """One page of `qs` in `ordering`, as asked by the request's `page`, `after` or `before`.

    Two queries (the capped count and the rows), whatever the depth of the page; one when
    the list is empty; three when `after` or `before` anchors on no row of the list (then
    the first page is shown).
    """
    per_page = per_page or settings.PORTAL_PAGE_SIZE
    number = _positive(request.GET.get("page"), PAGE_CAP) or 1
    after = _positive(request.GET.get("after"))
    before = _positive(request.GET.get("before"))
    counted = qs.order_by().values("pk")[: COUNT_CAP + 1].count()
    capped = counted > COUNT_CAP
    count = min(counted, COUNT_CAP)
    rows: list = []
    if count and after is not None:
        rows = list(_keyset(qs, ordering, after, True).order_by(*ordering)[: per_page + 1])
        has_next, has_previous = len(rows) > per_page, True
        rows = rows[:per_page]
        number = max(number, 2)
    elif count and before is not None:
        rows = list(
            _keyset(qs, ordering, before, False).order_by(*_reverse(ordering))[: per_page + 1]
        )
        has_previous = len(rows) > per_page
        rows = rows[:per_page][::-1]
        has_next = True
        number = max(number, 2) if has_previous else 1
    if count == 0:
        number, has_next, has_previous = 1, False, False
    elif not rows:
        if after is not None or before is not None:
            # The anchor is no row of this list (another reseller's, one the filters leave
            # out, one gone since) or nothing lies beyond it: the first page.
            number = 1
        elif not capped:
            # Like Django's get_page: past the end is the last page.
            number = min(number, max(1, -(-count // per_page)))
        start = (number - 1) * per_page
        rows = list(qs.order_by(*ordering)[start : start + per_page + 1])
        has_next, has_previous = len(rows) > per_page, number > 1
        rows = rows[:per_page]
    next_query = f"page={number + 1}&after={rows[-1].pk}" if has_next and rows else ""
    previous_query = ""
    if has_previous:
        previous_query = (
            "page=1" if number == 2 or not rows else f"page={number - 1}&before={rows[0].pk}"
        )
    return Page(
        object_list=rows,
        number=number,
        count=count,
        count_capped=capped,
        per_page=per_page,
        has_next=has_next,
        has_previous=has_previous,
        next_query=next_query,
        previous_query=previous_query,
    )


def query_without_paging(request) -> str:
    """The request's query string without its page, for the links of the next pages."""
    params = request.GET.copy()
    for name in ("page", "after", "before"):
        params.pop(name, None)
    return params.urlencode()
