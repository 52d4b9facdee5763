"""The private temporary directory a job's file is built in, named after the job, so that
the next attempt at a job (its worker was killed mid-build) removes what the last one
left: an XLSX build holds ~1.1 kB a row there until the end."""

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _prefix(job_id: uuid.UUID) -> str:
    return f"export-{job_id}-"


def remove_leftovers(work_dir: Path | None, job_id: uuid.UUID) -> int:
    """Remove the job's directories left by earlier attempts; how many there were."""
    parent = work_dir or Path(tempfile.gettempdir())
    left = [path for path in parent.glob(f"{_prefix(job_id)}*") if path.is_dir()]
    for path in left:
        shutil.rmtree(path, ignore_errors=True)
    return len(left)


@contextmanager
def job_work_dir(work_dir: Path | None, job_id: uuid.UUID) -> Iterator[Path]:
    """A new directory for this attempt, removed with what it holds at the end."""
    with tempfile.TemporaryDirectory(prefix=_prefix(job_id), dir=work_dir) as work:
        yield Path(work)
