"""``bluelabel report`` and ``bluelabel config``: figures from Airflow, settings in effect."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bluelabel.config import SETTINGS, get_settings
from bluelabel.config_keys import setting_label
from bluelabel.errors import BluelabelError


class MetadataDbError(BluelabelError):
    """The metadata DB cannot be read (not migrated, unreachable)."""


def cmd_report(args: argparse.Namespace) -> int:
    """The performance report from the runs recorded in Airflow's metadata DB."""
    from bluelabel.metrics.report import build_report
    from bluelabel.render import render_html, render_markdown
    from bluelabel.timeparse import parse_time

    since = parse_time(args.since, "--since")  # before Airflow is imported: a bad one is 2
    get_settings()  # refuses clearly when there is no Airflow home, before Airflow makes one
    from airflow.configuration import conf
    from airflow.utils.session import create_session
    from sqlalchemy.exc import SQLAlchemyError

    from bluelabel.metrics.db import load_tries

    try:
        with create_session() as session:
            tries, runs = load_tries(session, dag_ids=args.dag_id or None, since=since)
    except SQLAlchemyError as exc:
        url = conf.get("database", "sql_alchemy_conn", fallback="?")
        safe = url.split("@")[-1] if "@" in url else url
        reason = str(getattr(exc, "orig", exc)).splitlines()[0]
        raise MetadataDbError(
            f"cannot read Airflow's metadata DB ({safe}): {reason}; run `airflow db migrate` "
            "for a new home, or point AIRFLOW_HOME / AIRFLOW__DATABASE__SQL_ALCHEMY_CONN at "
            "your deployment"
        ) from None
    page = build_report(
        tries, runs, since=since, dag_ids=args.dag_id, compare=args.compare_original
    )
    text = render_html(page) if args.format == "html" else render_markdown(page)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"bluelabel: wrote {args.output} ({len(tries)} task tries)", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    """Every [bluelabel] setting in effect, and where it came from."""
    from bluelabel.cfgfile import AirflowConfig
    from bluelabel.config_keys import SECTION

    settings = get_settings()
    rows = settings.effective()
    width = max(len(k) for k, _, _ in rows)
    print(f"# Airflow home: {settings.airflow_home}")
    for key, value, source in rows:
        print(f"{key:<{width}} = {value:<40} # {source}")
    files = AirflowConfig()
    for spec in SETTINGS:
        for name in [] if spec.sensitive else files.ignored(SECTION, spec.key):
            print(
                f"bluelabel: {name} is ignored: Airflow reads _CMD and _SECRET variants only "
                f"for sensitive options, and {setting_label(spec.key)} is not one",
                file=sys.stderr,
            )
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("report", help="write the performance report from recorded runs")
    p.add_argument("--since", default="7d", help="ISO time or age like 7d, 12h (default 7d)")
    p.add_argument("--dag-id", action="append", help="only this workflow (repeatable)")
    p.add_argument("--format", choices=["md", "html"], default="md")
    p.add_argument("--output", "-o", help="write to FILE instead of stdout")
    p.add_argument(
        "--compare-original",
        action="store_true",
        help="add the original system's audited figures and whether they are met",
    )
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("config", help="print each [bluelabel] setting and where it came from")
    p.set_defaults(func=cmd_config)
