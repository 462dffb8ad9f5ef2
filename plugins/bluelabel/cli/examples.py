"""``bluelabel examples``: the example workflows the package carries, into a DAGs folder.

The wheel ships the repository's ``dags/workflows/*.yaml`` as ``bluelabel/examples/``. This
copies them (all, or the ones named) into ``DAGS_FOLDER/workflows/`` and writes their loaders
as ``bluelabel loaders`` does; the copies are then the deployment's own files to edit. An
existing file is never overwritten: an identical one is kept, a different one is an error.
"""

from __future__ import annotations

import argparse
import sys
from importlib.resources import files
from pathlib import Path

from bluelabel.cli.workflows import cmd_loaders
from bluelabel.config import dags_folder
from bluelabel.errors import BluelabelError

#: Where, under the DAGs folder, the copies go (the repository's own layout).
SUBFOLDER = "workflows"


def shipped() -> dict[str, bytes]:
    """The example workflows in the installed package, by name (file name without .yaml)."""
    folder = files("bluelabel") / "examples"
    return {
        entry.name.removesuffix(".yaml"): entry.read_bytes()
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".yaml")
    }


class ExampleConflict(BluelabelError):
    """A file of the example's name is already in the DAGs folder and is not the example."""


def _copy(data: bytes, target: Path) -> bool:
    """Write ``source`` to ``target`` unless it exists; True when written. Exclusive create:
    an existing file, link (dangling too) or FIFO is never written through, nor read."""
    try:
        with target.open("xb") as out:
            out.write(data)
    except FileExistsError:
        if target.is_symlink() or not target.is_file() or target.read_bytes() != data:
            raise ExampleConflict(
                f"{target} exists and is not this example; move it away to get the example, "
                "or keep yours"
            ) from None
        return False
    return True


def default_dags_folder() -> Path:
    """The deployment's ``[core] dags_folder``; ``dags`` outside any Airflow home."""
    return dags_folder() or Path("dags")


def cmd_examples(args: argparse.Namespace) -> int:
    available = shipped()
    if args.list:
        for name in available:
            print(name)
        return 0
    unknown = [n for n in args.names if n not in available]
    if unknown:
        print(
            f"bluelabel: no example workflow {', '.join(unknown)}; "
            f"the package has: {', '.join(available)}",
            file=sys.stderr,
        )
        return 1
    dags_folder = Path(args.dags_folder) if args.dags_folder else default_dags_folder()
    target = dags_folder / SUBFOLDER
    if not dags_folder.is_dir() or (target.exists() and not target.is_dir()):
        bad = dags_folder if not dags_folder.is_dir() else target
        print(
            f"bluelabel: {bad} is not a folder (--dags-folder: Airflow's DAGs folder)",
            file=sys.stderr,
        )
        return 1
    target.mkdir(exist_ok=True)
    for name in args.names or list(available):
        destination = target / f"{name}.yaml"
        if _copy(available[name], destination):
            print(f"wrote {destination}")
    return cmd_loaders(argparse.Namespace(workflows=str(target), dags_folder=str(dags_folder)))


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "examples",
        help="copy the package's example workflows into a DAGs folder and write their loaders",
    )
    p.add_argument("names", nargs="*", metavar="NAME", help="only these (default: all)")
    p.add_argument(
        "--dags-folder",
        default=None,
        help="the Airflow DAGs folder; the workflows go into its workflows/ (default: the "
        "deployment's [core] dags_folder, read without Airflow; with no Airflow home: dags)",
    )
    p.add_argument("--list", action="store_true", help="list the example workflows and exit")
    p.set_defaults(func=cmd_examples)
