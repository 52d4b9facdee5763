"""An XLSX file with more rows than allowed is refused when it is opened, before any row
is read for judging: from the sheet's dimension, or by counting while streaming when the
file declares none (as write-only writers do)."""

import io

import pytest
from openpyxl import Workbook

from services.directory.adapters.spreadsheets import read_sheet
from shared.errors import TooLarge


def xlsx(rows: int, *, declared: bool) -> bytes:
    book = Workbook(write_only=not declared)
    sheet = book.active if declared else book.create_sheet()
    assert sheet is not None
    sheet.append(["E-mail"])
    for n in range(rows):
        sheet.append([f"u{n}@example.com"])
        sheet.append([None])  # blank rows are not users
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("declared", [True, False], ids=["dimension", "no-dimension"])
def test_one_row_too_many_is_refused_on_opening_saying_the_limit(declared: bool) -> None:
    with pytest.raises(TooLarge, match="more than 5 users"):
        read_sheet(xlsx(6, declared=declared), "cohort.xlsx", max_rows=5)


@pytest.mark.parametrize("declared", [True, False], ids=["dimension", "no-dimension"])
def test_exactly_the_limit_is_read_whole(declared: bool) -> None:
    sheet = read_sheet(xlsx(5, declared=declared), "cohort.xlsx", max_rows=5)
    assert sheet.headers == ["E-mail"]
    assert [cells[0] for _, cells in sheet.rows] == [f"u{n}@example.com" for n in range(5)]
