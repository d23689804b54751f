"""Batch linking services: the dry run of every row, the run through the request services,
idempotency keys, retrying failed rows, and the bulk checks being the wizard's own."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from linking import checks, services
from linking.batches import services as batch_services
from linking.batches.parsing import COLUMNS, TEMPLATE_ROWS
from linking.batches.selectors import result_lines
from linking.models import Batch, BatchRow, LinkRequest, Notification
from portal import tabular
from portal.errors import PortalError
from tests.conftest import ACME, cast_shared_by_the_module, make_draft, submit

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

Outcome = BatchRow.Outcome
NO_LINKS = ["", "", "", "", ""]
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


def test_good_rows_are_checked_and_nothing_is_created_before_confirmation(cast):
    batch = upload(
        cast,
        csv_bytes(
            delegation("k1", cast.customer.account_id, ticket="INC-1", note="Hello, world"),
            line(
                "k2",
                "1000-0000-0000-0000-0000-0000-0000-0001".replace(
                    "1000-0000-0000-0000-0000-0000-0000-0001", cast.customer2.formatted_id
                ),
            ),
        ),
    )
    assert batch.status == Batch.Status.CHECKED
    assert (batch.total_rows, batch.valid_rows, batch.invalid_rows) == (2, 2, 0)
    assert outcomes(batch) == {2: (Outcome.PENDING, ""), 3: (Outcome.PENDING, "")}
    assert not LinkRequest.objects.exists()
    assert batch.history.count() == 1
    assert batch.history.first().history_user == cast.initiator


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


BAD_ROWS = [
    ("", ACME, "billing", {}, "LNK-B010"),
    ("x" * 101, ACME, "billing", {}, "LNK-B017"),
    ("b-type", ACME, "billing|parking", {}, "LNK-B014"),
    (
        "b-days",
        ACME,
        "delegation",
        {"delegation_days": "ninety"},
        "LNK-B015",
    ),
    ("b-preset", ACME, "billing", {"preset": "Standard"}, "LNK-T001"),
    ("b-ticket", ACME, "billing", {"ticket": "T" * 81}, "LNK-B017"),
    ("b-id", "12-34", "billing", {}, "LNK-V001"),
    ("b-missing", "99999999000000000000000000009999", "billing", {}, "LNK-V002"),
    ("b-none", "", "billing", {}, "LNK-V021"),
    ("b-frozen", "frozen", "billing", {}, "LNK-V003"),
    ("b-arrears", "arrears", "billing", {}, "LNK-V004"),
    ("b-dereg", "deregistered", "billing", {}, "LNK-V005"),
    ("b-site", "cn_customer", "billing", {}, "LNK-V006"),
    ("b-partner", "partner_account", "billing", {}, "LNK-V007"),
    ("b-contact", "no_contact", "billing", {}, "LNK-V020"),
    ("b-notype", ACME, "", {}, "LNK-V014"),
    (
        "b-svc",
        ACME,
        "provisioning",
        {"provisioning_regions": "ap-southeast-1"},
        "LNK-V015",
    ),
    (
        "b-reg",
        ACME,
        "provisioning",
        {"provisioning_services": "ECS"},
        "LNK-V016",
    ),
    (
        "b-level",
        ACME,
        "delegation",
        {
            "delegation_services": "ECS",
            "delegation_regions": "ap-southeast-1",
            "delegation_access": "owner",
        },
        "LNK-V018",
    ),
    (
        "b-long",
        ACME,
        "delegation",
        {
            "delegation_services": "ECS",
            "delegation_regions": "ap-southeast-1",
            "delegation_days": "999",
        },
        "LNK-V017",
    ),
    (
        "b-consent",
        ACME,
        "billing",
        {"consent_days": "31"},
        "LNK-V022",
    ),
]


def test_every_kind_of_bad_row_is_refused_with_its_code_and_nothing_is_written(cast):
    lines = []
    for key, account, types, cells, _ in BAD_ROWS:
        account = getattr(cast, account).account_id if hasattr(cast, account) else account
        lines.append(line(key, account, types, **cells))
    batch = upload(cast, csv_bytes(*lines))
    got = outcomes(batch)
    for number, (*_, code) in enumerate(BAD_ROWS, start=2):
        outcome, codes = got[number]
        assert outcome == Outcome.INVALID, (number, code, codes)
        assert code in codes.split(), (number, code, codes)
    assert batch.valid_rows == 0 and batch.invalid_rows == len(BAD_ROWS)
    row = batch.rows.get(row_number=2)
    assert {"code", "message", "hint"} <= set(row.reasons[0])
    with pytest.raises(PortalError) as info:
        services.batch_confirm(actor=cast.initiator, batch_id=batch.pk)
    assert info.value.code == "LNK-B021"
    assert not LinkRequest.objects.exists()


def test_a_row_gets_all_its_reasons_at_once(cast):
    batch = upload(
        cast,
        csv_bytes(line("k", cast.frozen.account_id, "billing|parking", consent_days="40")),
    )
    assert set(batch.rows.get().codes.split()) == {"LNK-B014", "LNK-V003", "LNK-V022"}


def test_duplicates_inside_the_file_are_reasons_of_the_later_rows(cast):
    batch = upload(
        cast,
        csv_bytes(
            line("k1", cast.customer.account_id),
            line("k1", cast.customer2.account_id),
            line(
                "k3",
                cast.customer.formatted_id,
                "billing|provisioning",
                provisioning_services="ECS",
                provisioning_regions="ap-southeast-1",
            ),
        ),
    )
    assert outcomes(batch) == {
        2: (Outcome.PENDING, ""),
        3: (Outcome.INVALID, "LNK-B011"),
        4: (Outcome.INVALID, "LNK-B012"),
    }
    reason = batch.rows.get(row_number=4).reasons[0]
    assert "Row 2" in reason["message"] and reason["item"] == "billing"


def test_rows_that_conflict_with_existing_requests_and_links_are_refused(cast):
    submit(cast, make_draft(cast))  # an open read-only delegation for the customer
    batch = upload(cast, csv_bytes(delegation("k1", cast.customer.account_id)))
    assert outcomes(batch) == {2: (Outcome.INVALID, "LNK-V012")}


def test_a_viewer_cannot_upload(cast):
    with pytest.raises(PortalError) as info:
        upload(cast, csv_bytes(line("k", cast.customer.account_id)), actor=cast.viewer)
    assert info.value.code == "LNK-V013"
    assert not Batch.objects.exists()


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"key,link_types\nk,billing\n", "LNK-B003"),
        (b"\x00\x01\x02binary", "LNK-B002"),
        (b"key,account_id,link_types\n", "LNK-B005"),
    ],
)
def test_a_refused_file_stores_nothing(cast, data, code):
    with pytest.raises(PortalError) as info:
        upload(cast, data)
    assert info.value.code == code
    assert not Batch.objects.exists() and not BatchRow.objects.exists()


def test_a_huge_file_is_refused_and_stores_nothing(cast, settings):
    settings.PORTAL_BATCH_MAX_BYTES = 10_000
    data = csv_bytes(*[line(f"k{i}", cast.customer.account_id) for i in range(400)])
    with pytest.raises(PortalError) as info:
        upload(cast, data)
    assert info.value.code == "LNK-B001"
    assert not Batch.objects.exists()


def test_bom_semicolons_quotes_blank_lines_and_unknown_columns(cast):
    text = (
        "\ufeffKey;Account ID;Link types;Note;Colour\n\n"
        f'k1;{cast.customer.account_id};billing;"Hello; ""world""\nsecond line";red\n'
        "\n"
        f"k2;{cast.customer2.account_id};billing;;blue\n"
    )
    batch = upload(cast, text.encode())
    # Spreadsheet rows: a quoted line break stays inside its row.
    assert outcomes(batch) == {3: (Outcome.PENDING, ""), 5: (Outcome.PENDING, "")}
    assert batch.rows.get(row_number=3).values["note"] == 'Hello; "world"\nsecond line'
    assert [w["code"] for w in batch.warnings] == ["LNK-B006"]


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


def test_the_bulk_dry_run_gives_the_same_reasons_as_the_wizards(cast):
    submit(cast, make_draft(cast))
    rows = [
        checks.DryRunRow(cast.customer.account_id, [checks.ItemSpec("billing")], 7),
        checks.DryRunRow(
            cast.customer.account_id,
            [checks.ItemSpec("delegation", ["ECS"], ["ap-southeast-1"], "read_only", 90)],
            7,
        ),
        checks.DryRunRow(cast.frozen.account_id, [checks.ItemSpec("billing")], 40),
        checks.DryRunRow("nope", [checks.ItemSpec("provisioning", ["X"], ["cn-north-4"])]),
        checks.DryRunRow("99999999000000000000000000009999", []),
        checks.DryRunRow(cast.cn_customer.account_id, [checks.ItemSpec("billing")]),
    ]
    bulk = checks.dry_run_many(actor=cast.initiator, reseller=cast.reseller, rows=rows)
    for row, (customer, reasons) in zip(rows, bulk, strict=True):
        single_customer, single = checks.dry_run(
            actor=cast.initiator,
            reseller=cast.reseller,
            account_id=row.account_id,
            items=row.items,
            consent_days=row.consent_days,
        )
        assert customer == single_customer
        assert reasons == single


def _queries(cast, n: int) -> int:
    data = csv_bytes(*[line(f"k{n}-{i}", cast.customer.account_id) for i in range(n)])
    with CaptureQueriesContext(connection) as captured:
        upload(cast, data)
    return len(captured)


def test_the_dry_run_needs_as_many_queries_for_thirty_rows_as_for_three(cast):
    _queries(cast, 1)  # warm caches (content types, guardian)
    assert _queries(cast, 3) == _queries(cast, 30)


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


def test_the_template_file_is_a_valid_batch_file(cast):
    data = tabular.write_csv(COLUMNS, TEMPLATE_ROWS).encode()
    batch = upload(cast, data)
    assert batch.total_rows == len(TEMPLATE_ROWS)
    assert all("LNK-B" not in r.codes for r in batch.rows.all())


def test_a_refused_row_does_not_block_a_later_row_for_the_same_customer_and_type(cast):
    batch = upload(
        cast,
        csv_bytes(
            line("k1", cast.customer.account_id, consent_days="40"),
            line("k2", cast.customer.account_id),
        ),
    )
    assert outcomes(batch) == {2: (Outcome.INVALID, "LNK-V022"), 3: (Outcome.PENDING, "")}


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


def test_a_row_may_name_its_customer_by_account_name_instead_of_the_id(cast):
    batch = upload(
        cast,
        csv_bytes(
            line("by-name", "", account_name="acme-retail"),
            line("unknown-name", "", account_name="nobody-here"),
            line("bad-name", "", account_name="acme retail"),
            line("both-agree", cast.customer2.account_id, account_name=cast.customer2.account_name),
            line("both-differ", cast.customer2.account_id, account_name="acme-retail"),
            line("neither", ""),
        ),
    )
    assert outcomes(batch) == {
        2: (Outcome.PENDING, ""),
        3: (Outcome.INVALID, "LNK-V024"),
        4: (Outcome.INVALID, "LNK-V023"),
        5: (Outcome.PENDING, ""),
        6: (Outcome.INVALID, "LNK-V025"),
        7: (Outcome.INVALID, "LNK-V021"),
    }
    # The row found by name runs with the id it was found under.
    row = batch.rows.get(row_number=2)
    assert (row.account_id, row.values["account_id"]) == (ACME, ACME)
    batch = run(cast, batch)
    assert batch.rows.get(row_number=2).request.customer == cast.customer


def test_a_file_needs_an_account_id_or_an_account_name_column(cast):
    with pytest.raises(PortalError) as excinfo:
        upload(cast, b"key,link_types\nk1,billing\n")
    assert excinfo.value.code == "LNK-B003"
    assert "account_id or account_name" in excinfo.value.message
    names_only = upload(cast, b"key,account_name,link_types\nk1,acme-retail,billing\n")
    assert outcomes(names_only) == {2: (Outcome.PENDING, "")}


def test_the_template_rows_name_customers_in_the_current_format():
    header = dict(enumerate(COLUMNS))
    for row in TEMPLATE_ROWS:
        values = {header[i]: cell for i, cell in enumerate(row)}
        assert values["account_id"] or values["account_name"]
        if values["account_id"]:
            assert checks.parse_account_id(values["account_id"])[1] == []


def test_a_row_by_account_name_meets_the_same_checks_as_a_row_by_id(cast):
    submit(cast, make_draft(cast))  # an open delegation request for the customer
    by_id = upload(cast, csv_bytes(delegation("by-id", cast.customer.account_id)))
    by_name = upload(cast, csv_bytes(delegation("by-name", "", account_name="acme-retail")))
    assert outcomes(by_id)[2] == (Outcome.INVALID, "LNK-V012")
    assert outcomes(by_name) == outcomes(by_id)
