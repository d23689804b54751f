"""Batch files as the tests write them, uploaded and run through the batch services (the batch
tests of the services, the pages, the commands and the worker share them)."""

from linking import services
from linking.batches.parsing import COLUMNS
from linking.models import Batch, BatchRow

Outcome = BatchRow.Outcome
HEADER = ",".join(COLUMNS)


def line(key, account_id, types="billing", **cells) -> str:
    values = {"key": key, "account_id": account_id, "link_types": types, **cells}
    return ",".join(f'"{values.get(c, "")}"' for c in COLUMNS)


def csv_bytes(*lines) -> bytes:
    return ("\n".join([HEADER, *lines]) + "\n").encode()


def upload(cast, data: bytes, actor=None) -> Batch:
    return services.batch_upload(
        actor=actor or cast.initiator, reseller=cast.reseller, file_name="rows.csv", data=data
    )


def run(cast, batch: Batch, actor=None, captured=None) -> Batch:
    services.batch_confirm(actor=actor or cast.initiator, batch_id=batch.pk, enqueue=False)
    return services.batch_run(batch_id=batch.pk)


def outcomes(batch: Batch) -> dict[int, tuple[str, str]]:
    return {r.row_number: (r.outcome, r.codes) for r in batch.rows.all()}


def delegation(key, account_id, **cells):
    cells = {
        "delegation_services": "ECS|OBS",
        "delegation_regions": "ap-southeast-1",
        **cells,
    }
    return line(key, account_id, "delegation", **cells)
