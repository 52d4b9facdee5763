"""The dry run: read the uploaded file, judge every row against the tenant as it is, and
keep the verdicts (the import's preview) for the admin to read and then confirm. Nothing
but the preview is written; a file that can't be read leaves nothing at all."""

import itertools
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.directory.adapters.spreadsheets import Cell, Row, read_sheet
from services.directory.db import imports as imports_db
from services.directory.db.job_tables import UserImport
from services.directory.domain.import_columns import HeaderMap, HeaderProblem, match_headers
from services.directory.domain.import_rows import ImportRow
from services.directory.usecases.imports.judging import Judged, judge, tenancy
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.errors import Invalid, TooLarge
from shared.security.access_tokens import Principal

CHUNK = 2000


@dataclass(frozen=True)
class Upload:
    file_name: str
    content: bytes
    create_groups: bool = False


@dataclass(frozen=True)
class ImportLimits:
    max_rows: int
    max_bytes: int
    keep_for: timedelta
    smtputf8: bool = False  # EMAIL_SMTPUTF8: non-ASCII before the @ accepted


async def preview_import(
    uow: DirectoryUnitOfWork, actor: Principal, upload: Upload, limits: ImportLimits
) -> UserImport:
    if len(upload.content) > limits.max_bytes:
        raise TooLarge(
            f"The file is larger than {limits.max_bytes // 1_000_000} MB; split it into "
            "several files."
        )
    sheet = read_sheet(upload.content, upload.file_name, limits.max_rows)
    now_tenancy = await tenancy(uow.session, actor, upload.create_groups, smtputf8=limits.smtputf8)
    labels = {f.key: f.label for f in now_tenancy.fields}
    try:
        headers = match_headers(sheet.headers, labels)
    except HeaderProblem as error:
        raise Invalid(str(error)) from None
    now = datetime.now(UTC)
    record = imports_db.add_import(
        uow.session,
        tenant_id=actor.tenant_id,
        id=uuid.uuid4(),
        file_name=upload.file_name[:255],
        file_kind=sheet.kind,
        create_groups=upload.create_groups,
        columns=[*headers.columns, *headers.custom_fields],
        ignored_columns=list(headers.ignored),
        counts={},
        created_by=actor.user_id,
        created_at=now,
        expires_at=now + limits.keep_for,
    )
    await uow.flush()
    counts: Counter[str] = Counter()
    seen: dict[str, int] = {}
    for chunk in _chunks(sheet.rows, headers):
        judged = await judge(uow.session, actor.tenant_id, now_tenancy, chunk, seen)
        counts.update(j.verdict.plan.value for j in judged)
        await imports_db.copy_rows(uow.session, [_record(record, j) for j in judged])
    if not counts:
        raise Invalid("The file has a header row but no users under it.")
    record.counts = {"rows": sum(counts.values()), **counts}
    return record


def _chunks(rows: Iterator[Row], headers: HeaderMap) -> Iterator[list[ImportRow]]:
    places = {**{c.value: i for c, i in headers.columns.items()}, **headers.custom_fields}
    while chunk := list(itertools.islice(rows, CHUNK)):
        yield [ImportRow(number, _by_column(cells, places)) for number, cells in chunk]


def _by_column(cells: Sequence[Cell], places: dict[str, int]) -> dict[str, Any]:
    return {name: _storable(cells[i]) for name, i in places.items() if i < len(cells)}


def _storable(cell: Cell) -> Any:
    """JSON keeps the cell for the apply; a date cell as its ISO text."""
    return cell.isoformat() if isinstance(cell, date) else cell


def _record(record: UserImport, judged: Judged) -> imports_db.RowRecord:
    verdict = judged.verdict
    changes = list(verdict.changes) + [f"new group: {g}" for g in verdict.new_groups]
    return (
        record.tenant_id,
        record.id,
        judged.number,
        judged.email[:320],
        dict(judged.cells),
        verdict.plan,
        changes,
        verdict.message or None,
    )
