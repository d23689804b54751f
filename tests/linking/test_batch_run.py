"""Running a confirmed batch through the request services: idempotency keys, retrying failed
rows, the result file, and rows that name a preset."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from linking import checks, services
from linking.batches import services as batch_services
from linking.batches.selectors import result_lines
from linking.models import Batch, BatchRow, LinkRequest, Notification
from portal.errors import PortalError
from tests.conftest import cast_shared_by_the_module, make_draft
from tests.linking.batch_helpers import Outcome, csv_bytes, delegation, line, outcomes, run, upload

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

NO_LINKS = ["", "", "", "", ""]


def test_confirmed_rows_become_requests_through_the_request_services(
    cast, django_capture_on_commit_callbacks
):
    batch = upload(
        cast,
        csv_bytes(
            delegation("k1", cast.customer.account_id, ticket="INC-1", note="Hello, world"),
            line("k2", cast.customer2.account_id, consent_days="14"),
        ),
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.batch_confirm(actor=cast.initiator, batch_id=batch.pk)
    assert len(callbacks) == 1  # the run task, published after the commit
    batch.refresh_from_db()
    assert (batch.status, batch.to_run, batch.run_by) == (
        Batch.Status.QUEUED,
        2,
        cast.initiator,
    )
    batch = services.batch_run(batch_id=batch.pk)
    assert (batch.status, batch.created_count, batch.failed_count, batch.processed) == (
        Batch.Status.DONE,
        2,
        0,
        2,
    )
    first, second = (r.request for r in batch.rows.order_by("row_number"))
    # Read-only delegation goes straight to the customer; billing needs approval (the policy).
    assert first.status == LinkRequest.Status.PENDING_CONSENT
    assert (first.ticket_reference, first.note_to_customer) == ("INC-1", "Hello, world")
    assert first.items.get().services == ["ECS", "OBS"]
    assert first.batch_key == "k1"
    assert second.status == LinkRequest.Status.PENDING_APPROVAL
    assert second.consent_days == 14
    assert first.initiator == cast.initiator
    assert Notification.objects.filter(request=first, kind="consent_request").count() == 1
    assert Notification.objects.filter(request=second, kind="approval_needed").exists()
    assert first.history.filter(history_change_reason__contains="batch key k1").exists()
    assert batch.finished_at is not None


def test_uploading_the_same_file_again_creates_nothing_new(cast):
    data = csv_bytes(line("k1", cast.customer.account_id), line("k2", cast.customer2.account_id))
    first = run(cast, upload(cast, data))
    assert first.created_count == 2
    count = LinkRequest.objects.count()
    again = upload(cast, data)
    assert outcomes(again) == {2: (Outcome.EXISTING, "LNK-B013"), 3: (Outcome.EXISTING, "LNK-B013")}
    assert again.existing_rows == 2 and again.valid_rows == 0
    assert again.rows.get(row_number=2).request == first.rows.get(row_number=2).request
    with pytest.raises(PortalError) as info:
        services.batch_confirm(actor=cast.initiator, batch_id=again.pk)
    assert info.value.code == "LNK-B021"
    assert LinkRequest.objects.count() == count


def test_retrying_failed_rows_runs_only_those(cast):
    from linking.services import customer_set_status

    batch = upload(
        cast,
        csv_bytes(line("k1", cast.customer.account_id), line("k2", cast.customer2.account_id)),
    )
    # Between the dry run and the run, the second customer is frozen: its row fails when run.
    customer_set_status(actor=None, customer_id=cast.customer2.pk, status="frozen")
    batch = run(cast, batch)
    assert outcomes(batch) == {2: (Outcome.CREATED, ""), 3: (Outcome.FAILED, "LNK-V003")}
    assert (batch.created_count, batch.failed_count) == (1, 1)
    assert LinkRequest.objects.count() == 1  # the failed row left no draft behind
    customer_set_status(actor=None, customer_id=cast.customer2.pk, status="active")
    created_before = batch.rows.get(row_number=2).request_id
    services.batch_retry_failed(actor=cast.initiator, batch_id=batch.pk, enqueue=False)
    batch.refresh_from_db()
    assert batch.to_run == 1
    batch = services.batch_run(batch_id=batch.pk)
    assert outcomes(batch) == {2: (Outcome.CREATED, ""), 3: (Outcome.CREATED, "")}
    assert batch.rows.get(row_number=2).request_id == created_before
    assert LinkRequest.objects.count() == 2
    assert batch.rows.get(row_number=3).attempts == 2
    with pytest.raises(PortalError) as info:
        services.batch_retry_failed(actor=cast.initiator, batch_id=batch.pk)
    assert info.value.code == "LNK-B021"


def test_a_batch_is_confirmed_once_and_a_second_run_does_nothing(cast):
    batch = run(cast, upload(cast, csv_bytes(line("k1", cast.customer.account_id))))
    with pytest.raises(PortalError) as info:
        services.batch_confirm(actor=cast.initiator, batch_id=batch.pk)
    assert info.value.code == "LNK-B020"
    assert services.batch_run(batch_id=batch.pk) is None
    assert LinkRequest.objects.count() == 1


def test_a_row_run_twice_creates_one_request(cast):
    batch = upload(cast, csv_bytes(line("k1", cast.customer.account_id)))
    services.batch_confirm(actor=cast.initiator, batch_id=batch.pk, enqueue=False)
    row = batch.rows.get()
    stale = BatchRow.objects.get(pk=row.pk)
    assert batch_services.batch_run_row(actor=cast.initiator, reseller=cast.reseller, row=row)
    assert (
        batch_services.batch_run_row(actor=cast.initiator, reseller=cast.reseller, row=stale)
        is None
    )
    assert LinkRequest.objects.count() == 1


def test_a_key_taken_by_another_run_is_recorded_as_existing(cast):
    batch = upload(cast, csv_bytes(line("k1", cast.customer.account_id)))
    other = make_draft(cast, customer=cast.customer2)
    LinkRequest.objects.filter(pk=other.pk).update(batch_key="k1")  # another run got there first
    batch = run(cast, batch)
    assert outcomes(batch) == {2: (Outcome.EXISTING, "LNK-B013")}
    assert batch.rows.get().request_id == other.pk


def test_the_database_refuses_two_requests_with_one_key(cast):
    services.link_request_create_draft(actor=cast.initiator, reseller=cast.reseller, batch_key="k")
    with pytest.raises(IntegrityError), transaction.atomic():
        services.link_request_create_draft(
            actor=cast.initiator, reseller=cast.reseller, batch_key="k"
        )
    # Keys are per reseller, and requests from the wizard have none.
    services.link_request_create_draft(actor=cast.outsider, reseller=cast.other, batch_key="k")
    services.link_request_create_draft(actor=cast.initiator, reseller=cast.reseller)
    services.link_request_create_draft(actor=cast.initiator, reseller=cast.reseller)


def test_the_result_lists_every_row_with_its_outcome_reference_and_codes(cast):
    batch = run(
        cast,
        upload(cast, csv_bytes(line("k1", cast.customer.account_id), line("k2", "bad"))),
    )
    request_id = batch.rows.get(row_number=2).request_id
    assert list(result_lines(batch)) == [
        # No link yet: the request waits for the customer.
        [2, "k1", cast.customer.account_id, "created", f"LR-{request_id:06d}", "", "", *NO_LINKS],
        [
            3,
            "k2",
            "bad",
            "invalid",
            "",
            "LNK-V001",
            "“bad” is not a valid customer account id.",
            *NO_LINKS,
        ],
    ]


def _preset(cast, name="Read-only APAC", consent_days=None):
    return services.preset_create(
        actor=cast.admin,
        reseller=cast.reseller,
        name=name,
        items=[
            checks.ItemSpec(
                link_type="delegation",
                services=["ECS", "OBS"],
                regions=["ap-southeast-1"],
                access_level="read_only",
                duration_days=30,
            )
        ],
        consent_days=consent_days,
    )


def test_a_row_naming_a_preset_takes_its_types_and_scope(cast):
    _preset(cast, consent_days=7)
    batch = run(
        cast,
        upload(cast, csv_bytes(line("p1", cast.customer.account_id, "", preset="read-only  apac"))),
    )
    row = batch.rows.get()
    assert (row.outcome, row.codes) == (Outcome.CREATED, "")
    req = row.request
    item = req.items.get()
    assert (item.link_type, item.services, item.regions) == (
        "delegation",
        ["ECS", "OBS"],
        ["ap-southeast-1"],
    )
    assert (item.access_level, item.duration_days, req.consent_days) == ("read_only", 30, 7)


def test_a_rows_own_columns_override_its_preset(cast):
    _preset(cast)
    batch = upload(
        cast,
        csv_bytes(
            line(
                "p2",
                cast.customer.account_id,
                "",
                preset="Read-only APAC",
                delegation_services="ECS",
                delegation_days="60",
                consent_days="3",
            )
        ),
    )
    values = batch.rows.get().values
    assert values["link_types"] == ["delegation"]
    (item,) = values["items"]
    assert (item["services"], item["regions"], item["duration_days"]) == (
        ["ECS"],
        ["ap-southeast-1"],
        60,
    )
    assert values["consent_days"] == 3


def test_presets_cost_one_query_per_file_not_per_row(cast):
    _preset(cast)

    def queries(n):
        data = csv_bytes(
            *[
                line(f"q{n}-{i}", cast.customer.account_id, "", preset="Read-only APAC")
                for i in range(n)
            ]
        )
        with CaptureQueriesContext(connection) as captured:
            upload(cast, data)
        return len(captured)

    queries(1)
    assert queries(3) == queries(30)
