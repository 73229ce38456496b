"""``roadmaster export``: the job log to a CSV, JSON or PDF file, with the filters
of ``roadmaster jobs``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from roadmaster import paths
from roadmaster.commands.jobs import add_filters, query_of
from roadmaster.errors import UserError
from roadmaster.storage.queries import SORT_COLUMNS
from roadmaster.storage.readonly import open_for_reading


def register(sub: Any) -> None:
    p = sub.add_parser(
        "export",
        help="export the job log to CSV, JSON or a PDF report",
        description="Write the jobs (with the same filters as `jobs`) to a file. CSV is "
        "UTF-8 with a BOM, ISO dates and plain numbers; JSON holds the objects "
        "`jobs --json` prints; PDF is a career report (summary, charts, tables). "
        "The file appears only once complete.",
    )
    p.add_argument("--format", choices=("csv", "json", "pdf"), required=True)
    p.add_argument("--out", required=True, metavar="FILE", help="the file to write")
    p.add_argument("--data-dir", help="data folder (default: the user data folder)")
    add_filters(p)
    p.add_argument("--sort", default="id", help="column to sort by (default id)")
    p.add_argument("--asc", action="store_true", help="ascending (default: descending)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.sort not in SORT_COLUMNS:
        raise UserError(
            f"can't sort by {args.sort!r}; choose one of {', '.join(sorted(SORT_COLUMNS))}"
        )
    query = query_of(args)
    out = Path(args.out).expanduser()
    data_dir = paths.data_dir(args.data_dir)
    if args.format == "pdf":
        # The report is drawn with Qt's own PDF writer: the GUI entry point owns Qt.
        from roadmaster.gui import export_pdf_report

        pages = export_pdf_report(data_dir, query, out)
        print(f"Wrote a {pages}-page report to {out}.")
        return 0
    from roadmaster.exports.jobs import export_jobs

    engine = open_for_reading(data_dir)
    try:
        n = export_jobs(engine, out, args.format, query, sort=args.sort, descending=not args.asc)
    finally:
        engine.dispose()
    print(f"Exported {n:,} jobs to {out}.")
    return 0
