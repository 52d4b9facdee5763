"""P2 and P3: exporting users to CSV and XLSX, next to what the tools alone do, in one run.

    uv run python bench/exports.py [--users 1000000] [--sizes 100000,1000000] [--openpyxl]

Creates its own database (dropped at the end) holding a projection-shaped table of N synthetic
users (one row per user, ~3 groups as a text[], three custom fields in a jsonb), loaded with
COPY. Then, for each size (the first `size` users), each in a fresh process:

  copy       PostgreSQL's own `COPY (SELECT ...) TO STDOUT` of the same rows and columns (the
             P2 baseline): groups joined, custom fields extracted, no neutralisation.
  csv        our CSV: `db.csv_copy.copy_csv` (COPY with the cells computed in SQL).
  csv-py     the same CSV through Python: asyncpg cursor -> ExportRow -> csv_cells -> csv module.
  xlsxwriter xlsxwriter `constant_memory`, `write_row` of the same rows (the P3 baseline).
  xlsx       our XLSX: asyncpg cursor -> ExportRow -> xlsx_cells -> XlsxExportWriter.
  openpyxl   (with --openpyxl) openpyxl write-only of our cells, for the record.

Peak memory is the peak RSS of the process that writes (VmHWM), printed with its RSS
after imports: RSS is what a container's memory limit counts, C allocations included (asyncpg's
buffers, zlib), which tracemalloc does not see; tracemalloc would also slow the run 2-3x.
The machine is shared and noisy: exports run in rounds, each right after its baseline, and
the ratio printed is the median of the ratios within a round. CSV: --repeat rounds (5);
XLSX: --xlsx-repeat rounds (1: about 2 minutes an export per million rows).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
ZONE = "America/Toronto"
BATCH = 5_000  # rows fetched from the cursor at a time
CUSTOM_FIELDS = (
    ("department", "Service", "choice"),
    ("seniority", "Ancienneté", "number"),
    ("hired_on", "Date d'embauche", "date"),
)
KINDS = ("copy", "csv", "csv-py", "xlsxwriter", "xlsx")

TABLE_DDL = """
CREATE TABLE export_users (
    seq integer PRIMARY KEY,
    id uuid NOT NULL,
    first_name text NOT NULL,
    last_name text NOT NULL,
    email text NOT NULL,
    phone text,
    locale text NOT NULL,
    role text NOT NULL,
    status text NOT NULL,
    groups text[] NOT NULL,
    invitation_state text NOT NULL,
    invitation_first_sent_at timestamptz,
    invitation_last_sent_at timestamptz,
    email_state text NOT NULL,
    bounce_kind text,
    email_reason text,
    email_changed_at timestamptz,
    created_at timestamptz NOT NULL,
    last_login_at timestamptz,
    deactivated_at timestamptz,
    deactivated_by text,
    deactivation_reason text,
    invitation_expires_at timestamptz,
    custom_fields jsonb NOT NULL
)"""
ROW_COLUMNS = (
    "first_name, last_name, email, phone, locale, role, status, groups, invitation_state, "
    "invitation_first_sent_at, invitation_last_sent_at, email_state, bounce_kind, email_reason, "
    "email_changed_at, created_at, last_login_at, deactivated_at, deactivated_by, "
    "deactivation_reason, invitation_expires_at, custom_fields"
)
# The baseline's columns: the same cells without our rules (no neutralisation, no expiry).
RAW_COLUMNS = (
    "first_name, last_name, email, phone, locale, role, status, "
    "array_to_string(groups, ', '), invitation_state, invitation_first_sent_at, "
    "invitation_last_sent_at, email_state, bounce_kind, email_reason, email_changed_at, "
    "created_at, last_login_at, deactivated_at, deactivated_by, deactivation_reason, "
    "custom_fields->>'department', (custom_fields->>'seniority')::int, "
    "(custom_fields->>'hired_on')::date"
)


# --- synthetic users ---------------------------------------------------------------------------

FIRST = ["Marie-Ève", "Zoé", "Jean", "François", "Chloé", "Olivier", "Léa", "Noah", "Amélie"]
FIRST += ["William", "Émile", "Gabrielle", "Thomas", "Béatrice", "Samuel", "Juliette"]
LAST = ["Tremblay", "Gagnon", "Roy", "Côté", "Bouchard", "Gauthier", "Morin", "Lavoie"]
LAST += ["Fortin", "Gagné", "Ouellet", "Pelletier", "Bélanger", "Lévesque", "Bergeron"]
GROUPS = ["Montréal", "Québec", "Ventes", "TI", "RH", "Finances", "Direction", "Formateurs"]
GROUPS += ["Nouveaux", "Cohorte 2024", "Cohorte 2025", "Laval", "Gatineau", "Sherbrooke"]
DEPARTMENTS = ["TI", "Ventes", "RH", "Finances", "Opérations", "Marketing"]


def synthetic_users(count: int, seed: int = 42) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(seed)
    start = datetime(2022, 1, 1, tzinfo=UTC)
    admin = "admin@bench.example.com"
    for seq in range(1, count + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        if seq % 1000 == 0:
            last = '=HYPERLINK("http://x.example")'  # a formula someone typed as a name
        created = start + timedelta(seconds=rng.randrange(0, 3 * 365 * 86400))
        status = rng.choices(["active", "invited", "deactivated"], [80, 15, 5])[0]
        sent = created + timedelta(minutes=5)
        last_sent = sent + timedelta(days=rng.choice([0, 0, 3, 7]))
        invitation = "accepted" if status != "invited" else rng.choice(["sent", "delivered"])
        bounced = rng.random() < 0.03
        login = created + timedelta(days=rng.randrange(1, 400)) if status == "active" else None
        deactivated = created + timedelta(days=200) if status == "deactivated" else None
        yield (
            seq,
            uuid.UUID(int=rng.getrandbits(128)),
            first,
            last,
            f"{first[0].lower()}.{last[:8].lower()}{seq}@exemple.ca",
            f"+1 514 555 {seq % 10000:04d}" if seq % 2 else None,
            rng.choice(["fr", "fr", "en"]),
            "admin" if seq % 100 == 0 else "learner",
            status,
            rng.sample(GROUPS, 3),
            invitation,
            sent,
            last_sent,
            "bounced" if bounced else "ok",
            "hard" if bounced else None,
            "550 5.1.1 mailbox unavailable" if bounced else None,
            last_sent + timedelta(minutes=1) if bounced else None,
            created,
            login,
            deactivated,
            admin if deactivated else None,
            "Départ de l'entreprise; compte fermé" if deactivated else None,
            sent + timedelta(days=7),
            json.dumps(
                {
                    "department": rng.choice(DEPARTMENTS),
                    "seniority": rng.randrange(0, 40),
                    "hired_on": (
                        date(2000, 1, 1) + timedelta(days=rng.randrange(9000))
                    ).isoformat(),
                }
            ),
        )


async def load_users(url: str, count: int) -> float:
    started = time.perf_counter()
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(TABLE_DDL)
        users = synthetic_users(count)
        while batch := [row for _, row in zip(range(100_000), users, strict=False)]:
            await connection.copy_records_to_table("export_users", records=batch)
        await connection.execute("VACUUM ANALYZE export_users")
    finally:
        await connection.close()
    return time.perf_counter() - started


# --- one measurement, in its own process ---------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    kind: str
    size: int
    rows: int
    seconds: float
    bytes: int
    rss_after_imports_mb: float
    peak_rss_mb: float


def rss_mb() -> float:
    """This process's peak RSS so far. VmHWM, not ru_maxrss: Linux carries ru_maxrss over
    from the parent through fork and exec, so a child would report the loader's peak."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def layout() -> Any:
    from services.exports.domain.columns import CustomFieldColumn, FieldType, export_columns

    fields = [CustomFieldColumn(key, label, FieldType(kind)) for key, label, kind in CUSTOM_FIELDS]
    return export_columns(fields)


