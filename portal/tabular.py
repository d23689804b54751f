"""One reader for the tabular files people upload (CSV or XLSX), for every importer.

It turns bytes into rows of dicts keyed by normalised column names, or refuses the whole file
with a coded `PortalError` (LNK-B001..B007) before anything is written. It never raises anything
else, whatever the bytes: the batch linking and the customer directory import both rely on that.

CSV: UTF-8 with or without a byte order mark, comma or semicolon separated (whichever the header
line uses), quoted fields may hold separators and line breaks. XLSX: the first sheet, read with
openpyxl in read-only mode. Blank rows are skipped; row numbers are those a spreadsheet shows
(the header is row 1), so a report points at the line the person sees.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field

from django.conf import settings

from portal.errors import PortalError

ZIP_MAGIC = b"PK\x03\x04"
# A cell longer than this is not a value anyone typed; refuse the file rather than store it.
MAX_CELL_CHARS = 10_000
UNPACK_FACTOR = 40


@dataclass
class TableRow:
    number: int
    values: dict[str, str]


@dataclass
class Table:
    columns: list[str]
    rows: list[TableRow]
    sha256: str
    warnings: list[PortalError] = field(default_factory=list)


def normalise_column(name: object) -> str:
    """'Account ID' and 'account-id' both mean account_id."""
    text = "" if name is None else str(name)
    return re.sub(r"[\s\-]+", "_", text.strip().lstrip("\ufeff").strip().lower())


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        # XLSX stores 2026 as a float; "2026.0" is not what the person typed. (A long number,
        # such as an all-digit account id, has already lost digits: such cells must be text.)
        value = int(value)
    return str(value).strip()


def _not_a_table(detail: str) -> PortalError:
    return PortalError("LNK-B002", detail=detail)


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _not_a_table("it is not UTF-8 text") from None
    if "\x00" in text:
        raise _not_a_table("it holds binary data")
    return text


def _delimiter(text: str) -> str:
    """The separator of the header line: a semicolon when it has more of those than commas."""
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def _csv_records(data: bytes):
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    try:
        yield from reader
    except csv.Error as exc:
        raise _not_a_table(f"line {reader.line_num}: {exc}") from None


def _xlsx_records(data: bytes, max_rows: int):
    try:
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise _not_a_table("it is not a readable XLSX workbook") from None
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            return
        # Blank rows are skipped by the caller; a sheet of a million of them is not read through.
        for count, values in enumerate(sheet.iter_rows(values_only=True)):
            if count > 2 * max_rows + 1000:
                raise PortalError("LNK-B004", limit=max_rows)
            yield [_cell(v) for v in values]
    except PortalError:
        raise
    except Exception:
        raise _not_a_table("the first sheet could not be read") from None
    finally:
        workbook.close()


def _is_xlsx(data: bytes, filename: str) -> bool:
    if not data.startswith(ZIP_MAGIC):
        if filename.lower().endswith((".xlsx", ".xlsm")):
            raise _not_a_table("it is named .xlsx but is not a workbook")
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
        raise _not_a_table("it is a damaged archive") from None
    # A workbook unpacks to a few times its size; far more is an archive built to exhaust
    # memory (zipfile never reads an entry beyond its declared size).
    if sum(entry.file_size for entry in entries) > UNPACK_FACTOR * max(len(data), 1_000_000):
        raise _not_a_table("it unpacks to far more than a workbook of its size")
    return any(entry.filename == "xl/workbook.xml" for entry in entries)


def read_table(
    data: bytes,
    *,
    filename: str = "",
    required: list[str],  # a column name, or alternatives as "a|b"
    known: list[str],
    max_bytes: int | None = None,
    max_rows: int | None = None,
) -> Table:
    """Rows of a CSV or XLSX file as dicts of the known columns; refuses with a coded error."""
    max_bytes = settings.PORTAL_BATCH_MAX_BYTES if max_bytes is None else max_bytes
    max_rows = settings.PORTAL_BATCH_MAX_ROWS if max_rows is None else max_rows
    if len(data) > max_bytes:
        raise PortalError("LNK-B001", size=len(data), limit=max_bytes)
    if not data.strip():
        raise PortalError("LNK-B005", detail=": it is empty")
    records = _xlsx_records(data, max_rows) if _is_xlsx(data, filename) else _csv_records(data)
    header: list[str] | None = None
    rows: list[TableRow] = []
    warnings: list[PortalError] = []
    extra_cells = False
    for index, record in enumerate(records):
        cells = [_cell(c) for c in record]
        if any(len(c) > MAX_CELL_CHARS for c in cells):
            raise _not_a_table(
                f"row {index + 1} has a cell of more than {MAX_CELL_CHARS} characters"
            )
        if not any(cells):
            continue
        if header is None:
            header = [normalise_column(c) for c in cells]
            header_row = index
            continue
        if len(rows) >= max_rows:
            raise PortalError("LNK-B004", limit=max_rows)
        if len(cells) > len(header) and any(cells[len(header) :]):
            extra_cells = True
        values = {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(header)}
        rows.append(
            TableRow(number=index + 1, values={k: v for k, v in values.items() if k in known})
        )
    if header is None:
        raise PortalError("LNK-B005", detail=": it is empty")
    named = [c for c in header if c]
    seen: set[str] = set()
    for column in named:
        if column in seen:
            raise PortalError("LNK-B007", column=column)
        seen.add(column)
    # "a|b" in `required`: either column will do.
    missing = [c for c in required if not any(alt in seen for alt in c.split("|"))]
    if missing:
        raise PortalError("LNK-B003", columns=", ".join(c.replace("|", " or ") for c in missing))
    unknown = [c for c in named if c not in known]
    if unknown:
        warnings.append(PortalError("LNK-B006", columns=", ".join(unknown[:20])))
    if extra_cells:
        warnings.append(PortalError("LNK-B006", columns="without a name (cells beyond the header)"))
    if not rows:
        raise PortalError("LNK-B005", detail=f" below the header on row {header_row + 1}")
    return Table(
        columns=[c for c in named if c in known],
        rows=rows,
        sha256=hashlib.sha256(data).hexdigest(),
        warnings=warnings,
    )


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def safe_cell(value) -> str:
    """The cell as text, with a leading ' when a spreadsheet would take it for a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


class _Line:
    """A file-like object for csv.writer that hands back the line instead of storing it."""

    def write(self, text: str) -> str:
        return text


def csv_lines(rows, *, bom: bool = True):
    """CSV text line by line (RFC 4180 quoting, CRLF), every cell made formula-safe: for
    every download the portal streams."""
    writer = csv.writer(_Line())
    if bom:
        # Spreadsheet programs read UTF-8 (accents, CJK names) only after a byte order mark.
        yield BOM
    for row in rows:
        yield writer.writerow([safe_cell(value) for value in row])


def write_csv(header: list[str], rows) -> str:
    """A CSV text (comma separated, every field quoted when needed) for downloads."""
    return "".join(csv_lines([header, *rows], bom=False))
