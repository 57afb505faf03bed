"""`statemedia` command line: thin wrappers that parse arguments, call one function, return a code.

Any `StatemediaError` becomes one line on stderr and its exit code; nothing is half-written because
every writer below is atomic.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from statemedia.engines import ENGINES
from statemedia.errors import StatemediaError
from statemedia.labeling.cli import add_annotate_parser
from statemedia.vocab import REPO_ROOT


def _root(args: argparse.Namespace) -> Path:
    return Path(args.root).resolve()


def cmd_build(args: argparse.Namespace) -> int:
    from statemedia.commands import run_build

    out = Path(args.out) if args.out else None
    return run_build(
        _root(args),
        out,
        quiet=args.quiet,
        workers=args.workers,
        engine=args.engine,
        scheduler=args.scheduler,
    )


def cmd_release(args: argparse.Namespace) -> int:
    from statemedia.commands import run_release

    return run_release(_root(args), args.version, args.date)


def cmd_verify(args: argparse.Namespace) -> int:
    from statemedia.commands import run_verify

    return run_verify(_root(args), reproduce=args.reproduce)


def cmd_card(args: argparse.Namespace) -> int:
    from statemedia.commands import run_card

    return run_card(_root(args), check=args.check)


def make_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="statemedia", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--root", default=str(REPO_ROOT), help="repository root (default: this clone)"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    build = sub.add_parser("build", help="rebuild the dataset from seeds/ into dataset/build/")
    build.add_argument("--out", help="output folder (default: dataset/build)")
    build.add_argument("--quiet", action="store_true", help="print only the summary")
    build.add_argument(
        "--workers",
        type=int,
        help="parse processes, or Dask workers with --engine dask (default: 1 for small "
        "inputs, else one per core); same output",
    )
    build.add_argument(
        "--engine",
        choices=ENGINES,
        default="local",
        help="where the parse stage runs: local processes, or a dask.distributed cluster",
    )
    build.add_argument(
        "--scheduler",
        help="with --engine dask: the address of a running scheduler (tcp://host:8786); "
        "default: a local cluster of --workers processes",
    )
    build.set_defaults(func=cmd_build)

    release = sub.add_parser("release", help="build and cut an immutable release")
    release.add_argument("--version", required=True, help="MAJOR.MINOR.PATCH, e.g. 1.1.0")
    release.add_argument("--date", help="release date YYYY-MM-DD for the manifest (default: today)")
    release.set_defaults(func=cmd_release)

    verify = sub.add_parser("verify", help="re-hash every release against its manifest")
    verify.add_argument(
        "--reproduce",
        action="store_true",
        help="also rebuild from seeds/ and compare with the newest release",
    )
    verify.set_defaults(func=cmd_verify)

    card = sub.add_parser(
        "card", help="regenerate dataset/README.md, croissant and DATACARD numbers"
    )
    card.add_argument("--check", action="store_true", help="fail if anything generated is stale")
    card.set_defaults(func=cmd_card)

    add_annotate_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `statemedia` command."""
    args = make_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except StatemediaError as err:
        print(f"statemedia: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:  # outputs are staged and renamed: nothing was half-written
        print("statemedia: interrupted; nothing was half-written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