async def json_connection(url: str) -> asyncpg.Connection:
    connection = await asyncpg.connect(url)
    await connection.set_type_codec(
        "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
    )
    return connection


async def batches(
    connection: asyncpg.Connection, query: str, size: int
) -> AsyncIterator[list[Any]]:
    async with connection.transaction():
        cursor = await connection.cursor(query, size)
        while rows := await cursor.fetch(BATCH):
            yield rows


def export_rows(records: Sequence[asyncpg.Record]) -> Iterator[Any]:
    """Records (in ExportRow's field order) -> ExportRow, as the projection's reader would."""
    from services.exports.domain.rows import ExportRow
    from shared.contracts.users import BounceKind, EmailState, InvitationState, UserStatus

    status = {m.value: m for m in UserStatus}
    invitation = {m.value: m for m in InvitationState}
    email = {m.value: m for m in EmailState}
    bounce: dict[str | None, BounceKind | None] = {m.value: m for m in BounceKind}
    bounce[None] = None
    for r in records:
        yield ExportRow(
            r[0], r[1], r[2], r[3], r[4], r[5], status[r[6]], r[7], invitation[r[8]],
            r[9], r[10], email[r[11]], bounce[r[12]],
            r[13], r[14], r[15], r[16], r[17], r[18], r[19], r[20], r[21],
        )  # fmt: skip


