"""XLSX with xlsxwriter in `constant_memory` mode: each row goes to disk as it is written.

Why xlsxwriter and not openpyxl's write-only mode: openpyxl builds a cell object per value.
On 30 k rows held in memory it took 1.8x xlsxwriter's time without lxml, 1.4x with lxml;
through bench/exports.py (1 M users read from PostgreSQL, our cells) 3.3x. This writer,
calling xlsxwriter's typed methods (no per-cell type guessing), took 0.91x and 0.72x the time
of a plain xlsxwriter `write_row` of the same rows at 1 M (two runs): P3 is met with
xlsxwriter and not with openpyxl. Tests read the files back with openpyxl.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from services.exports.adapters.files.file_writer import FileWriter
from services.exports.adapters.files.progress import (
    DEFAULT_PROGRESS_EVERY,
    Progress,
    ProgressCallback,
)
from services.exports.domain.cells import CellValue

MAX_ROWS_PER_SHEET = 1_048_576  # Excel's limit, the header row included
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_WIDTH = 19.0
MIN_WIDTH, MAX_WIDTH = 6.0, 60.0
WIDTH_SAMPLE_ROWS = 200  # the first rows of each sheet widen columns that need it
FILTER_BUTTON = 3  # characters the autofilter's button covers in the header cell


class XlsxExportWriter(FileWriter):
    """Writes rows of typed cells (`domain.cells.xlsx_cells`) as they come.

    Each sheet starts with a bold, frozen header row and has an autofilter over its rows; past
    `rows_per_sheet` rows (header included) the rows go on to a new sheet with its own header.
    Datetimes must be naive (already in the tenant's zone): Excel has no time zones.
    xlsxwriter writes the file at `close()`, so a failed export (`abort()`, or an error inside
    `with`) leaves no file at a path target, nor temporary files.
    Meanwhile rows wait, uncompressed, in a temporary file (`tmpdir`): ~1.1 kB a row for 25
    columns, so ~1.1 GB of disk for a million rows until `close()`. A killed process leaves
    that file behind: give each job its own `tmpdir`, emptied when the job is retried.
    """

    def __init__(
        self,
        target: Path | IO[bytes],
        header: Sequence[str],
        *,
        sheet_title: str = "Users",
        widths: Sequence[float] | None = None,
        rows_per_sheet: int = MAX_ROWS_PER_SHEET,
        on_progress: ProgressCallback | None = None,
        progress_every: int = DEFAULT_PROGRESS_EVERY,
        tmpdir: Path | None = None,
    ) -> None:
        if not 2 <= rows_per_sheet <= MAX_ROWS_PER_SHEET:
            limit = f"2..{MAX_ROWS_PER_SHEET}"
            raise ValueError(f"rows_per_sheet must be {limit}, not {rows_per_sheet}.")
        if widths is not None and len(widths) != len(header):
            raise ValueError(f"{len(widths)} widths for {len(header)} columns.")
        self._header = list(header)
        self._base_widths = list(widths or [len(h) for h in header])
        self._title = sheet_title
        self._rows_per_sheet = rows_per_sheet
        self._progress = Progress(on_progress, progress_every)
        options: dict[str, Any] = {"constant_memory": True}
        if tmpdir is not None:
            options["tmpdir"] = str(tmpdir)
        destination = str(target) if isinstance(target, Path) else target
        self._book = xlsxwriter.Workbook(destination, options)
        self._bold = self._book.add_format({"bold": True})
        self._datetime = self._book.add_format({"num_format": DATETIME_FORMAT})
        self._date = self._book.add_format({"num_format": DATE_FORMAT})
        self._sheets = 0
        self._start_sheet()

    @property
    def rows_written(self) -> int:
        return self._progress.rows

    @property
    def sheet_count(self) -> int:
        return self._sheets

    def write_rows(self, rows: Iterable[Sequence[CellValue]]) -> None:
        progress = self._progress
        for cells in rows:
            if self._row == self._rows_per_sheet:
                self._finish_sheet()
                self._start_sheet()
            if self._row <= WIDTH_SAMPLE_ROWS:
                self._measure(cells)
            self._write_cells(self._row, cells)
            self._row += 1
            progress.add(1)

    def _write_cells(self, row: int, cells: Sequence[CellValue]) -> None:
        # Typed calls instead of xlsxwriter's `write_row`, which guesses each cell's type (and
        # would turn "=..." text into formulas), straight to the methods behind the public
        # ones' A1-notation wrapper: together ~10% of the time per row (bench/exports.py).
        string, number, moment, boolean = self._writes
        for column, value in enumerate(cells):
            kind = value.__class__
            if kind is str:
                string(row, column, value)
            elif value is None:
                continue
            elif kind is datetime:
                moment(row, column, value, self._datetime)
            elif kind is int or kind is float:
                number(row, column, value)
            elif kind is bool:
                boolean(row, column, value)
            elif kind is date:
                moment(row, column, value, self._date)
            elif isinstance(value, str):  # a StrEnum member (status, role...)
                string(row, column, str(value))
            else:
                raise TypeError(f"Column {column + 1}: cannot write a {kind.__name__} cell.")

    def _start_sheet(self) -> None:
        self._sheets += 1
        name = self._title if self._sheets == 1 else f"{self._title} ({self._sheets})"
        self._sheet: Worksheet = self._book.add_worksheet(name[:31])
        self._sheet.write_row(0, 0, self._header, self._bold)
        self._sheet.freeze_panes(1, 0)
        self._writes = _cell_writers(self._sheet)
        self._widths = [w + 0.0 for w in self._base_widths]
        for column, text in enumerate(self._header):
            self._widths[column] = max(self._widths[column], len(text) + FILTER_BUTTON)
        self._row = 1

    def _measure(self, cells: Sequence[CellValue]) -> None:
        widths = self._widths
        for column, value in enumerate(cells):
            if value.__class__ is str:
                widths[column] = max(widths[column], len(value))
            elif value.__class__ is datetime:
                widths[column] = max(widths[column], DATETIME_WIDTH)

    def _finish_sheet(self) -> None:
        last_column = len(self._header) - 1
        for column, width in enumerate(self._widths):
            self._sheet.set_column(column, column, min(max(width, MIN_WIDTH), MAX_WIDTH))
        self._sheet.autofilter(0, 0, self._row - 1, last_column)

    def close(self) -> int:
        """Writes the file; the number of data rows written (all sheets)."""
        self._finish_sheet()
        self._book.close()
        self._progress.finish()
        return self._progress.rows

    def abort(self) -> None:
        """Stops without a file: xlsxwriter writes the file only at close(), but keeps each
        sheet's rows in a temporary file until then, which is removed here."""
        for sheet in self._book.worksheets():
            if sheet.row_data_fh is not None and not sheet.row_data_fh.closed:
                sheet.row_data_fh.close()
            if sheet.row_data_filename is not None:
                Path(sheet.row_data_filename).unlink(missing_ok=True)


def _cell_writers(sheet: Worksheet) -> tuple[Callable[..., Any], ...]:
    """xlsxwriter's write_string, write_number, write_datetime and write_boolean, without the
    wrapper that accepts "A1" cell names (the same methods if a version renames those)."""
    names = ("string", "number", "datetime", "boolean")
    return tuple(
        getattr(sheet, f"_write_{name}", None) or getattr(sheet, f"write_{name}") for name in names
    )
