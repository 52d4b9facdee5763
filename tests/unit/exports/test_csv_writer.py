import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from services.exports.adapters.files import CsvExportWriter
from services.exports.domain.cells import csv_cells
from services.exports.domain.columns import export_columns
from services.exports.i18n import header_row
from tests.unit.exports.support import FIELDS, a_row

COLUMNS = export_columns(FIELDS)
NOW = datetime(2025, 1, 1, tzinfo=UTC)


def read_back(path: Path, delimiter: str) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as file:
        return list(csv.reader(file, delimiter=delimiter))


@pytest.mark.parametrize("delimiter", [";", ","])
def test_an_export_reads_back_cell_for_cell(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "users.csv"
    to_cells = csv_cells(COLUMNS, ZoneInfo("America/Toronto"), NOW)
    rows = [
        a_row(),
        a_row(first_name='Zoé; "la" 😀', last_name="Line\nbreak, and\r\nmore"),
    ]
    with CsvExportWriter(path, header_row(COLUMNS, "fr"), delimiter=delimiter) as writer:  # type: ignore[arg-type]
        writer.write_rows(map(to_cells, rows))

    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode())  # the BOM Excel needs to read UTF-8
    assert raw[3:].decode().startswith(f"Prénom{delimiter}Nom{delimiter}Courriel")
    header, first, second = read_back(path, delimiter)
    assert header[-5:] == ["Service", "Ancienneté", "Date d'embauche", "Mentor", "Note"]
    assert first[0:2] == ["Zoé", "Lévesque 🎓"]
    assert first[13] == '550 5.1.1 unknown; "mailbox"\nfull'
    assert second[0:2] == ['Zoé; "la" 😀', "Line\nbreak, and\r\nmore"]
    assert first[-5:] == ["TI", "-3", "2019-09-01", "true", "'=2+3"]
    assert first[16] == ""  # never logged in: an empty cell


def test_quoting_is_rfc_4180(tmp_path: Path) -> None:
    target = io.BytesIO()
    with CsvExportWriter(target, ["a", "b", "c", "d"], delimiter=";") as writer:
        writer.write_rows([['say "hi"', "x;y", "x,y", "two\nlines"]])

    assert target.getvalue().decode("utf-8-sig") == (
        'a;b;c;d\n"say ""hi""";"x;y";x,y;"two\nlines"\n'
    )
    assert not target.closed  # the caller's file stays open


def test_progress_every_n_rows_and_at_the_end(tmp_path: Path) -> None:
    reports: list[int] = []
    with CsvExportWriter(
        tmp_path / "p.csv", ["n"], on_progress=reports.append, progress_every=10
    ) as writer:
        writer.write_rows([[i] for i in range(15)])
        writer.write_rows([[i] for i in range(13)])
    assert reports == [10, 20, 28]
    assert writer.rows_written == 28


def test_a_failed_export_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    with pytest.raises(RuntimeError, match="went away"):
        fail_midway(path)
    assert not path.exists()


def fail_midway(path: Path) -> None:
    with CsvExportWriter(path, ["n"]) as writer:
        writer.write_rows([[1]])
        raise RuntimeError("the database went away")


def test_an_unknown_delimiter_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="delimiter must be ';' or ','"):
        CsvExportWriter(tmp_path / "x.csv", ["n"], delimiter="|")  # type: ignore[arg-type]
