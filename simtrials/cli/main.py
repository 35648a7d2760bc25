"""The ``simtrials`` parser and entry point: one sub-parser per command module."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Callable, Sequence

from . import build, evaluate, fetch, info, landscape, query, related
from .values import PROG, CommandError, UsageError

__all__ = ["main", "build_parser"]

# name -> (help, epilog, add the arguments, run)
COMMANDS: dict[str, tuple[str, str, Callable, Callable]] = {
    "build": (build.HELP, build.EPILOG, build.add_arguments, build.run),
    "similar": (query.SIMILAR_HELP, query.SIMILAR_EPILOG, query.add_similar_arguments,
                query.run_similar),
    "search": (query.SEARCH_HELP, query.SEARCH_EPILOG, query.add_search_arguments,
               query.run_search),
    "explain": (query.EXPLAIN_HELP, query.EXPLAIN_EPILOG, query.add_explain_arguments,
                query.run_explain),
    "related": (related.HELP, related.EPILOG, related.add_arguments, related.run),
    "landscape": (landscape.HELP, landscape.EPILOG, landscape.add_arguments, landscape.run),
    "eval": (evaluate.HELP, evaluate.EPILOG, evaluate.add_arguments, evaluate.run),
    "info": (info.HELP, info.EPILOG, info.add_arguments, info.run),
    "fetch": (fetch.HELP, fetch.EPILOG, fetch.add_arguments, fetch.run),
}  # fmt: skip


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``simtrials: error: ...`` and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        hint = f" (see '{self.prog} --help')"
        sys.stderr.write(f"{PROG}: error: {message}{hint}\n")
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of the ``simtrials`` command."""
    from .. import __version__

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the full traceback of an error",
    )
    parser = _Parser(
        prog=PROG,
        description="Find the registered clinical trials most like yours, with the reasons.",
        epilog="Run 'simtrials COMMAND --help' for the options and examples of a command.",
    )
    parser.add_argument("--version", action="version", version=f"simtrials {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name, (help, epilog, add_arguments, run) in COMMANDS.items():
        p = sub.add_parser(
            name,
            help=help,
            description=help,
            epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
            parents=[common],
        )
        p.set_defaults(func=run)
        add_arguments(p)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
    sys.stderr.write(f"{PROG}: warning: {message}\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``simtrials`` command; returns the exit status."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no "Loading weights" bar
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = bool(getattr(args, "debug", False))
    shown = warnings.showwarning
    if not debug:
        warnings.showwarning = _show_warning
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        if debug:
            raise
        sys.stderr.write(f"{PROG}: error: {exc} (see '{PROG} {args.command} --help')\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return 130
    except BrokenPipeError:  # e.g. `simtrials similar ... | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except Exception as exc:  # noqa: BLE001 - one clear line instead of a traceback
        if debug:
            raise
        sys.stderr.write(f"{PROG}: error: {_message(exc)}\n")
        return 1
    finally:
        warnings.showwarning = shown


def _message(exc: BaseException) -> str:
    from ..errors import SimtrialsError

    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, FileNotFoundError) and exc.filename and str(exc.filename) not in text:
        text = f"{text}: {exc.filename}"
    if isinstance(exc, (SimtrialsError, CommandError, OSError, ValueError, ImportError)):
        return text.splitlines()[0] if "\n" in text else text
    return f"{type(exc).__name__}: {text} (run with --debug for the traceback)"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
