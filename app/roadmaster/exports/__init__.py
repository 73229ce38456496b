"""Exports of the job log: CSV and JSON streamed to a temporary file beside the
target and renamed into place (constant memory, never a half-written file under
the requested name), with a progress callback and cancellation.  The PDF report
needs Qt and lives in the UI (``roadmaster.ui.report_pdf``)."""

from roadmaster.exports.files import ExportCancelled, atomic_output
from roadmaster.exports.jobs import CSV_COLUMNS, csv_row, export_jobs, job_json

__all__ = ["CSV_COLUMNS", "ExportCancelled", "atomic_output", "csv_row", "export_jobs", "job_json"]
