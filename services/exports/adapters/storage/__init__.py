"""Where finished export files are kept: one small interface, two backends (a directory on
this machine, an S3-compatible bucket for several machines), chosen by settings."""

from services.exports.adapters.storage.base import FileStorage, StoredFile
from services.exports.adapters.storage.local import DirectoryStorage
from services.exports.adapters.storage.s3 import S3Storage

__all__ = ["DirectoryStorage", "FileStorage", "S3Storage", "StoredFile"]
