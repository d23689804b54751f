"""The one tabular reader: every kind of file gives rows or a coded refusal, never anything else."""

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from portal.errors import PortalError
from portal.tabular import read_table, write_csv

KNOWN = ["key", "account_id", "link_types", "note"]
REQUIRED = ["key", "account_id"]


def read(data: bytes, **kwargs):
    kwargs.setdefault("required", REQUIRED)
    kwargs.setdefault("known", KNOWN)
    kwargs.setdefault("max_bytes", 100_000)
    kwargs.setdefault("max_rows", 50)
    return read_table(data, **kwargs)


def refused(data: bytes, **kwargs) -> PortalError:
    with pytest.raises(PortalError) as info:
        read(data, **kwargs)
    return info.value


def xlsx(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_good_rows_come_back_as_dicts_with_spreadsheet_row_numbers():
    table = read(b"key,account_id,link_types\nk1,123456789012,billing\nk2,2,delegation\n")
    assert [r.number for r in table.rows] == [2, 3]
    assert table.rows[0].values == {
        "key": "k1",
        "account_id": "123456789012",
        "link_types": "billing",
    }
    assert table.warnings == []
    assert len(table.sha256) == 64


def test_a_byte_order_mark_is_not_part_of_the_first_column():
    table = read("\ufeffkey,account_id\nk1,1\n".encode())
    assert table.rows[0].values["key"] == "k1"


def test_semicolons_separate_when_the_header_uses_them():
    table = read(b"key;account_id;note\nk1;1;a, b and c\n")
    assert table.rows[0].values == {"key": "k1", "account_id": "1", "note": "a, b and c"}


def test_quoted_fields_keep_commas_and_line_breaks():
    table = read(b'key,account_id,note\nk1,1,"one, two\nthree"\nk2,2,x\n')
    assert table.rows[0].values["note"] == "one, two\nthree"
    assert table.rows[1].values["key"] == "k2"


def test_blank_lines_are_skipped_and_numbering_follows_the_file():
    table = read(b"\n\nkey,account_id\n\nk1,1\n,\n\nk2,2\n")
    assert [(r.number, r.values["key"]) for r in table.rows] == [(5, "k1"), (8, "k2")]


def test_column_names_ignore_case_spaces_and_dashes():
    table = read(b"Key,Account ID,link-types\nk1,1,billing\n")
    assert table.rows[0].values == {"key": "k1", "account_id": "1", "link_types": "billing"}


def test_unknown_columns_are_ignored_with_a_warning():
    table = read(b"key,account_id,colour\nk1,1,red\n")
    assert table.rows[0].values == {"key": "k1", "account_id": "1"}
    assert [w.code for w in table.warnings] == ["LNK-B006"]
    assert "colour" in table.warnings[0].message


def test_cells_beyond_the_header_are_reported():
    table = read(b"key,account_id\nk1,1,surprise\n")
    assert [w.code for w in table.warnings] == ["LNK-B006"]


def test_a_short_row_has_empty_values():
    table = read(b"key,account_id,note\nk1\n")
    assert table.rows[0].values == {"key": "k1", "account_id": "", "note": ""}


def test_a_missing_required_column_refuses_the_file():
    error = refused(b"key,note\nk1,x\n")
    assert error.code == "LNK-B003"
    assert "account_id" in error.message


def test_a_column_named_twice_refuses_the_file():
    assert refused(b"key,account_id,key\nk1,1,k2\n").code == "LNK-B007"


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        "key,account_id\nk1,caf\u00e9\n".encode("latin-1"),
        b"key,account_id\nk1,\x00\x00\n",
        b'key,account_id\nk1,"unterminated\n',
        b'key,account_id\nk1,"a"b\n',
        b"PK\x03\x04 not really a zip",
    ],
    ids=["png", "latin-1", "nul-bytes", "open-quote", "stray-quote", "broken-zip"],
)
def test_a_file_that_is_not_csv_is_refused_with_a_code(data):
    assert refused(data).code == "LNK-B002"


def test_a_file_named_xlsx_that_is_not_a_workbook_is_refused():
    assert refused(b"key,account_id\nk1,1\n", filename="rows.xlsx").code == "LNK-B002"


def test_a_zip_that_is_not_a_workbook_reads_as_not_a_table():
    out = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hi")
    assert refused(out.getvalue()).code == "LNK-B002"


