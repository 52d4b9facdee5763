from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from services.exports.adapters.files import XlsxExportWriter
from services.exports.domain.cells import xlsx_cells
from services.exports.domain.columns import export_columns
from services.exports.i18n import header_row, sheet_title
from tests.unit.exports.support import FIELDS, a_row

COLUMNS = export_columns(FIELDS)
NOW = datetime(2025, 1, 1, tzinfo=UTC)


def write(path: Path, rows: int, **options: object) -> XlsxExportWriter:
    to_cells = xlsx_cells(COLUMNS, ZoneInfo("America/Toronto"), NOW)
    users = [a_row(first_name=f"Zoé {n}") for n in range(rows)]
    with XlsxExportWriter(
        path,
        header_row(COLUMNS, "fr"),
        sheet_title=sheet_title("fr"),
        widths=[c.width for c in COLUMNS],
        **options,  # type: ignore[arg-type]
    ) as writer:
        writer.write_rows(map(to_cells, users))
    return writer


def test_cells_read_back_typed(tmp_path: Path) -> None:
    path = tmp_path / "users.xlsx"
    write(path, 2)

    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    assert sheet.title == "Utilisateurs"
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["Prénom", "Nom", "Courriel"]
    row: dict[Any, Any] = {h: cell for h, cell in zip(header, sheet[2], strict=True)}
    assert row["Nom"].value == "Lévesque 🎓"
    assert row["Téléphone"].value == "'+1 514 555 0101"
    assert row["Téléphone"].data_type == "s"
    first_sent = row["Première invitation"]
    assert first_sent.is_date
    assert first_sent.value == datetime(2024, 1, 10, 9, 0, 5, 123000)  # Excel keeps ms
    assert row["Ancienneté"].value == -3
    assert row["Ancienneté"].data_type == "n"
    assert row["Date d'embauche"].is_date
    assert row["Date d'embauche"].value == datetime(2019, 9, 1)
    assert row["Date d'embauche"].number_format == "yyyy-mm-dd"
    assert row["Mentor"].value is True
    assert row["Note"].value == "'=2+3"
    assert row["Motif du rejet"].value == '550 5.1.1 unknown; "mailbox"\nfull'
    assert row["Dernière connexion"].value is None


def test_header_row_is_bold_frozen_and_filtered(tmp_path: Path) -> None:
    path = tmp_path / "users.xlsx"
    write(path, 3)

    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    assert all(cell.font.b for cell in sheet[1])
    assert not any(cell.font.b for cell in sheet[2])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:Y4"  # 25 columns, header and three rows
    widths = {key: dim.width for key, dim in sheet.column_dimensions.items()}
    assert widths["C"] > 30  # e-mail addresses
    assert widths["A"] < widths["C"]


def test_rows_past_a_sheets_limit_go_on_to_a_new_sheet_with_its_header(tmp_path: Path) -> None:
    path = tmp_path / "users.xlsx"
    writer = write(path, 7, rows_per_sheet=4)  # a header and 3 rows a sheet

    assert writer.rows_written == 7
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Utilisateurs", "Utilisateurs (2)", "Utilisateurs (3)"]
    names = []
    for sheet in book.worksheets:
        assert sheet[1][0].value == "Prénom"
        assert sheet.freeze_panes == "A2"
        names += [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == [f"Zoé {n}" for n in range(7)]


def test_progress_every_n_rows_and_at_the_end(tmp_path: Path) -> None:
    reports: list[int] = []
    write(tmp_path / "p.xlsx", 5, on_progress=reports.append, progress_every=2)
    assert reports == [2, 4, 5]


def test_a_failed_export_leaves_no_file_and_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    rows_waiting = tmp_path / "tmp"
    rows_waiting.mkdir()
    with pytest.raises(RuntimeError, match="went away"):
        fail_midway(path, rows_waiting)
    assert not path.exists()
    assert list(rows_waiting.iterdir()) == []


def fail_midway(path: Path, tmpdir: Path) -> None:
    with XlsxExportWriter(path, ["n"], rows_per_sheet=3, tmpdir=tmpdir) as writer:
        writer.write_rows([[1], [2], [3]])  # two sheets, each with its rows in a file
        assert writer.sheet_count == 2
        assert len(list(tmpdir.iterdir())) == 2
        raise RuntimeError("the database went away")


def test_a_cell_of_an_unknown_type_is_refused_clearly(tmp_path: Path) -> None:
    writer = XlsxExportWriter(tmp_path / "x.xlsx", ["a", "b"])
    with pytest.raises(TypeError, match="Column 2: cannot write a dict cell"):
        writer.write_rows([["ok", {"a": 1}]])  # type: ignore[list-item]


def test_dates_and_datetimes_are_numbers_not_text(tmp_path: Path) -> None:
    path = tmp_path / "d.xlsx"
    with XlsxExportWriter(path, ["when", "day"]) as writer:
        writer.write_rows([[datetime(2024, 2, 29, 23, 59, 59), date(2024, 2, 29)]])
    cells = openpyxl.load_workbook(path).active[2]  # type: ignore[index]
    assert [c.data_type for c in cells] == ["d", "d"]  # openpyxl's "a date" (a number in XML)
    assert cells[0].value == datetime(2024, 2, 29, 23, 59, 59)
