"""Answer the notes' exercises from the quantities given, with the arithmetic written out.

  netspec solve output  -n 7 -f 3 -s 3 -p 1      the output size of a window
  netspec solve padding -n 7 -f 3 -s 3 --want 3  the padding that gives a wanted output
  netspec solve stride  -n 7 -f 3 --want 3       ... or the stride
  netspec solve kernel  -n 32 --want 28          ... or the kernel
  netspec solve same    -n 224 -f 7 -s 2         'same' padding per side for a stride
  netspec solve field   3 3 3                    the receptive field of stacked windows
  netspec solve params conv -f 5 -c 3 --filters 10
  netspec solve params dense --inputs 200x200 --units 40000

n is the input size along one axis, f the kernel, s the stride, p the padding per side (or
before,after), d the dilation. When no whole number answers, the solution says so and gives
the nearest ones."""
from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable

from ..analysis import DTYPES
from ..core.errors import UsageError
from ..teaching import solve

HELP = "answer the notes' exercises: output size, padding, stride, kernel, fields, parameters"
EXAMPLES = "  netspec solve output -n 7 -f 3 -s 3 -p 1       # and the others above"
MAX_VALUE = 10**9  # sizes, kernels, strides and counts; keeps every answer's arithmetic small
MAX_WINDOWS = 1000


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    sub = p.add_subparsers(dest="question", metavar="QUESTION", required=True)
    questions = {
        "output": ("the output size of a window: floor((n + 2p - f)/s) + 1", "nfspd"),
        "padding": ("the padding per side that gives --want outputs", "nfsdw"),
        "stride": ("the stride that gives --want outputs", "nfpdw"),
        "kernel": ("the kernel size that gives --want outputs", "nspdw"),
        "same": ("'same' padding per side (TensorFlow's rule) for a stride", "nfsd"),
    }
    for name, (text, options) in questions.items():
        q = sub.add_parser(name, help=text, description=text)
        for letter in options:
            _OPTIONS[letter](q)
    q = sub.add_parser("field", help="the receptive field of stacked windows, and the "
                       "parameters against one conv that sees as much (seed 000)",
                       description="WINDOW is a kernel, with /stride and dN (dilation): 3, "
                       "3x3, 3/2, 3d2, 7x7/2")
    q.add_argument("windows", nargs="+", metavar="WINDOW", type=_window)
    q.add_argument("-c", "--channels", type=_whole(1), default=1,
                   help="channels in and out of every conv, for the parameters (default 1)")
    _dims(q)
    params = sub.add_parser("params", help="the parameters of a conv or dense layer")
    kinds = params.add_subparsers(dest="kind", metavar="KIND", required=True)
    conv = kinds.add_parser("conv", help="(f*f*c + 1) * filters")
    conv.add_argument("-f", "--kernel", type=_size, required=True, help="kernel size f")
    conv.add_argument("-c", "--channels", type=_whole(1), required=True,
                      help="input channels c")
    conv.add_argument("--filters", type=_whole(1), required=True, help="number of filters")
    conv.add_argument("--groups", type=_whole(1), default=1, help="(default 1)")
    conv.add_argument("--no-bias", dest="bias", action="store_false")
    _dims(conv)
    dense = kinds.add_parser("dense", help="(n_in + 1) * n_out")
    dense.add_argument("--inputs", type=_features, required=True,
                       help="input features: 9216, or a shape to flatten: 200x200x3")
    dense.add_argument("--units", type=_features, required=True, help="output units")
    dense.add_argument("--no-bias", dest="bias", action="store_false")
    dense.add_argument("--dtype", choices=tuple(DTYPES), default="float32",
                       help="for the weights' size (default float32)")


def run(args: argparse.Namespace) -> int:
    print(_solve(args).text(), end="")
    return 0


