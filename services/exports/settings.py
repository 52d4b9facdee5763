"""The exports service's settings, read from the environment (pydantic-settings)."""

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from shared.settings import ServiceSettings

StorageKind = Literal["directory", "s3"]


class ExportsSettings(ServiceSettings):
    port: int = 8004

    export_ttl_hours: float = Field(
        default=24.0, gt=0, description="A finished export's file is removed after this."
    )
    export_storage: StorageKind = Field(
        default="directory",
        description="Where files go: 'directory' (EXPORT_DIR, one machine) or 's3' "
        "(EXPORT_S3_*, several machines).",
    )
    export_dir: Path = Field(
        default=Path(".run/exports"), description="The files' directory (EXPORT_STORAGE=directory)."
    )
    export_work_dir: Path | None = Field(
        default=None,
        description="Where a file is built before it is stored (default: the system's "
        "temporary directory). An XLSX of a million users needs about 1.5 GB there.",
    )
    export_s3_bucket: str = Field(default="", description="The bucket (EXPORT_STORAGE=s3).")
    export_s3_prefix: str = Field(default="exports/", description="Key prefix in the bucket.")
    export_s3_endpoint_url: str | None = Field(
        default=None, description="An S3-compatible server's URL; empty: AWS."
    )
    export_s3_region: str | None = None
    export_s3_access_key_id: str | None = None
    export_s3_secret_access_key: str | None = None
    export_expiry_scan_seconds: float = Field(
        default=60.0, gt=0, description="How often expired files are looked for."
    )
    export_max_attempts: int = Field(
        default=3, ge=1, le=20, description="Builds tried before a job is failed."
    )
    export_lease_seconds: float = Field(
        default=60.0,
        gt=0,
        description="A job whose worker stopped renewing its claim this long (a killed "
        "process) is taken by another worker.",
    )
    export_poll_seconds: float = Field(
        default=2.0, gt=0, description="Look for queued jobs at least this often."
    )
    export_concurrency: int = Field(
        default=1, ge=1, le=8, description="Jobs built at once per process."
    )
    export_recent_jobs: int = Field(
        default=20, ge=1, le=200, description="Jobs GET /api/v1/exports lists."
    )
    display_timezone: str = Field(
        default="America/Toronto", description="The time zone dates are written in."
    )

    @model_validator(mode="after")
    def _s3_has_a_bucket(self) -> "ExportsSettings":
        if self.export_storage == "s3" and not self.export_s3_bucket:
            raise ValueError("EXPORT_STORAGE=s3 needs EXPORT_S3_BUCKET")
        return self
