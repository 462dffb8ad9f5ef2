"""``bluelabel`` command line: workflows, documents, the store, the report, the settings.

Exit codes: 0 success, 1 the input was bad (invalid workflow, unreadable document, a damaged
store, no Airflow home), 2 usage.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

import bluelabel
from bluelabel import airflow_ports
from bluelabel.cli import catalog, documents, examples, report, workflows
from bluelabel.errors import BluelabelError
from bluelabel.timeparse import TimeParseError


class _Version(argparse.Action):
    """``--version``: the installed version, looked up (importlib.metadata, ~40 ms) only when
    asked for, not by every command that builds the parser."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        print(f"bluelabel {bluelabel.__version__}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bluelabel", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action=_Version)
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", required=True)
    workflows.add_parsers(sub)
    examples.add_parsers(sub)
    documents.add_parsers(sub)
    catalog.add_parsers(sub)
    report.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    level = logging.DEBUG if args.debug else logging.INFO if args.verbose else logging.WARNING
    # Our messages go to stderr, in our format, whatever logging Airflow sets up once its
    # configuration is imported (it writes to stdout, where digests and JSON results go).
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("bluelabel: %(message)s"))
    ours = logging.getLogger("bluelabel")
    ours.handlers = [handler]
    ours.setLevel(level)
    ours.propagate = False
    if not args.debug:  # pypdf logs its repair attempts; our one-line error says what matters
        logging.getLogger("pypdf").setLevel(logging.ERROR)
    # Airflow is imported only if a command needs it (an s3:// store, the report); settings
    # are read as Airflow reads them, without importing it (bluelabel.cfgfile).
    airflow_ports.install(configuration=False)
    try:
        code: int = args.func(args)
        return code
    except TimeParseError as exc:  # a --since/--until no time can be made of: usage
        print(f"bluelabel: {args.command}: {exc}", file=sys.stderr)
        return 2
    except BluelabelError as exc:
        if args.debug:
            raise
        print(f"bluelabel: {args.command} failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `bluelabel digest | head`: the reader has what it wanted
        sys.stderr.close()
        return 141


__all__ = ["build_parser", "main"]
