"""``bluelabel`` command line: workflows, documents, the store, the report, the settings.

Exit codes: 0 success, 1 the input was bad (invalid workflow, unreadable document, a damaged
store, no Airflow home), 2 usage.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from bluelabel import __version__, airflow_ports
from bluelabel.cli import documents, examples, report, workflows
from bluelabel.errors import BluelabelError
from bluelabel.timeparse import TimeParseError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bluelabel", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"bluelabel {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", required=True)
    workflows.add_parsers(sub)
    examples.add_parsers(sub)
    documents.add_parsers(sub)
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
    airflow_ports.install()  # Airflow is imported only if a command needs it (an s3:// store)
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
