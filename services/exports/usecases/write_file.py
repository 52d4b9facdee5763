"""Writing one job's file from the projection: CSV straight from PostgreSQL's COPY (the
cells computed in SQL, db/csv_copy.py), XLSX from a cursor through xlsxwriter, its rows
written in a thread so the service's event loop keeps answering meanwhile."""

import asyncio
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Subquery

from services.exports.adapters.files import XlsxExportWriter
from services.exports.db import export_rows
from services.exports.db.csv_copy import copy_csv
from services.exports.db.export_rows import ProjectionReader
from services.exports.domain.cells import CellValue, xlsx_cells
from services.exports.domain.columns import Column
from services.exports.domain.filters import read_filters
from services.exports.domain.jobs import ClaimedJob
from services.exports.domain.rows import ExportRow
from services.exports.i18n import header_row, sheet_title
from shared.contracts.user_filters import UserSort

RowSource = ProjectionReader


class ProgressSink(Protocol):
    rows_expected: int | None

    def progress(self, rows: int) -> None: ...

    async def renew(self) -> bool: ...


async def write_export_file(
    source: RowSource,
    job: ClaimedJob,
    columns: Sequence[Column],
    field_values: Mapping[str, Any],
    zone: ZoneInfo,
    path: Path,
    sink: ProgressSink,
) -> int:
    """Writes the file at `path`; the number of users in it."""
    now = datetime.now(UTC)
    filters = read_filters(job.filters)
    rows = export_rows.matching_rows(job.tenant_id, filters, field_values, job.sort, now)
    sink.rows_expected = await export_rows.count(source.connection, rows)
    await sink.renew()
    header = header_row(columns, job.language)
    if job.format == "csv":
        statement = export_rows.csv_statement(rows, columns, job.sort, now)
        with path.open("wb") as file:
            return await copy_csv(
                source.connection,
                statement,
                file,
                header,
                zone=zone,
                delimiter=job.delimiter,
                on_progress=sink.progress,
            )
    writer = XlsxExportWriter(
        path,
        header,
        sheet_title=sheet_title(job.language),
        widths=[c.width for c in columns],
        on_progress=sink.progress,
        tmpdir=path.parent,
    )
    return await _write_xlsx(source, rows, job.sort, xlsx_cells(columns, zone, now), writer)


async def _write_xlsx(
    source: RowSource,
    rows: Subquery,
    sort: UserSort,
    convert: Callable[[ExportRow], list[CellValue]],
    writer: XlsxExportWriter,
) -> int:
    try:
        async for chunk in export_rows.export_rows(source.connection, rows, sort):
            await asyncio.to_thread(_write, writer, convert, chunk)
        return await asyncio.to_thread(writer.close)
    except BaseException:
        writer.abort()
        raise


def _write(
    writer: XlsxExportWriter,
    convert: Callable[[ExportRow], list[CellValue]],
    chunk: list[ExportRow],
) -> None:
    writer.write_rows(map(convert, chunk))