async def measure(kind: str, url: str, size: int, out: Path) -> Measured:
    """Runs one export of the first `size` users to `out`; times everything after imports."""
    # What each export needs is imported before the clock starts (Babel alone takes ~0.2 s).
    import services.exports.adapters.files
    import services.exports.domain.cells
    import services.exports.i18n

    if kind in ("csv", "csv-py", "copy"):
        import sqlalchemy.dialects.postgresql  # noqa: F401

        import services.exports.db.csv_copy  # noqa: F401
    else:
        import xlsxwriter  # noqa: F401

        if kind == "openpyxl":
            import openpyxl  # noqa: F401
    after_imports = rss_mb()
    connection = await json_connection(url)
    started = time.perf_counter()
    try:
        rows = await EXPORTS[kind](connection, size, out)
    finally:
        await connection.close()
    seconds = time.perf_counter() - started
    size_bytes = os.path.getsize(out)  # noqa: ASYNC240 - after the clock stopped
    return Measured(kind, size, rows, seconds, size_bytes, after_imports, rss_mb())


async def export_copy(connection: asyncpg.Connection, size: int, out: Path) -> int:
    query = f"SELECT {RAW_COLUMNS} FROM export_users WHERE seq <= {size} ORDER BY seq"
    with out.open("wb") as target:
        status = await connection.copy_from_query(query, output=target, format="csv")
    return int(status.split()[-1])


async def export_csv(connection: asyncpg.Connection, size: int, out: Path) -> int:
    import sqlalchemy as sa
    from sqlalchemy.dialects.postgresql import JSONB

    from services.exports.db.csv_copy import copy_csv, csv_cell_expressions
    from services.exports.i18n import header_row

    columns = layout()
    names = [c.strip() for c in ROW_COLUMNS.split(",")]
    table = sa.table(
        "export_users",
        sa.column("seq"),
        *(sa.column(n, JSONB) if n == "custom_fields" else sa.column(n) for n in names),
    )
    now = datetime.now(UTC)
    cells = csv_cell_expressions(columns, table, now)
    statement = sa.select(*cells).where(table.c.seq <= size).order_by(table.c.seq)
    with out.open("wb") as target:
        header = header_row(columns, "fr")
        return await copy_csv(connection, statement, target, header, zone=ZoneInfo(ZONE))


async def export_csv_python(connection: asyncpg.Connection, size: int, out: Path) -> int:
    from services.exports.adapters.files import CsvExportWriter
    from services.exports.domain.cells import csv_cells
    from services.exports.i18n import header_row

    columns = layout()
    to_cells = csv_cells(columns, ZoneInfo(ZONE), datetime.now(UTC))
    query = f"SELECT {ROW_COLUMNS} FROM export_users WHERE seq <= $1 ORDER BY seq"
    with CsvExportWriter(out, header_row(columns, "fr")) as writer:
        async for records in batches(connection, query, size):
            writer.write_rows(map(to_cells, export_rows(records)))
    return writer.rows_written


