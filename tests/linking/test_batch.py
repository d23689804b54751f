"""Batch files and their dry run: every row checked before anything is written, each kind of bad
row with its code, refused files, spreadsheet quirks, customers named by id or by account name,
and the bulk checks being the wizard's own."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from linking import checks, services
from linking.batches.parsing import COLUMNS, TEMPLATE_ROWS
from linking.models import Batch, BatchRow, LinkRequest
from portal import tabular
from portal.errors import PortalError
from tests.conftest import ACME, cast_shared_by_the_module, make_draft, submit
from tests.linking.batch_helpers import Outcome, csv_bytes, delegation, line, outcomes, run, upload

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()


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
