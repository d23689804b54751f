"""Batch linking: a file of link requests checked row by row, then run through the wizard's own
rules, one transaction per row.

The dry run is `dry_run_many`, the bulk form of the wizard's dry run. A row is created by
`link_request_create_submitted`: the request in its final shape, checked by the same functions
as the wizard's steps, then the wizard's own submit, so every rule, the approval policy and the
consent e-mail (outbox) apply unchanged; its history says which row it came from. The
idempotency key of each row is `LinkRequest.batch_key`, unique per reseller in the database.
The actor's role and the catalogs are read once per chunk of rows (`RUN_CHUNK`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import Reseller, User
from accounts.permissions import remembered_perms
from linking.batches.parsing import COLUMNS, REQUIRED, PresetBook, parse_row
from linking.checks.bulk import DryRunRow, chunks, dry_run_many
from linking.checks.catalog import remembered_catalog
from linking.checks.policy import needs_approval
from linking.checks.reasons import ChecksFailed, ItemSpec, Reason, reason, type_label
from linking.models import Batch, BatchRow, LinkRequest
from linking.services._common import _on_commit, _require_initiator_role, _save
from linking.services.requests import approval_gap, link_request_create_submitted
from linking.webhooks.services import webhook_emit_batch_finished
from portal import tabular
from portal.errors import PortalError
from portal.identifiers import visible
from portal.metrics import count_batch_rows

logger = logging.getLogger(__name__)


Outcome = BatchRow.Outcome
RUN_CHUNK = 200


def _reason_dicts(reasons: list[Reason]) -> list[dict]:
    return [r.as_dict() for r in reasons]


def _codes(reasons: list[Reason]) -> str:
    return " ".join(dict.fromkeys(r.code for r in reasons))[:200]


def _existing_keys(reseller: Reseller, keys: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in chunks(sorted(set(keys))):
        found.update(
            LinkRequest.objects.filter(reseller=reseller, batch_key__in=chunk).values_list(
                "batch_key", "pk"
            )
        )
    return found


def batch_check_rows(*, actor: User, reseller: Reseller, table: tabular.Table) -> list[BatchRow]:
    """The dry run of every row (unsaved BatchRows): the wizard's checks in bulk, plus keys and
    customer-and-type pairs used twice in the file, and keys already used before."""
    presets = PresetBook(reseller)
    parsed = [parse_row(reseller, row, presets) for row in table.rows]
    results = dry_run_many(
        actor=actor,
        reseller=reseller,
        rows=[DryRunRow(p.account_id, p.items, p.consent_days, p.account_name) for p in parsed],
    )
    existing = _existing_keys(reseller, [p.key for p in parsed if p.key])
    # Whether anybody but the actor can approve is one answer for the whole file (LNK-A004).
    gap = approval_gap(reseller=reseller, initiator=actor)
    first_by_key: dict[str, int] = {}
    first_by_pair: dict[tuple[str, str], int] = {}
    rows = []
    for p, (customer, check_reasons) in zip(parsed, results, strict=True):
        # A row that names its customer by name runs with the account id it was found under.
        account_id = customer.account_id if customer is not None else p.account_id
        row = BatchRow(
            row_number=p.number, key=p.key, account_id=(account_id or p.account_name)[:40]
        )
        row.values = {**p.as_values(), "account_id": account_id}
        if p.key in existing and p.key not in first_by_key:
            reference = f"LR-{existing[p.key]:06d}"
            reasons = [reason("LNK-B013", key=visible(p.key), reference=reference)]
            row.outcome, row.request_id = Outcome.EXISTING, existing[p.key]
            row.reasons, row.codes = _reason_dicts(reasons), "LNK-B013"
            first_by_key[p.key] = p.number
            rows.append(row)
            continue
        reasons = list(p.reasons)
        if p.key:
            if p.key in first_by_key:
                reasons.append(
                    reason("LNK-B011", key=visible(p.key), other_row=first_by_key[p.key])
                )
            else:
                first_by_key[p.key] = p.number
        reasons += check_reasons
        if gap is not None and p.items and needs_approval(reseller=reseller, items=p.items):
            reasons.append(gap)
        if customer is not None:
            # Only a row that will run claims its customer and types against later rows.
            pairs = [(customer.account_id, t) for t in p.link_types]
            for pair in pairs:
                if pair in first_by_pair:
                    reasons.append(
                        reason(
                            "LNK-B012",
                            item=pair[1],
                            other_row=first_by_pair[pair],
                            link_type=type_label(pair[1]),
                            account_id=customer.label,
                        )
                    )
            if not reasons:
                first_by_pair.update(dict.fromkeys(pairs, p.number))
        row.reasons, row.codes = _reason_dicts(reasons), _codes(reasons)
        row.outcome = Outcome.INVALID if reasons else Outcome.PENDING
        rows.append(row)
    return rows


def batch_upload(*, actor: User, reseller: Reseller, file_name: str, data: bytes) -> Batch:
    """Read and dry-run an uploaded file; store the batch and its rows, create no request.

    A file refused as a whole (not a table, too big, missing column…) raises its coded
    PortalError and stores nothing. Initiators and admins.
    """
    _require_initiator_role(actor, reseller)
    table = tabular.read_table(data, filename=file_name, required=REQUIRED, known=COLUMNS)
    rows = batch_check_rows(actor=actor, reseller=reseller, table=table)
    with transaction.atomic():
        batch = Batch(
            reseller=reseller,
            uploaded_by=actor,
            file_name=(file_name or "upload")[:200],
            sha256=table.sha256,
            warnings=[
                {"code": w.code, "message": w.message, "hint": w.hint} for w in table.warnings
            ],
            total_rows=len(rows),
            valid_rows=sum(r.outcome == Outcome.PENDING for r in rows),
            invalid_rows=sum(r.outcome == Outcome.INVALID for r in rows),
            existing_rows=sum(r.outcome == Outcome.EXISTING for r in rows),
        )
        batch._history_user = actor
        batch._change_reason = f"uploaded {batch.file_name} and checked {len(rows)} rows"
        batch.save()
        for row in rows:
            row.batch = batch
        # BatchRow is not a tracked model (see its docstring): a bulk insert writes no history.
        BatchRow.objects.bulk_create(rows, batch_size=1000)
    return batch


def _lock_batch(batch_id: int) -> Batch:
    return Batch.objects.select_for_update(of=("self",)).select_related("reseller").get(pk=batch_id)


def _move_batch(
    batch: Batch, to: str, *, actor: User | None, reason: str, extra: Sequence[str] = ()
) -> None:
    if to not in Batch.TRANSITIONS.get(batch.status, set()):
        raise PortalError(
            "LNK-B020",
            reference=batch.reference,
            status=batch.get_status_display().lower(),
            action=reason,
        )
    batch.status = to
    _save(batch, actor=actor, reason=reason, fields=["status", *extra])


def _queue_run(
    batch: Batch, *, actor: User, reason: str, extra: list[str], enqueue: bool = True
) -> None:
    from linking.tasks import batch_run_task

    pending = batch.rows.filter(outcome=Outcome.PENDING).count()
    if not pending:
        raise PortalError("LNK-B021", reference=batch.reference)
    batch.run_by = actor
    batch.to_run = pending
    batch.processed = 0
    _move_batch(
        batch,
        Batch.Status.QUEUED,
        actor=actor,
        reason=reason,
        extra=["run_by", "to_run", "processed", *extra],
    )
    if enqueue:
        _on_commit(batch_run_task, batch.pk)


@transaction.atomic
def batch_confirm(*, actor: User, batch_id: int, enqueue: bool = True) -> Batch:
    """Queue the run of a checked batch's valid rows. Initiators and admins.

    `enqueue=False`: the caller runs `batch_run` itself (the command, the benchmark).
    """
    batch = _lock_batch(batch_id)
    _require_initiator_role(actor, batch.reseller)
    if batch.status != Batch.Status.CHECKED:
        raise PortalError(
            "LNK-B020",
            reference=batch.reference,
            status=batch.get_status_display().lower(),
            action="confirmed",
        )
    batch.confirmed_at = timezone.now()
    _queue_run(
        batch,
        actor=actor,
        reason="confirmed: run queued",
        extra=["confirmed_at"],
        enqueue=enqueue,
    )
    return batch


@transaction.atomic
def batch_retry_failed(*, actor: User, batch_id: int, enqueue: bool = True) -> Batch:
    """Queue the rows that failed when run, and only those, for another run."""
    batch = _lock_batch(batch_id)
    _require_initiator_role(actor, batch.reseller)
    if batch.status != Batch.Status.DONE:
        raise PortalError(
            "LNK-B020",
            reference=batch.reference,
            status=batch.get_status_display().lower(),
            action="retried",
        )
    # Plain rows (not tracked): an update in one statement is the honest write here.
    batch.rows.filter(outcome=Outcome.FAILED).update(outcome=Outcome.PENDING)
    _queue_run(
        batch, actor=actor, reason="retry of the failed rows queued", extra=[], enqueue=enqueue
    )
    return batch


def _create_request(actor: User, reseller: Reseller, row: BatchRow) -> LinkRequest:
    """The row's request, created in its final shape and submitted: the wizard's own rules
    (`link_request_create_submitted`), one history row per object naming the row, then the
    submit's."""
    values = row.values
    specs = [ItemSpec(**item) for item in values.get("items", [])]
    return link_request_create_submitted(
        actor=actor,
        reseller=reseller,
        link_types=values["link_types"],
        account_id=values["account_id"],
        scopes={spec.link_type: spec for spec in specs},
        ticket_reference=values.get("ticket", ""),
        note_to_customer=values.get("note", ""),
        consent_days=values.get("consent_days") or reseller.consent_days,
        batch_key=row.key,
        reason=f"created from batch row {row.row_number}, batch key {row.key}",
    )


