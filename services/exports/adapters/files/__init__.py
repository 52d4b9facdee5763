"""Export files, written as a stream in constant memory: CSV and XLSX."""

from services.exports.adapters.files.csv_file import CsvExportWriter, Delimiter
from services.exports.adapters.files.progress import ProgressCallback
from services.exports.adapters.files.xlsx_file import MAX_ROWS_PER_SHEET, XlsxExportWriter

__all__ = [
    "MAX_ROWS_PER_SHEET",
    "CsvExportWriter",
    "Delimiter",
    "ProgressCallback",
    "XlsxExportWriter",
]