async def export_xlsxwriter(connection: asyncpg.Connection, size: int, out: Path) -> int:
    import xlsxwriter

    options = {
        "constant_memory": True,
        "remove_timezone": True,
        "default_date_format": "yyyy-mm-dd hh:mm:ss",
    }
    book = xlsxwriter.Workbook(str(out), options)
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, [c.header for c in layout()])
    query = f"SELECT {RAW_COLUMNS} FROM export_users WHERE seq <= $1 ORDER BY seq"
    row = 0
    async for records in batches(connection, query, size):
        for record in records:
            row += 1
            sheet.write_row(row, 0, record)
    book.close()
    return row


async def export_xlsx(connection: asyncpg.Connection, size: int, out: Path) -> int:
    from services.exports.adapters.files import XlsxExportWriter
    from services.exports.domain.cells import xlsx_cells
    from services.exports.i18n import header_row, sheet_title

    columns = layout()
    to_cells = xlsx_cells(columns, ZoneInfo(ZONE), datetime.now(UTC))
    query = f"SELECT {ROW_COLUMNS} FROM export_users WHERE seq <= $1 ORDER BY seq"
    with XlsxExportWriter(
        out,
        header_row(columns, "fr"),
        sheet_title=sheet_title("fr"),
        widths=[c.width for c in columns],
    ) as writer:
        async for records in batches(connection, query, size):
            writer.write_rows(map(to_cells, export_rows(records)))
    return writer.rows_written


async def export_openpyxl(connection: asyncpg.Connection, size: int, out: Path) -> int:
    import openpyxl

    from services.exports.domain.cells import xlsx_cells
    from services.exports.i18n import header_row

    columns = layout()
    to_cells = xlsx_cells(columns, ZoneInfo(ZONE), datetime.now(UTC))
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(header_row(columns, "fr"))
    query = f"SELECT {ROW_COLUMNS} FROM export_users WHERE seq <= $1 ORDER BY seq"
    rows = 0
    async for records in batches(connection, query, size):
        for cells in map(to_cells, export_rows(records)):
            sheet.append(cells)
            rows += 1
    book.save(out)
    return rows


EXPORTS = {
    "copy": export_copy,
    "csv": export_csv,
    "csv-py": export_csv_python,
    "xlsxwriter": export_xlsxwriter,
    "xlsx": export_xlsx,
    "openpyxl": export_openpyxl,
}


def size_and_out(size: int, out: Path) -> list[str]:
    return ["--size", str(size), "--out", str(out)]


def run_child(kind: str, url: str, size: int, out_dir: Path) -> Measured:
    out = out_dir / f"{kind}-{size}.{'xlsx' if 'xls' in kind or kind == 'openpyxl' else 'csv'}"
    completed = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--url", url, *size_and_out(size, out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"{kind} at {size:,} failed:\n{completed.stderr}")
    return Measured(**json.loads(completed.stdout.strip().splitlines()[-1]))


# --- the report -------------------------------------------------------------------------------


BASELINES = {"csv": "copy", "csv-py": "copy", "xlsx": "xlsxwriter", "openpyxl": "xlsxwriter"}
CSV_KINDS = ("copy", "csv", "csv-py")
Runs = dict[str, list[Measured]]  # kind -> one measurement per round


def paired_ratio(runs: Runs, kind: str) -> float | None:
    """Median over rounds of (this kind's time / its baseline's time in the same round):
    both ran back to back, so a busy spell on this shared machine hits the pair alike."""
    base = runs.get(BASELINES.get(kind, ""))
    if not base:
        return None
    return statistics.median(m.seconds / b.seconds for m, b in zip(runs[kind], base, strict=False))


