"""Reads of batches and their rows."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet

from accounts.models import Reseller
from linking.models import Batch, BatchRow
from linking.selectors.link_setup import described, link_state_cells, links_of_requests


def batch_list_for_reseller(*, reseller: Reseller) -> QuerySet[Batch]:
    """The reseller's batches, newest first, with the uploader."""
    return Batch.objects.filter(reseller=reseller).select_related("uploaded_by", "run_by")


def batch_get_for_reseller(*, reseller: Reseller, pk: int) -> Batch | None:
    """One batch of the reseller, or None (another reseller's batch does not exist for you)."""
    return batch_list_for_reseller(reseller=reseller).filter(pk=pk).first()


def batch_rows(*, batch: Batch, outcome: str = "") -> QuerySet[BatchRow]:
    """The rows of a batch in file order, optionally of one outcome."""
    qs = batch.rows.all()
    if outcome:
        qs = qs.filter(outcome=outcome)
    return qs.order_by("row_number")


def batch_result_rows(*, batch: Batch) -> Iterator[tuple]:
    """Row number, key, account, outcome, request id and codes of every row, for the CSV."""
    return (
        batch.rows.order_by("row_number")
        .values_list("row_number", "key", "account_id", "outcome", "request_id", "codes", "reasons")
        .iterator(chunk_size=RESULT_CHUNK)
    )


def with_links(rows: list[BatchRow]) -> list[BatchRow]:
    """The rows of a page, each with `links`: what its request's accepted items made, with
    their setup and verification (one query for the page)."""
    links = links_of_requests(row.request_id for row in rows if row.request_id)
    for row in rows:
        found = links.get(row.request_id, []) if row.request_id else []
        row.links = [described(link) for link in found]  # type: ignore[attr-defined]
    return rows


# The columns of a batch's result file: the row and what became of it, then the links its
# request made as they stand now (each column one word per link, in the same order).
RESULT_HEADER = [
    "row",
    "key",
    "account_id",
    "outcome",
    "request",
    "codes",
    "messages",
    "links",
    "link_status",
    "setup",
    "verification",
    "last_verified",
]
RESULT_CHUNK = 2000


def result_lines(batch: Batch) -> Iterator[list]:
    """The rows of the result file: row, key, account, outcome, request reference, codes, and
    the state of the request's links; one query per chunk of rows for the links."""
    chunk: list[tuple] = []
    for line in batch_result_rows(batch=batch):
        chunk.append(line)
        if len(chunk) == RESULT_CHUNK:
            yield from _result_chunk(chunk)
            chunk = []
    if chunk:
        yield from _result_chunk(chunk)


def _result_chunk(chunk: list[tuple]) -> Iterator[list]:
    links = links_of_requests(line[4] for line in chunk)
    for number, key, account_id, outcome, request_id, codes, reasons in chunk:
        yield [
            number,
            key,
            account_id,
            outcome,
            f"LR-{request_id:06d}" if request_id else "",
            codes,
            " | ".join(r.get("message", "") for r in reasons or []),
            *link_state_cells(links.get(request_id, []) if request_id else []),
        ]