def test_an_archive_that_unpacks_far_beyond_its_size_is_refused():
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "")
        archive.writestr("xl/sharedStrings.xml", b"\0" * 50_000_000)
    error = refused(out.getvalue(), max_bytes=1_000_000)
    assert error.code == "LNK-B002" and "unpacks" in error.message


def test_a_file_beyond_the_size_limit_is_refused_before_parsing():
    error = refused(b"key,account_id\n" + b"k,1\n" * 30_000, max_bytes=100_000)
    assert error.code == "LNK-B001"


def test_more_rows_than_the_limit_are_refused():
    data = b"key,account_id\n" + b"".join(b"k%d,1\n" % i for i in range(51))
    assert refused(data, max_rows=50).code == "LNK-B004"
    assert len(read(data, max_rows=51).rows) == 51


def test_an_empty_file_or_a_header_alone_has_no_rows():
    assert refused(b"").code == "LNK-B005"
    assert refused(b"\n\n  \n").code == "LNK-B005"
    assert refused(b"key,account_id\n\n").code == "LNK-B005"


def test_the_size_and_row_limits_are_settings(settings):
    settings.PORTAL_BATCH_MAX_BYTES = 20
    settings.PORTAL_BATCH_MAX_ROWS = 1
    with pytest.raises(PortalError) as info:
        read_table(b"key,account_id\nk1,1\nk2,2\n", required=REQUIRED, known=KNOWN)
    assert info.value.code == "LNK-B001"
    settings.PORTAL_BATCH_MAX_BYTES = 100
    with pytest.raises(PortalError) as info:
        read_table(b"key,account_id\n1,1\n2,2", required=REQUIRED, known=KNOWN)
    assert info.value.code == "LNK-B004"


def test_xlsx_workbooks_are_read_like_csv():
    data = xlsx(
        [["Key", "Account ID", "colour"], ["k1", 123456789012, "red"], [None, None], ["k2", "2"]]
    )
    table = read(data, filename="rows.xlsx")
    assert [(r.number, r.values) for r in table.rows] == [
        (2, {"key": "k1", "account_id": "123456789012"}),
        (4, {"key": "k2", "account_id": "2"}),
    ]
    assert [w.code for w in table.warnings] == ["LNK-B006"]


def test_xlsx_is_recognised_without_its_name():
    assert len(read(xlsx([["key", "account_id"], ["k", "1"]])).rows) == 1


def test_the_csv_writer_neutralises_formulas():
    text = write_csv(["a", "b"], [["=1+1", "plain"], ["@SUM(A1)", None]])
    assert text.splitlines() == ["a,b", "'=1+1,plain", "'@SUM(A1),"]


# --- Property tests: arbitrary input is rows or a coded refusal --------------------------


def _only_coded_refusals(data: bytes, filename: str = "") -> None:
    try:
        table = read_table(
            data, filename=filename, required=["key"], known=KNOWN, max_bytes=4000, max_rows=40
        )
    except PortalError as error:
        refusal = error
    else:
        assert all(set(row.values) <= set(KNOWN) for row in table.rows)
        return
    assert refusal.code.startswith("LNK-B0")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000), st.sampled_from(["", "x.csv", "x.xlsx"]))
def test_arbitrary_bytes_never_raise_anything_but_a_coded_refusal(data, filename):
    _only_coded_refusals(data, filename)


csv_text = st.lists(
    st.lists(
        st.one_of(
            st.just("key"),
            st.text(alphabet=st.sampled_from(list('ab,;"\n\r \ufeffé\t')), max_size=12),
        ),
        max_size=5,
    ),
    max_size=8,
).map(lambda rows: "\n".join(",".join(cells) for cells in rows))


@settings(max_examples=150, deadline=None)
@given(csv_text)
def test_arbitrary_csv_like_text_never_raises_anything_but_a_coded_refusal(text):
    _only_coded_refusals(("key,account_id\n" + text).encode())
    _only_coded_refusals(text.encode())


@settings(max_examples=25, deadline=None)
@given(st.binary(min_size=1, max_size=400))
def test_a_damaged_workbook_is_a_coded_refusal(noise):
    data = bytearray(xlsx([["key", "account_id"], ["k", "1"]]))
    position = len(noise) * 37 % len(data)
    data[position : position + len(noise)] = noise
    _only_coded_refusals(bytes(data), "rows.xlsx")
