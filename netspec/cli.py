"""The `netspec` command: parses arguments, runs one subcommand, maps failures to exit codes.

0: success; 1: the spec is invalid (diagnostics printed, never a traceback); 2: bad usage;
3: an internal error (a bug in netspec; `--debug` shows its traceback). Running out of memory
is a usage error (2): the network is too large for the machine.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import NoReturn

from .core.errors import SpecError, UsageError

# Subcommand modules; heavy libraries load inside their `run`.
COMMANDS = ("check", "report", "schema", "kinds", "compile", "train", "export", "diagram",
            "explain", "solve", "visualize", "grade")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse's usage errors exit 2, as ours
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or only of the one ``argv`` names: a fresh `netspec check`
    then imports no other command's module (nor the backend constants those read)."""
    words = [w for w in (sys.argv[1:] if argv is None else argv) if not w.startswith("-")]
    chosen = words[:1] if words[:1] and words[0] in COMMANDS else COMMANDS
    p = _Parser(prog="netspec", description="Check, report, compile, export and draw neural "
                "network specs written in YAML.")
    # main() takes --debug out of argv wherever it is; declared here for --help
    p.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    p.add_argument("--version", action="version", version=f"netspec {_version()}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in chosen:
        module = importlib.import_module(f".commands.{name}", __package__)
        cmd = sub.add_parser(name, help=module.HELP, description=module.__doc__)
        module.add_arguments(cmd)
        cmd.set_defaults(run=module.run)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in argv  # accepted after the command too, where people type it
    args = parser(argv).parse_args([a for a in argv if a != "--debug"])
    try:
        return args.run(args)
    except SpecError as e:
        for d in e.diagnostics:
            print(d.format(), file=sys.stderr)
        return 1
    except UsageError as e:
        print(f"netspec {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:  # a bug in netspec, not a user mistake
        oom = _out_of_memory(e)
        if oom:
            print(f"netspec {args.command}: error: {oom}", file=sys.stderr)
            return 2
        if debug:
            import traceback

            traceback.print_exc()
        print(f"netspec {args.command}: internal error: {type(e).__name__}: {e}\n"
              "this is a bug in netspec; run with --debug for the traceback", file=sys.stderr)
        return 3


def _out_of_memory(e: Exception) -> str | None:
    """What to say when Python (MemoryError) or torch's allocators (a RuntimeError) ran out of
    memory: a network too large for the machine, not a bug. None for any other error."""
    text = str(e)
    if not isinstance(e, MemoryError) and not (isinstance(e, RuntimeError) and (
            "can't allocate memory" in text or "out of memory" in text.lower())):
        return None
    first = (text.splitlines() or [type(e).__name__])[0][:300]
    return (f"out of memory: {first}\nthe network is too large for this machine "
            "(`netspec report` shows the memory it needs)")


def _version() -> str:
    from . import __version__

    return __version__


def run() -> None:
    sys.exit(main())
