"""Reads of batches and their rows."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet

from accounts.models import Reseller
from linking.models import Batch, BatchRow


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
        .iterator(chunk_size=2000)
    )


# The columns of a batch's result file.
RESULT_HEADER = ["row", "key", "account_id", "outcome", "request", "codes", "messages"]


def result_lines(batch: Batch) -> Iterator[list]:
    """The rows of the result file: row, key, account, outcome, request reference, codes."""
    for number, key, account_id, outcome, request_id, codes, reasons in batch_result_rows(
        batch=batch
    ):
        yield [
            number,
            key,
            account_id,
            outcome,
            f"LR-{request_id:06d}" if request_id else "",
            codes,
            " | ".join(r.get("message", "") for r in reasons or []),
        ]