def _record(
    row: BatchRow, outcome: str, *, request_id: int | None = None, reasons: Iterable[Reason] = ()
) -> None:
    row.outcome = outcome
    row.request_id = request_id
    row.reasons = _reason_dicts(list(reasons))
    row.codes = _codes(list(reasons))
    row.attempts += 1
    row.save(update_fields=["outcome", "request", "reasons", "codes", "attempts"])
    count_batch_rows(outcome)


def _taken(reseller: Reseller, key: str) -> int | None:
    return (
        LinkRequest.objects.filter(reseller=reseller, batch_key=key)
        .values_list("pk", flat=True)
        .first()
    )


def _existing(row: BatchRow, request_id: int) -> str:
    reference = f"LR-{request_id:06d}"
    reasons = [reason("LNK-B013", key=visible(row.key), reference=reference)]
    _record(row, Outcome.EXISTING, request_id=request_id, reasons=reasons)
    return Outcome.EXISTING


def batch_run_row(*, actor: User, reseller: Reseller, row: BatchRow) -> str | None:
    """Create one row's request in its own transaction and record the outcome either way;
    None when another run has taken the row meanwhile."""
    try:
        with transaction.atomic():
            # The row lock serialises two runs of one batch (a task delivered twice).
            locked = (
                BatchRow.objects.select_for_update().filter(pk=row.pk, outcome=Outcome.PENDING)
            ).first()
            if locked is None:
                return None
            taken = _taken(reseller, row.key)
            if taken is not None:
                return _existing(locked, taken)
            req = _create_request(actor, reseller, locked)
            _record(locked, Outcome.CREATED, request_id=req.pk)
            return Outcome.CREATED
    except ChecksFailed as error:
        _record(row, Outcome.FAILED, reasons=error.reasons)
    except PortalError as error:
        reason = Reason(error.code, error.stage, error.message, error.hint)
        _record(row, Outcome.FAILED, reasons=[reason])
    except IntegrityError:
        # A request with this key was committed between our look and our insert.
        taken = _taken(reseller, row.key)
        if taken is None:
            raise
        return _existing(row, taken)
    return Outcome.FAILED


