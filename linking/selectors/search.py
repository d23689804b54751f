"""Text search shared by the lists: matching ids first when they are few."""

from __future__ import annotations

from django.db.models import (
    Q,
    QuerySet,
)

# A search matches a few hundred rows among hundreds of thousands. Read in the list's order,
# the planner hopes to meet a page of matches early and walks the whole index when they are
# rare; asked for the matches alone, each condition reads its own index. Past this many
# matches the term is common and the ordered read does meet a page at once.
SEARCH_ID_LIMIT = 2000


def narrowed(qs: QuerySet, *matches: Q) -> QuerySet:
    """`qs` filtered by any of `matches`, with the matching ids found first when they are few:
    one query, a union of one index read per condition."""
    parts = [qs.filter(match).order_by().values_list("pk", flat=True) for match in matches]
    union = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
    ids = list(union[: SEARCH_ID_LIMIT + 1])
    if len(ids) > SEARCH_ID_LIMIT:
        any_match = Q()
        for match in matches:
            any_match |= match
        return qs.filter(any_match)
    return qs.filter(pk__in=ids)


def is_reference_number(text: str) -> bool:
    """ASCII digits that fit a bigint: "²".isdigit() is true, yet int() refuses it."""
    return text.isascii() and text.isdigit() and len(text) < 19
