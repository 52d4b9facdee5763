"""Reading an uploaded user file: CSV (UTF-8, with or without a BOM, `,` or `;`) or XLSX
(openpyxl in read-only mode, one row at a time), as a header row and rows of cells.

Blank rows are skipped; each row keeps its line number in the file, so that a problem can
be found where the admin typed it. Anything that is not such a file is `Malformed`, and
more than `max_rows` rows is `TooLarge`, each with a message saying so.
"""

import csv
import io
import itertools
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from shared.errors import Malformed, TooLarge

Cell = str | int | float | bool | date | datetime | None
XLSX_MAGIC = b"PK\x03\x04"
BOM = "\ufeff"
DELIMITERS = (",", ";")
SNIFF_LINES = 5


Row = tuple[int, list[Cell]]  # (line number in the file, cells)


@dataclass(frozen=True)
class Sheet:
    """The header row, and the other rows read as they are iterated (memory stays flat)."""

    kind: str  # "csv" or "xlsx"
    headers: list[str]
    rows: Iterator[Row]


def read_sheet(content: bytes, filename: str, max_rows: int) -> Sheet:
    if content.startswith(XLSX_MAGIC) or filename.lower().endswith(".xlsx"):
        return _read_xlsx(content, max_rows)
    return _read_csv(content, max_rows)


def _read_csv(content: bytes, max_rows: int) -> Sheet:
    if b"\x00" in content[:4096]:
        raise Malformed("This is not a CSV file (it holds binary data); upload a CSV or XLSX file.")
    try:
        text = content.decode("utf-8").removeprefix(BOM)
    except UnicodeDecodeError as error:
        raise Malformed(
            f"The file is not UTF-8 text (byte {error.start + 1} is not); save it as "
            "CSV UTF-8 (Excel: File > Save As > CSV UTF-8) or upload it as XLSX."
        ) from None
    delimiter = _delimiter(text)
    if text.count("\n") > max_rows:
        _count_csv_rows(text, delimiter, max_rows)  # refused before any row is judged
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return _collect("csv", _csv_rows(reader), max_rows)


def _count_csv_rows(text: str, delimiter: str, max_rows: int) -> None:
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    filled = sum(1 for row in _csv_rows(rows) if any(cell.strip() for cell in row))
    if filled - 1 > max_rows:
        raise TooLarge(_too_many(max_rows))


def _csv_rows(reader: Iterator[list[str]]) -> Iterator[list[str]]:
    try:
        yield from reader
    except csv.Error as error:
        raise Malformed(f"The CSV file can't be read: {error}.") from None


def _delimiter(text: str) -> str:
    """`;` (what French Excel writes) or `,`: whichever the header line has more of."""
    header = next((line for line in text.splitlines()[:SNIFF_LINES] if line.strip()), "")
    return max(DELIMITERS, key=header.count)


def _read_xlsx(content: bytes, max_rows: int) -> Sheet:
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as error:
        raise Malformed(f"This is not an XLSX workbook Excel can open ({error}).") from None
    declared = book.worksheets[0].max_row  # the sheet's <dimension>, when it has one
    if declared is None or declared - 1 > max_rows:
        try:
            _count_xlsx_rows(book, max_rows)  # refused before any row is judged
        except TooLarge:
            book.close()
            raise
    return _collect("xlsx", _xlsx_rows(book), max_rows)


def _count_xlsx_rows(book: Any, max_rows: int) -> None:
    """Counts the filled rows while streaming the sheet (a dimension may be absent, or
    count formatted but empty rows); stops as soon as there are too many."""
    filled = _filled_rows(book.worksheets[0].iter_rows(values_only=True))
    if next(itertools.islice(filled, max_rows + 1, None), None) is not None:
        raise TooLarge(_too_many(max_rows))


def _xlsx_rows(book: Any) -> Iterator[tuple[Any, ...]]:
    try:
        yield from book.worksheets[0].iter_rows(values_only=True)
    finally:
        book.close()


def _collect(kind: str, rows: Iterator[Any], max_rows: int) -> Sheet:
    numbered = _filled_rows(rows)
    first = next(numbered, None)
    if first is None:
        raise Malformed("The file is empty: it needs a header row, then one row per user.")
    headers = ["" if c is None else str(c).strip() for c in first[1]]
    return Sheet(kind, headers, _at_most(numbered, max_rows))


def _filled_rows(rows: Iterator[Any]) -> Iterator[Row]:
    for number, row in enumerate(rows, start=1):
        cells = [_cell(value) for value in row]
        if not all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            yield number, cells


def _at_most(rows: Iterator[Row], max_rows: int) -> Iterator[Row]:
    for count, row in enumerate(rows, start=1):
        if count > max_rows:
            raise TooLarge(_too_many(max_rows))
        yield row


def _cell(value: Any) -> Cell:
    if value is None or isinstance(value, str | int | float | bool | date):
        return value
    return str(value)


def template_csv(headers: list[str], example: list[str], delimiter: str) -> bytes:
    """The template: a BOM (so Excel reads it as UTF-8), the headers, one example row."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(headers)
    writer.writerow(example)
    return (BOM + out.getvalue()).encode("utf-8")


def _too_many(max_rows: int) -> str:
    return f"The file has more than {max_rows:,} users; split it into several files."
