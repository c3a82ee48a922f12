"""The `netspec` command: parses arguments, runs one subcommand, maps failures to exit codes.

0: success; 1: the spec is invalid (diagnostics printed, never a traceback); 2: bad usage;
3: an internal error (a bug in netspec; `--debug` shows its traceback). Running out of memory
is a usage error (2): the network is too large for the machine.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import NoReturn

from .core.errors import SpecError, UsageError

# Subcommand modules; heavy libraries load inside their `run`.
COMMANDS = ("check", "report", "schema", "kinds", "zoo", "compile", "train", "export",
            "diagram", "explain", "solve", "visualize", "grade", "completion")
COLOR_MODES = ("auto", "always", "never")
EXAMPLES = """\
examples:
  netspec check specs/*.yaml        validate specs, each error at its line
  netspec report vgg16              the per-layer table of a spec of the zoo
  netspec zoo                       the specs that ship with netspec
  netspec COMMAND --help            a command's options, with examples"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse's usage errors exit 2, as ours
        from .commands import style

        self.print_usage(sys.stderr)
        self.exit(2, style.diagnostic(f"{self.prog}: error: {message}", sys.stderr) + "\n")


def parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or only of the one ``argv`` names: a fresh `netspec check`
    then imports no other command's module (nor the backend constants those read)."""
    words = _words(sys.argv[1:] if argv is None else argv)
    chosen = words[:1] if words[:1] and words[0] in COMMANDS else COMMANDS
    p = _Parser(prog="netspec", description="Check, report, compile, export and draw neural "
                "network specs written in YAML.", epilog=EXAMPLES,
                formatter_class=argparse.RawDescriptionHelpFormatter)
    # main() takes --debug out of argv wherever it is; declared here for --help
    p.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    p.add_argument("--version", action="version", version=f"netspec {_version()}")
    _add_color(p, "auto")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in chosen:
        module = importlib.import_module(f".commands.{name}", __package__)
        examples = getattr(module, "EXAMPLES", "")
        cmd = sub.add_parser(name, help=module.HELP, description=module.__doc__,
                             epilog=f"examples:\n{examples}" if examples else None,
                             formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(cmd)
        _add_color(cmd, argparse.SUPPRESS)  # after the command too, where people type it
        cmd.set_defaults(run=module.run)
    return p


def _words(argv: list[str]) -> list[str]:
    """The words of a command line that are neither options nor the value of --color."""
    words: list[str] = []
    for i, w in enumerate(argv):
        if not w.startswith("-") and (i == 0 or argv[i - 1] != "--color"):
            words.append(w)
    return words


def _color_mode(argv: list[str]) -> str:
    """--color's value, read before parsing so that argparse's own errors honour it."""
    for i, w in enumerate(argv):
        if w.startswith("--color="):
            return w.split("=", 1)[1] if w.split("=", 1)[1] in COLOR_MODES else "auto"
        if w == "--color" and i + 1 < len(argv) and argv[i + 1] in COLOR_MODES:
            return argv[i + 1]
    return "auto"


def _add_color(p: argparse.ArgumentParser, default: str) -> None:
    p.add_argument("--color", choices=COLOR_MODES, default=default,
                   help="colour errors, warnings and the table's header: auto (on a terminal, "
                        "unless NO_COLOR is set), always, never")


def main(argv: list[str] | None = None) -> int:
    if "_ARGCOMPLETE" in os.environ and argv is None:  # the shell asks for completions
        _complete()
    argv = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in argv  # accepted after the command too, where people type it
    from .commands import style

    style.configure(_color_mode(argv))
    args = parser(argv).parse_args([a for a in argv if a != "--debug"])
    style.configure(args.color)
    try:
        return args.run(args)
    except SpecError as e:
        for d in e.diagnostics:
            print(style.diagnostic(d.format(), sys.stderr), file=sys.stderr)
        return 1
    except UsageError as e:
        print(style.diagnostic(f"netspec {args.command}: error: {e}", sys.stderr),
              file=sys.stderr)
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


def _complete() -> None:
    """Answer the shell's completion request (argcomplete's protocol; `netspec completion`
    prints the script that asks) and exit."""
    import argcomplete

    argcomplete.autocomplete(parser([]))


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