def _solve(args: argparse.Namespace) -> solve.Solution:
    q = args.question
    if q == "output":
        return solve.output(args.size, args.kernel, args.stride, args.padding, args.dilation)
    if q == "padding":
        return solve.padding(args.size, args.kernel, args.stride, args.want, args.dilation)
    if q == "stride":
        return solve.stride(args.size, args.kernel, args.want, args.padding, args.dilation)
    if q == "kernel":
        return solve.kernel(args.size, args.want, args.stride, args.padding, args.dilation)
    if q == "same":
        return solve.same(args.size, args.kernel, args.stride, args.dilation)
    if q == "field":
        if len(args.windows) > MAX_WINDOWS:
            raise UsageError(f"at most {MAX_WINDOWS} windows, got {len(args.windows)}")
        return solve.field(args.windows, args.channels, args.dims)
    if args.kind == "conv":
        return solve.conv_params(args.kernel, args.channels, args.filters, args.groups,
                                 args.bias, args.dims)
    return solve.dense_params(args.inputs, args.units, args.bias, args.dtype)


def _whole(low: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= MAX_VALUE:
            raise argparse.ArgumentTypeError(f"{value} is not from {low} to {MAX_VALUE:,}")
        return value
    return parse


def _size(text: str) -> int:
    """One axis: ``7``, or ``7x7`` for a square (the notes' way of writing it)."""
    sides = {_whole(1)(part) for part in text.lower().split("x")}
    if len(sides) > 1:
        raise argparse.ArgumentTypeError(f"{text!r}: one axis at a time (the axes differ)")
    return sides.pop()


def _features(text: str) -> int:
    """A count, or a shape whose elements are counted: ``200x200x3`` is 120,000."""
    value = math.prod(_whole(1)(part) for part in text.lower().split("x"))
    if value > MAX_VALUE:
        raise argparse.ArgumentTypeError(f"{text!r} is more than {MAX_VALUE:,}")
    return value


def _padding(text: str) -> tuple[int, int]:
    """Per side: ``1``, or ``before,after``: ``0,1`` (seed 004: one zero on one side)."""
    parts = [_whole(0)(part) for part in text.split(",")]
    if len(parts) > 2:
        raise argparse.ArgumentTypeError(f"{text!r}: one number, or two (before,after)")
    return (parts[0], parts[-1])


WINDOW = re.compile(r"(\d+)(?:x\1)*(?:d(\d+))?(?:/(\d+))?")


def _window(text: str) -> tuple[int, int, int]:
    """``3``, ``3x3``, ``3/2`` (stride 2), ``3d2`` (dilation 2), ``7x7/2``: (kernel, stride,
    dilation)."""
    found = WINDOW.fullmatch(text.lower())
    if not found:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a window: a square kernel, then /stride and dN for a dilation "
            "(3, 3x3, 3/2, 3d2/1)")
    k, d, s = found.groups()
    return _whole(1)(k), _whole(1)(s or "1"), _whole(1)(d or "1")


def _dims(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dims", type=int, choices=(1, 2, 3), default=2,
                   help="spatial axes: 1-D, 2-D (images, the default) or 3-D")


_OPTIONS: dict[str, Callable[[argparse.ArgumentParser], object]] = {
    "n": lambda p: p.add_argument("-n", "--size", type=_size, required=True,
                                  help="input size n along one axis (7, or 7x7)"),
    "f": lambda p: p.add_argument("-f", "--kernel", type=_size, required=True,
                                  help="kernel size f"),
    "s": lambda p: p.add_argument("-s", "--stride", type=_whole(1), default=1,
                                  help="stride s (default 1)"),
    "p": lambda p: p.add_argument("-p", "--padding", type=_padding, default=(0, 0),
                                  help="padding per side p, or before,after (default 0)"),
    "d": lambda p: p.add_argument("-d", "--dilation", type=_whole(1), default=1,
                                  help="dilation d (default 1)"),
    "w": lambda p: p.add_argument("--want", type=_size, required=True,
                                  help="the output size wanted"),
}