def _refresh_counts(
    batch: Batch, *, actor: User | None, reason: str, finish: bool = False
) -> Batch:
    with transaction.atomic():
        locked = _lock_batch(batch.pk)
        counts = dict(
            locked.rows.values_list("outcome").annotate(n=Count("id")).values_list("outcome", "n")
        )
        locked.processed = max(0, locked.to_run - counts.get(Outcome.PENDING, 0))
        locked.created_count = counts.get(Outcome.CREATED, 0)
        locked.failed_count = counts.get(Outcome.FAILED, 0)
        locked.existing_rows = counts.get(Outcome.EXISTING, 0)
        fields = ["processed", "created_count", "failed_count", "existing_rows"]
        if finish and locked.status == Batch.Status.DONE:
            return locked
        if finish:
            locked.finished_at = timezone.now()
            _move_batch(
                locked,
                Batch.Status.DONE,
                actor=actor,
                reason=reason,
                extra=[*fields, "finished_at"],
            )
            webhook_emit_batch_finished(locked)
        else:
            _save(locked, actor=actor, reason=reason, fields=fields)
    return locked


def batch_run(*, batch_id: int, chunk_size: int = RUN_CHUNK) -> Batch | None:
    """Run a queued batch's pending rows in chunks, recording progress; None when there is
    nothing to run (already done, or not confirmed). Safe to run twice: keys are unique."""
    with transaction.atomic():
        batch = _lock_batch(batch_id)
        if batch.status == Batch.Status.QUEUED:
            batch.started_at = timezone.now()
            _move_batch(
                batch,
                Batch.Status.RUNNING,
                actor=batch.run_by,
                reason="run started",
                extra=["started_at"],
            )
        elif batch.status != Batch.Status.RUNNING:
            return None
    actor, reseller = batch.run_by, batch.reseller
    # Confirming a batch sets who runs it, and that user cannot be deleted (PROTECT).
    assert actor is not None
    last = 0
    while True:
        rows = list(
            BatchRow.objects.filter(
                batch_id=batch.pk, outcome=Outcome.PENDING, pk__gt=last
            ).order_by("pk")[:chunk_size]
        )
        if not rows:
            break
        # The actor's role and the catalogs are read once per chunk, not once per step of each
        # row: a role taken away (or a catalog changed) mid-run applies from the next chunk.
        with remembered_perms(), remembered_catalog():
            for row in rows:
                batch_run_row(actor=actor, reseller=reseller, row=row)
        last = rows[-1].pk
        batch = _refresh_counts(
            batch, actor=actor, reason=f"progress: up to row {rows[-1].row_number}"
        )
    return _refresh_counts(batch, actor=actor, reason="run finished", finish=True)
