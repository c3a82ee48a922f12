"""Mutants of the bundled specs (specs/ and examples/): byte- and token-level changes, seeded,
each fed to `netspec check` as a user would, which must end with exit 0, 1 or 2, no traceback,
quickly and in bounded memory.

The mutations are what editing a spec by hand, or a hostile file, does: bytes flipped, cut,
doubled or inserted (invalid UTF-8, NUL, other scripts' digits and letters), and YAML tokens
replaced by others (keys, kinds, numbers at and past their limits, tags, anchors and aliases,
brackets, `$parameters`, dotted names), lines swapped, doubled, dropped or re-indented.
"""
from __future__ import annotations

import contextlib
import io
import random
import re
import time
import tracemalloc
from pathlib import Path
from typing import NamedTuple

from netspec.cli import main

ROOT = Path(__file__).resolve().parents[2]
CORPUS = sorted(ROOT.glob("specs/*.yaml")) + sorted(ROOT.glob("examples/*.yaml"))
TOKEN = re.compile(r"\$?[A-Za-z_][A-Za-z0-9_.]*|-?\d+(?:\.\d+)?|\s+|.", re.S)

# What a token may become: the format's words, numbers at and past their limits, YAML syntax.
WORDS = [
    "conv", "maxpool", "avgpool", "dense", "flatten", "relu", "add", "concat", "batchnorm",
    "lrn", "dropout", "separable_conv", "depthwise_conv", "global_avgpool", "adaptive_avgpool",
    "multiply", "split", "channel_shuffle", "silu", "swish", "hardswish", "hardsigmoid",
    "mish", "prelu", "layernorm", "layer_scale", "stochastic_depth", "conv_transpose",
    "upsample", "crop", "zero_pad", "parts", "output_padding", "scale", "size", "mode",
    "align_corners", "per_channel", "init", "rate", "nearest", "bilinear", "trilinear",
    "bicubic", "row", "batch", "halves.0", "halves.1", "halves.2", "halves", "s.01", "1.0e-6",
    "1e-6", "0.29", "1024", "1025",
    "filters", "kernel", "stride", "padding", "dilation", "groups", "units", "ceil_mode",
    "input", "name", "repeat", "layers", "blocks", "params", "defaults", "expect", "shape",
    "output_shape", "sequential", "$input", "$filters", "$stride", "$nope", "required",
    "layer2.0", "layer1.0.bn2", "g.h", "same", "valid", "true", "null", "~", "yes", "forward",
    "kernel size", "my key", "output shape", "0", "1", "-1", "2", "3", "7", "64", "1000",
    "10000", "100000", "2147483647", "2147483648", "99999999999999999999999999999999",
    "0x1F", "0o17", "017", "1:30", "1e3", "1.5", ".inf", "-.inf", ".nan", "1_000", "٣", "3²",
    "²", "１２", "!!bool", "!!int", "!!float", "!!str", "!!python/object:os.system",
    "!!binary", "!!timestamp", "&a", "*a", "<<", "? ", "[", "]", "{", "}", ", ", ": ", "- ",
    "#", "'", '"', "|", ">", "---", "...", "\t", "\n", "  ", "2001-12-14", "2024-02-30",
]
BYTES = [b"\x00", b"\xff", b"\xc3", b"\xe2\x80\xa8", b"\r", b"\t", b"\x85", "٣".encode(),
         "²".encode(), b"\xef\xbb\xbf", b"\\", b"%"]


def mutate(text: str, r: random.Random) -> bytes:
    """One to three mutations of ``text``."""
    data: str | bytes = text
    for _ in range(r.randint(1, 3)):
        op = r.choice([_token, _token, _token, _line, _line, _bytes])
        data = op(data if isinstance(data, str) or op is _bytes else
                  data.decode("utf-8", "replace"), r)
    return data.encode() if isinstance(data, str) else data


def _token(text: str, r: random.Random) -> str:
    tokens = TOKEN.findall(text)
    if not tokens:
        return text
    i = r.randrange(len(tokens))
    choice = r.random()
    if choice < 0.6:
        tokens[i] = r.choice(WORDS)
    elif choice < 0.75:
        tokens[i] = tokens[r.randrange(len(tokens))]  # another token of the same file
    elif choice < 0.9:
        del tokens[i]
    else:
        tokens.insert(i, r.choice(WORDS))
    return "".join(tokens)


def _line(text: str, r: random.Random) -> str:
    lines = text.split("\n")
    i, j = r.randrange(len(lines)), r.randrange(len(lines))
    op = r.randrange(5)
    if op == 0:
        lines[i], lines[j] = lines[j], lines[i]
    elif op == 1:
        lines.insert(i, lines[j])
    elif op == 2:
        del lines[i]
    elif op == 3:
        lines[i] = " " * r.choice([1, 2, 4]) + lines[i]
    else:
        lines[i] = lines[i].lstrip()
    return "\n".join(lines)


def _bytes(data: str | bytes, r: random.Random) -> bytes:
    raw = bytearray(data.encode() if isinstance(data, str) else data)
    if not raw:
        return bytes(raw)
    i = r.randrange(len(raw))
    op = r.randrange(4)
    if op == 0:
        raw[i] ^= 1 << r.randrange(8)
    elif op == 1:
        del raw[i:i + r.randint(1, 40)]
    elif op == 2:
        raw[i:i] = r.choice(BYTES)
    else:
        j = r.randrange(len(raw))
        raw[i:i] = raw[j:j + r.randint(1, 80)]
    return bytes(raw)


class Run(NamedTuple):
    code: int
    seconds: float
    peak_bytes: int  # tracemalloc's peak, 0 when not traced
    problem: str | None  # a traceback or an internal error, as printed


def check(path: Path, traced: bool = False) -> Run:
    """`netspec check PATH` in this process, as the CLI runs it."""
    out, err = io.StringIO(), io.StringIO()
    if traced:
        tracemalloc.start()
    start = time.perf_counter()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["check", str(path)])
    except SystemExit as e:  # argparse's usage errors
        code = e.code if isinstance(e.code, int) else 2
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] if traced else 0
    if traced:
        tracemalloc.stop()
    text = err.getvalue() + out.getvalue()
    problem = next((line for line in text.splitlines()
                    if "Traceback" in line or "internal error" in line), None)
    return Run(code, seconds, peak, problem)


def mutants(seed: int, count: int) -> list[tuple[str, bytes]]:
    """``count`` mutants, as (the spec they come from, their bytes), from ``seed``."""
    r = random.Random(seed)
    texts = {p.name: p.read_text() for p in CORPUS}
    names = sorted(texts)
    return [(name, mutate(texts[name], r)) for name in (r.choice(names) for _ in range(count))]