def print_size(size: int, runs: Runs) -> None:
    print(f"\n{size:,} users (medians over rounds)")
    header = f"{'export':<12} {'rows':>10} {'seconds':>8} {'rows/s':>9} {'MB':>7} "
    header += f"{'RSS imports':>11} {'peak RSS':>9}  vs baseline (same round)"
    print(header)
    print("─" * len(header))
    for kind, measured in runs.items():
        seconds = statistics.median(m.seconds for m in measured)
        peak = max(m.peak_rss_mb for m in measured)
        first = measured[0]
        ratio = paired_ratio(runs, kind)
        versus = f"{ratio:5.2f}x {BASELINES[kind]}" if ratio is not None else ""
        print(
            f"{kind:<12} {first.rows:>10,} {seconds:8.2f} {first.rows / seconds:9,.0f} "
            f"{first.bytes / 1e6:7.1f} {first.rss_after_imports_mb:9.1f}MB {peak:7.1f}MB  {versus}"
        )


def verdicts(all_runs: dict[int, Runs]) -> None:
    print("\ntargets")
    for size, runs in all_runs.items():
        for kind, target, limit in (("csv", "P2", 1.5), ("xlsx", "P3", 1.0)):
            ratio = paired_ratio(runs, kind)
            if ratio is None:
                continue
            peak = max(m.peak_rss_mb for m in runs[kind])
            met = ratio <= limit and peak <= 100
            print(
                f"  {target} {size:>9,}: {kind.upper()} {ratio:.2f}x {BASELINES[kind]} "
                f"(<= {limit}), peak {peak:.0f} MB (<= 100): {'met' if met else 'NOT met'}"
            )


def measure_size(args: argparse.Namespace, url: str, size: int, out: Path) -> Runs:
    """CSV exports in --repeat interleaved rounds, then the XLSX ones in --xlsx-repeat."""
    kinds = [k for k in KINDS if k not in args.skip] + (["openpyxl"] if args.openpyxl else [])
    runs: Runs = {kind: [] for kind in kinds}
    csv_kinds = [k for k in kinds if k in CSV_KINDS]
    xlsx_kinds = [k for k in kinds if k not in CSV_KINDS]
    rounds = [csv_kinds] * args.repeat + [xlsx_kinds] * args.xlsx_repeat
    for number, round_kinds in enumerate(rounds, 1):
        for kind in round_kinds:
            print(f"  {size:,}: {kind}, round {number} ...", flush=True)
            runs[kind].append(run_child(kind, url, size, out))
    return runs


def database_url(server_url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(server_url)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


async def create_database(server_url: str, name: str) -> None:
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def drop_database(server_url: str, name: str) -> None:
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def main(args: argparse.Namespace) -> None:
    sizes = sorted({int(s) for s in args.sizes.split(",")} if args.sizes else {100_000, args.users})
    sizes = [s for s in sizes if s <= args.users]
    if args.openpyxl:
        lxml = importlib.util.find_spec("lxml") is not None
        print(f"openpyxl write-only {'with' if lxml else 'without'} lxml installed")
    name = f"bench_exports_{os.getpid()}"
    url = database_url(args.postgres_url, name)
    asyncio.run(create_database(args.postgres_url, name))
    try:
        print(f"loading {args.users:,} users into {name} with COPY ...", flush=True)
        print(f"loaded in {asyncio.run(load_users(url, args.users)):.1f} s")
        with tempfile.TemporaryDirectory(prefix="bench-exports-") as out:
            run_child("copy", url, args.users, Path(out))  # warms the table into the cache
            results: dict[int, Runs] = {}
            for size in sizes:
                results[size] = measure_size(args, url, size, Path(out))
                print_size(size, results[size])
        verdicts(results)
    finally:
        asyncio.run(drop_database(args.postgres_url, name))


def child(args: argparse.Namespace) -> None:
    measured = asyncio.run(measure(args.child, args.url, args.size, Path(args.out)))
    print(json.dumps(measured.__dict__))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--sizes", help="comma-separated row counts (default: 100000 and --users)")
    parser.add_argument("--repeat", type=int, default=5, help="rounds of the CSV exports")
    parser.add_argument("--xlsx-repeat", type=int, default=1, help="rounds of the XLSX exports")
    parser.add_argument("--skip", action="append", default=[], choices=KINDS)
    parser.add_argument("--openpyxl", action="store_true", help="also openpyxl write-only")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--child", choices=list(EXPORTS), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse_args()
    child(arguments) if arguments.child else main(arguments)
