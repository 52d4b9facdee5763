"""docs/asyncapi.yaml is the published description of the bus: it must match the code."""

import subprocess
import sys
from pathlib import Path

import yaml

DOCUMENT = Path(__file__).parents[3] / "docs" / "asyncapi.yaml"


def test_the_published_asyncapi_document_is_up_to_date(tmp_path: Path) -> None:
    fresh = tmp_path / "asyncapi.yaml"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "faststream",
            "docs",
            "gen",
            "shared.contracts.asyncapi:app",
            "--yaml",
            "--out",
            str(fresh),
        ],
        check=True,
        capture_output=True,
        cwd=DOCUMENT.parents[1],
    )
    # FastStream writes channels in no fixed order: compare the documents, not the bytes.
    assert yaml.safe_load(fresh.read_text()) == yaml.safe_load(DOCUMENT.read_text()), (
        "regenerate it: uv run faststream docs gen shared.contracts.asyncapi:app --yaml "
        "--out docs/asyncapi.yaml"
    )


def test_every_event_type_is_documented() -> None:
    from shared.contracts import CATALOG

    text = DOCUMENT.read_text()
    for spec in CATALOG:
        assert f"  {spec.name}:\n" in text, spec.name
