"""CSV as Excel opens it: UTF-8 with a BOM, RFC 4180 quoting, `;` (French Excel) or `,`.

Records end with a line feed, as PostgreSQL's COPY ends them (db/csv_copy.py), so both ways of
writing an export give the same bytes; Excel, LibreOffice and csv readers take either ending.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Literal, get_args

from services.exports.adapters.files.file_writer import FileWriter
from services.exports.adapters.files.progress import (
    DEFAULT_PROGRESS_EVERY,
    Progress,
    ProgressCallback,
)
from services.exports.domain.cells import CellValue

Delimiter = Literal[";", ","]
BOM = "\ufeff"


class CsvExportWriter(FileWriter):
    """Writes rows of text cells as they come; memory does not grow with the row count.

    `target` is a path (created; removed again if the writing fails) or a binary file object
    (left open). The caller converts cells first (`domain.cells.csv_cells`): None is an empty
    cell, anything else is written as `str(value)`.
    """

    def __init__(
        self,
        target: Path | IO[bytes],
        header: Sequence[str],
        *,
        delimiter: Delimiter = ";",
        on_progress: ProgressCallback | None = None,
        progress_every: int = DEFAULT_PROGRESS_EVERY,
    ) -> None:
        if delimiter not in get_args(Delimiter):
            raise ValueError(f"delimiter must be ';' or ',', not {delimiter!r}.")
        self._progress = Progress(on_progress, progress_every)
        self._path = target if isinstance(target, Path) else None
        binary = target.open("wb") if isinstance(target, Path) else target
        self._text = io.TextIOWrapper(binary, encoding="utf-8", newline="", write_through=False)
        self._writer = csv.writer(self._text, delimiter=delimiter, lineterminator="\n")
        self._text.write(BOM)
        self._writer.writerow(header)

    @property
    def rows_written(self) -> int:
        return self._progress.rows

    def write_rows(self, rows: Iterable[Sequence[CellValue]]) -> None:
        rows = iter(rows)
        while chunk := list(itertools.islice(rows, self._progress.rows_until_report())):
            self._writer.writerows(chunk)
            self._progress.add(len(chunk))

    def close(self) -> int:
        """Flushes everything to the target; the number of data rows written."""
        self._text.flush()
        if self._path is not None:
            self._text.close()
        else:
            self._text.detach()  # the caller's file object stays open
        self._progress.finish()
        return self._progress.rows

    def abort(self) -> None:
        """Stops without a file: a path target is removed, a file object is left as it is."""
        if self._path is not None:
            self._text.close()
            self._path.unlink(missing_ok=True)
        else:
            self._text.detach()
