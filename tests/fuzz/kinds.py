"""Every layer kind as the fuzzers see it, one entry per kind: how to draw its settings, the
defaults the format documents for them, and how PyTorch computes it.

The oracle is written from the spec's settings with torch.nn and torch.nn.functional
directly, never from netspec's plan or backend, so that a misunderstanding shared by netspec's
checker and its compiler cannot hide. Where the format refuses on purpose what PyTorch would
run (a dense layer on an unflattened input, add over inputs of different ranks), the entry
says so and raises, citing docs/spec-format.md. What the format refuses of the settings alone,
whatever the layer reads (a value out of its range, NS203), is the entry's ``check``: netspec
says so of a layer even when what it reads is refused.

A kind added to netspec needs an entry here (tests/fuzz/test_kinds_table.py checks it): a
``draw`` giving every setting, its documented ``defaults``, its ``shorthand`` and a ``run``.
"""
from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, Protocol, TypeVar

import torch
from torch import nn
from torch.nn import functional as F

T = TypeVar("T")


class Draw(Protocol):
    """The choices a generator makes: hypothesis's ``data.draw`` in the suite (it shrinks),
    a seeded ``random.Random`` in the long campaign (it is fast)."""

    def int(self, lo: int, hi: int) -> int: ...

    def pick(self, options: Sequence[T]) -> T: ...

    def chance(self, p: float) -> bool: ...


class Refused(Exception):
    """The format refuses this on purpose, where PyTorch itself might run it."""


class Kind(NamedTuple):
    draw: Callable[[Draw, tuple[int, ...]], dict]  # every setting, for an input of this shape
    run: Callable[[dict, list[torch.Tensor]], tuple[torch.Tensor, int]]  # output, params
    defaults: dict  # what docs/spec-format.md says a setting is when it is not written
    shorthand: str | None = None  # the setting `- kind: value` fills
    merge: bool = False  # reads two or more inputs, named in `input:`
    # A kind with several outputs (split): its parts, which later layers read as `name.0`,
    # and how many names its settings make (also when PyTorch refuses it).
    parts: Callable[[dict, torch.Tensor], list[torch.Tensor]] | None = None
    part_count: Callable[[dict], int] | None = None
    check: Callable[[dict], None] | None = None  # raises Refused for settings out of range


# --- drawing settings ------------------------------------------------------------------------

def per_axis(d: Draw, rank: int, lo: int, hi: int, wrong: float = 0.02) -> int | list[int]:
    """One number for every axis, or one per axis (now and then a list of the wrong length)."""
    if rank < 1 or d.chance(0.6):
        return d.int(lo, hi)
    n = rank + d.pick([-1, 1]) if d.chance(wrong) else rank
    return [d.int(lo, hi) for _ in range(max(n, 1))]


def padding(d: Draw, rank: int, most: int) -> Any:
    """Every padding form: a number, one per axis, per-side pairs, same, valid."""
    form = d.int(0, 5)
    if form <= 1 or rank < 1:
        return d.int(0, most)
    if form == 2:
        return d.pick(["same", "valid"])
    if form == 3:
        return [d.int(0, most) for _ in range(rank)]
    return [[d.int(0, most), d.int(0, most)] if d.chance(0.7) else d.int(0, most)
            for _ in range(rank)]


ACTIVATIONS = [None, None, None, "relu", "tanh", "sigmoid", "gelu", "relu6", "leaky_relu",
               "elu", "softmax", "log_softmax", "silu", "swish", "hardswish", "hardsigmoid",
               "mish"]


def activation(d: Draw) -> str | None:
    """An `activation:` shortcut; now and then prelu, which the format refuses there."""
    return "prelu" if d.chance(0.01) else d.pick(ACTIVATIONS)


def elements(shape: tuple[int, ...]) -> int:
    return math.prod(shape)


BIG = 2048  # values per sample past which the growing kinds are drawn to shrink instead


def window(d: Draw, shape: tuple[int, ...], kernel_max: int = 4) -> dict:
    rank = len(shape) - 1
    big = d.chance(0.1)  # now and then a kernel that outgrows the input
    return {"kernel": per_axis(d, rank, 1, 9 if big else kernel_max),
            "stride": per_axis(d, rank, 1, 3), "padding": padding(d, rank, 2),
            "dilation": per_axis(d, rank, 1, 2) if d.chance(0.3) else 1,
            "bias": d.chance(0.7), "activation": activation(d)}


def draw_conv(d: Draw, shape: tuple[int, ...]) -> dict:
    c = shape[0]
    groups = d.pick([1, 1, 1, 2, c, 3])  # 2 and 3 need not divide: a mismatch now and then
    filters = d.int(1, 4) * (groups if d.chance(0.7) else 1)
    return {"filters": filters, "groups": groups, **window(d, shape)}


def draw_pool(d: Draw, shape: tuple[int, ...]) -> dict:
    rank = len(shape) - 1
    return {"kernel": per_axis(d, rank, 1, 3 if d.chance(0.9) else 6),
            "stride": None if d.chance(0.5) else per_axis(d, rank, 1, 3),
            "padding": padding(d, rank, 1 if d.chance(0.9) else 3),
            "ceil_mode": d.chance(0.3)}


def draw_conv_transpose(d: Draw, shape: tuple[int, ...]) -> dict:
    """Growing maps, bounded: a stride of 1 once the map is big."""
    rank = len(shape) - 1
    groups = d.pick([1, 1, 1, 2, shape[0]])
    pad: Any = per_axis(d, rank, 0, 2)
    if d.chance(0.03):  # the format's conv_transpose padding is a number or one per axis
        pad = d.pick(["same", [[0, 1]] * max(rank, 1)])
    return {"filters": d.int(1, 4) * (groups if d.chance(0.7) else 1), "groups": groups,
            "kernel": per_axis(d, rank, 1, 4),
            "stride": 1 if elements(shape) > BIG else per_axis(d, rank, 1, 3),
            "padding": pad, "output_padding": per_axis(d, rank, 0, 2) if d.chance(0.3) else 0,
            "dilation": per_axis(d, rank, 1, 2) if d.chance(0.2) else 1,
            "bias": d.chance(0.7), "activation": activation(d)}


# fractional factors whose products PyTorch rounds in binary (100 * 0.29 is 28.999...)
SCALES = [2, 2, 2, 3, 1.5, 2.5, 0.5, 0.29, 0.7, 1.1, 1.3, 0.1]
MODES = {1: "linear", 2: "bilinear", 3: "trilinear"}


def draw_upsample(d: Draw, shape: tuple[int, ...]) -> dict:
    """A scale, a size, or neither (2); the mode mostly the one of the input's rank."""
    rank = len(shape) - 1
    big = elements(shape) > BIG
    scales = [0.5, 0.7, 0.29, 1] if big else SCALES
    form = d.int(0, 9)
    scale = size = None
    if form <= 5:
        scale = d.pick(scales) if d.chance(0.7) or rank < 1 else [
            d.pick(scales) for _ in range(rank)]
    elif form <= 8:
        size = per_axis(d, rank, 1, 4 if big else 12)
    if d.chance(0.03):  # both: the format takes one or the other
        scale, size = 2, per_axis(d, rank, 1, 6)
    mode = d.pick(["nearest", MODES.get(rank, "linear")])
    if d.chance(0.1):  # one of another rank, or PyTorch's bicubic, which is not the format's
        mode = d.pick([*MODES.values(), "bicubic"])
    corners = d.pick([True, False]) if d.chance(0.2) else None
    return {"scale": scale, "size": size, "mode": mode, "align_corners": corners}


def divisors(c: int) -> list[int]:
    """The group or part counts that divide ``c`` channels (1 excepted)."""
    return [n for n in range(2, c + 1) if c % n == 0]


def draw_split(d: Draw, shape: tuple[int, ...]) -> dict:
    """Equal parts (mostly dividing the channels) or sizes (mostly adding up to them)."""
    c = shape[0]
    if d.chance(0.5):
        return {"parts": d.pick(divisors(c)) if divisors(c) and d.chance(0.8) else
                d.pick([2, 3, 4]) if d.chance(0.9) else 1}
    n = d.int(2, 3) if d.chance(0.97) else 1
    cuts = sorted(d.int(1, max(c - 1, 1)) for _ in range(n - 1))
    sizes = [b - a for a, b in zip([0, *cuts], [*cuts, c])]
    if d.chance(0.1):
        sizes[d.int(0, n - 1)] += d.pick([-1, 1])  # not adding up, or an empty part
    return {"parts": sizes}


def draw_zero_pad(d: Draw, shape: tuple[int, ...]) -> dict:
    """Conv's padding forms but `same` and `valid` (now and then one: zero_pad has none)."""
    pad = padding(d, len(shape) - 1, 2)
    return {"padding": pad if not isinstance(pad, str) or d.chance(0.1) else d.int(0, 2)}


DRAWS: dict[str, Callable[[Draw, tuple[int, ...]], dict]] = {
    "conv": draw_conv,
    "depthwise_conv": lambda d, s: {"multiplier": d.int(1, 2), **window(d, s)},
    "separable_conv": lambda d, s: {"filters": d.int(1, 4), "multiplier": d.int(1, 2),
                                    **window(d, s)},
    "maxpool": draw_pool,
    "avgpool": draw_pool,
    "adaptive_avgpool": lambda d, s: {"output": per_axis(d, len(s) - 1, 1, 4)},
    "dense": lambda d, s: {"units": d.int(1, 5), "bias": d.chance(0.7),
                           "activation": activation(d)},
    "dropout": lambda d, s: {"rate": d.pick([0.0, 0.25, 0.5])},
    "batchnorm": lambda d, s: {"eps": d.pick([1e-5, 1e-3]), "momentum": d.pick([0.1, 0.01]),
                               "affine": d.chance(0.8)},
    "lrn": lambda d, s: {"size": d.int(1, 5), "alpha": d.pick([1e-4, 0.001]),
                         "beta": d.pick([0.75, 0.5]), "k": d.pick([2.0, 1.0])},
    "leaky_relu": lambda d, s: {"negative_slope": d.pick([0.01, 0.1, 0.3])},
    "elu": lambda d, s: {"alpha": d.pick([1.0, 0.5])},
    "conv_transpose": draw_conv_transpose,
    "upsample": draw_upsample,
    "split": draw_split,
    "channel_shuffle": lambda d, s: {"groups": d.pick(divisors(s[0]) or [2]) if d.chance(0.8)
                                     else d.pick([2, 3, 4])},
    "zero_pad": draw_zero_pad,
    "layernorm": lambda d, s: {"eps": d.pick([1e-5, 1e-6]), "affine": d.chance(0.8)},
    "layer_scale": lambda d, s: {"init": d.pick([1e-6, 0.1, 1.0])},
    "prelu": lambda d, s: {"per_channel": d.chance(0.5), "init": d.pick([0.25, 0.1])},
    "stochastic_depth": lambda d, s: {"rate": d.pick([0.0, 0.1, 0.5, 1.0 if d.chance(0.05)
                                                      else 0.2]),
                                      "mode": d.pick(["row", "batch", "row", "batch", "col"]
                                                     if d.chance(0.05) else ["row", "batch"])},
}


def no_settings(d: Draw, shape: tuple[int, ...]) -> dict:
    return {}


# --- the oracle ------------------------------------------------------------------------------

def axes(value: Any, rank: int, what: str) -> list:
    """One value per spatial axis. The format refuses a list of another length (NS408) and a
    conv or pool without spatial axes (NS403)."""
    if rank < 1:
        raise Refused(f"{what} needs spatial axes")
    if not isinstance(value, list):
        return [value] * rank
    if len(value) != rank:
        raise Refused(f"{what} has {len(value)} values for {rank} axes")
    return value


def resolve_padding(p: Any, x: torch.Tensor, kernel: list, stride: list,
                    dilation: list) -> list[tuple[int, int]]:
    """(before, after) per axis; 'same' as TensorFlow (output ceil(n / s), the odd one after),
    as docs/spec-format.md says."""
    rank = x.dim() - 2
    if p == "valid":
        return [(0, 0)] * rank
    if p == "same":
        found = []
        for n, k, s, dl in zip(x.shape[2:], kernel, stride, dilation):
            total = max((math.ceil(n / s) - 1) * s + (k - 1) * dl + 1 - n, 0)
            found.append((total // 2, total - total // 2))
        return found
    pairs = []
    for v in axes(p, rank, "padding"):
        if isinstance(v, list) and len(v) != 2:
            raise Refused("a per-side padding is a pair")
        pairs.append((v, v) if isinstance(v, int) else (v[0], v[1]))
    return pairs


def flat_pad(pairs: list[tuple[int, int]]) -> list[int]:
    """F.pad's order: the last axis first."""
    return [v for lo, hi in reversed(pairs) for v in (lo, hi)]


def counted(module: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, int]:
    return module.eval()(x), sum(p.numel() for p in module.parameters())


def activate(name: str | None, x: torch.Tensor) -> torch.Tensor:
    return x if name is None else ACTIVATION_FUNCTIONS[name]({}, [x])[0]


def conv_family(rank: int) -> type[nn.Module]:
    return [nn.Conv1d, nn.Conv2d, nn.Conv3d][rank - 1]


def sliding_conv(s: dict, x: torch.Tensor, filters: int, groups: int,
                 bias: bool) -> tuple[torch.Tensor, int]:
    rank = x.dim() - 2
    kernel = axes(s["kernel"], rank, "kernel")
    stride, dilation = axes(s["stride"], rank, "stride"), axes(s["dilation"], rank, "dilation")
    pairs = resolve_padding(s["padding"], x, kernel, stride, dilation)
    if any(lo != hi for lo, hi in pairs):
        x, sym = F.pad(x, flat_pad(pairs)), [0] * rank
    else:
        sym = [lo for lo, _ in pairs]
    return counted(conv_family(rank)(x.shape[1], filters, kernel, stride, sym, dilation, groups,
                                     bias), x)


def run_conv(s: dict, xs: list[torch.Tensor]) -> tuple[torch.Tensor, int]:
    y, n = sliding_conv(s, xs[0], s["filters"], s["groups"], s["bias"])
    return activate(s["activation"], y), n


def run_depthwise(s: dict, xs: list[torch.Tensor]) -> tuple[torch.Tensor, int]:
    c = xs[0].shape[1]
    y, n = sliding_conv(s, xs[0], c * s["multiplier"], c, s["bias"])
    return activate(s["activation"], y), n


def run_separable(s: dict, xs: list[torch.Tensor]) -> tuple[torch.Tensor, int]:
    """Keras' SeparableConv: a depthwise step without bias, then a 1x1 conv with it."""
    c = xs[0].shape[1]
    mid, n = sliding_conv(s, xs[0], c * s["multiplier"], c, False)
    y, m = counted(conv_family(mid.dim() - 2)(mid.shape[1], s["filters"], 1, bias=s["bias"]),
                   mid)
    return activate(s["activation"], y), n + m


def check_conv_transpose(s: dict) -> None:
    """docs: its padding is "one number or one per axis", rows taken off both ends as
    PyTorch's (no per-side pairs, no `same`)."""
    if not all(isinstance(p, int) for p in as_list(s["padding"])):
        raise Refused("conv_transpose padding is a number per axis")


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def run_conv_transpose(s: dict, xs: list[torch.Tensor]) -> tuple[torch.Tensor, int]:
    """PyTorch's ConvTranspose1d-3d."""
    x = xs[0]
    rank = x.dim() - 2
    pad = axes(s["padding"], rank, "padding")
    family = [nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d][rank - 1]
    module = family(x.shape[1], s["filters"], axes(s["kernel"], rank, "kernel"),
                    axes(s["stride"], rank, "stride"), pad,
                    axes(s["output_padding"], rank, "output_padding"), s["groups"], s["bias"],
                    axes(s["dilation"], rank, "dilation"))
    y, n = counted(module, x)
    return activate(s["activation"], y), n


def run_pool(kind: str) -> Callable[[dict, list[torch.Tensor]], tuple[torch.Tensor, int]]:
    def run(s: dict, xs: list[torch.Tensor]) -> tuple[torch.Tensor, int]:
        x = xs[0]
        rank = x.dim() - 2
        kernel = axes(s["kernel"], rank, "kernel")
        stride = axes(s["kernel"] if s["stride"] is None else s["stride"], rank, "stride")
        pairs = resolve_padding(s["padding"], x, kernel, stride, [1] * rank)
        family = ([nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d] if kind == "maxpool" else
                  [nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d])[rank - 1]
        if all(lo == hi for lo, hi in pairs):  # PyTorch's own padding, its own rules
            return family(kernel, stride, [lo for lo, _ in pairs], ceil_mode=s["ceil_mode"])(x), 0
        if kind == "avgpool":  # docs: one-sided padding is for maxpool only (zeros would count)
            raise Refused("avgpool pads both sides alike")
        if any(2 * max(p) > k for p, k in zip(pairs, kernel)):  # docs: PyTorch's rule, kept
            raise Refused("pad should be at most half of kernel size")
        # One-sided padding: -inf as far as the windows reach, the windows chosen as PyTorch
        # chooses them for its own padding (ceil_mode: no window starts in the right padding).
        reach = []
        for n, k, st, (lo, hi) in zip(x.shape[2:], kernel, stride, pairs):
            starts = list(range(0, n + lo + hi - k + (st if s["ceil_mode"] else 1), st))
            if s["ceil_mode"] and starts and starts[-1] >= lo + n:
                starts.pop()
            if not starts:
                raise Refused("no window")
            reach.append((lo, max(0, starts[-1] + k - n - lo)))
        return family(kernel, stride, 0)(F.pad(x, flat_pad(reach), value=-math.inf)), 0
    return run


def needs_spatial(x: torch.Tensor, what: str) -> int:
    if x.dim() < 3:
        raise Refused(f"{what} needs spatial axes")  # docs: global and adaptive pooling
    return x.dim() - 2


def run_global_avgpool(s: dict, xs: list[torch.Tensor]) -> tuple[torch.Tensor, int]:
    rank = needs_spatial(xs[0], "global_avgpool")
    return xs[0].mean(dim=tuple(range(2, 2 + rank))), 0


def run_adaptive(s: dict, xs: list[torch.Tensor]) -> tuple[torch.Tensor, int]:
    rank = needs_spatial(xs[0], "adaptive_avgpool")
    pool = [nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d][rank - 1]
    return pool(axes(s["output"], rank, "output"))(xs[0]), 0


def check_upsample(s: dict) -> None:
    """docs: the modes nearest, linear, bilinear, trilinear (PyTorch's bicubic is not the
    format's)."""
    if s["mode"] not in ("nearest", "linear", "bilinear", "trilinear"):
        raise Refused(f"mode {s['mode']} is not the format's")


def run_upsample(s: dict, xs: list[torch.Tensor]) -> tuple[torch.Tensor, int]:
    """nn.Upsample. docs: "a scale or a size" (not both, as PyTorch's own check), the scale 2
    when neither is written; PyTorch itself refuses a mode of another rank, align_corners for
    nearest, and an output of size 0."""
    rank = needs_spatial(xs[0], "upsample")
    if s["scale"] is not None and s["size"] is not None:
        raise Refused("upsample takes a scale or a size, not both")
    if s["size"] is not None:
        size, scale = tuple(axes(s["size"], rank, "size")), None
    else:
        size, scale = None, tuple(float(v) for v in axes(2 if s["scale"] is None else s["scale"],
                                                         rank, "scale"))
    up = nn.Upsample(size=size, scale_factor=scale, mode=s["mode"],
                     align_corners=s["align_corners"])
    return up(xs[0]), 0


def run_crop(s: dict, xs: list[torch.Tensor]) -> tuple[torch.Tensor, int]:
    """docs: the first input cut to the second's spatial size, `(n - m) // 2` off the start;
    the channels the first's. Only maps are cropped ("spatial size"), of one rank, and a crop
    only cuts: a second input larger on some axis is refused (slicing would not enlarge)."""
    if len(xs) != 2:
        raise Refused("crop reads two inputs")
    x, ref = xs
    if x.dim() < 3 or ref.dim() != x.dim():
        raise Refused("crop needs two maps of one rank")
    for axis, (n, m) in enumerate(zip(x.shape[2:], ref.shape[2:]), start=2):
        if m > n:
            raise Refused(f"crop cannot enlarge {n} to {m}")
        x = x.narrow(axis, (n - m) // 2, m)
    return x, 0


def check_zero_pad(s: dict) -> None:
    """docs: "a number for every side, one per axis, or [before, after] pairs" (no `same` or
    `valid`, which are conv's)."""
    if isinstance(s["padding"], str):
        raise Refused("zero_pad takes numbers")


def run_zero_pad(s: dict, xs: list[torch.Tensor]) -> tuple[torch.Tensor, int]:
    """F.pad with zeros, on a map's spatial axes."""
    rank = needs_spatial(xs[0], "zero_pad")
    pairs = []
    for v in axes(s["padding"], rank, "padding"):
        if isinstance(v, list) and len(v) != 2:
            raise Refused("a per-side padding is a pair")
        pairs.append((v, v) if isinstance(v, int) else (v[0], v[1]))
    return F.pad(xs[0], flat_pad(pairs)), 0


def run_dense(s: dict, xs: list[torch.Tensor]) -> tuple[torch.Tensor, int]:
    if xs[0].dim() != 2:  # docs: "Needs a flat input" (nn.Linear would act on the last axis)
        raise Refused("dense needs a flat input")
    y, n = counted(nn.Linear(xs[0].shape[1], s["units"], s["bias"]), xs[0])
    return activate(s["activation"], y), n


def run_batchnorm(s: dict, xs: list[torch.Tensor]) -> tuple[torch.Tensor, int]:
    x = xs[0]
    family = {2: nn.BatchNorm1d, 3: nn.BatchNorm1d, 4: nn.BatchNorm2d, 5: nn.BatchNorm3d}
    module = family[x.dim()](x.shape[1], eps=s["eps"], momentum=s["momentum"],
                             affine=s["affine"])
    return counted(module, x)


def channels_last(module: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, int]:
    """A module acting on the last axis applied over the channel axis (dim 1)."""
    y, n = counted(module, x.movedim(1, -1))
    return y.movedim(-1, 1), n


def run_layernorm(s: dict, xs: list[torch.Tensor]) -> tuple[torch.Tensor, int]:
    """nn.LayerNorm over the channels, position by position (docs: ConvNeXt's LayerNorm2d on
    a map, PyTorch's LayerNorm over the last axis of flat features)."""
    module = nn.LayerNorm(xs[0].shape[1], eps=s["eps"], elementwise_affine=s["affine"])
    return channels_last(module, xs[0])


class LayerScale(nn.Module):
    """ConvNeXt's layer scale, as torchvision's CNBlock writes it: a (C, 1, 1) parameter."""

    def __init__(self, shape: tuple[int, ...], init: float):
        super().__init__()
        self.scale = nn.Parameter(torch.full((shape[0], *[1] * (len(shape) - 1)), init))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale


def run_layer_scale(s: dict, xs: list[torch.Tensor]) -> tuple[torch.Tensor, int]:
    return counted(LayerScale(tuple(xs[0].shape[1:]), s["init"]), xs[0])


def run_prelu(s: dict, xs: list[torch.Tensor]) -> tuple[torch.Tensor, int]:
    return counted(nn.PReLU(xs[0].shape[1] if s["per_channel"] else 1, s["init"]), xs[0])


def check_stochastic_depth(s: dict) -> None:
    """torchvision.ops.stochastic_depth's check of the mode; docs: "0 <= rate < 1"
    (torchvision also takes 1). At inference it is the identity."""
    if not 0 <= s["rate"] < 1:
        raise Refused("rate must be in [0, 1)")
    if s["mode"] not in ("batch", "row"):
        raise Refused("mode has to be either 'batch' or 'row'")


def check_split(s: dict) -> None:
    """docs: two parts or more, none empty."""
    if part_count(s) < 2:
        raise Refused("a split makes two parts or more")
    if isinstance(s["parts"], list) and 0 in s["parts"]:
        raise Refused("an empty part")


def split_parts(s: dict, x: torch.Tensor) -> list[torch.Tensor]:
    """torch.split over the channels. docs: equal parts "must divide the channels" (torch.chunk
    would not say), sizes "add up to the channels" (torch.split's own check)."""
    c, parts = x.shape[1], s["parts"]
    if isinstance(parts, int):
        if c % parts:
            raise Refused(f"{c} channels do not split into {parts} equal parts")
        parts = [c // parts] * parts
    return list(torch.split(x, parts, dim=1))


def run_split(s: dict, xs: list[torch.Tensor]) -> tuple[torch.Tensor, int]:
    """A split's own row: its parts together (docs/report-json.md), the input's shape."""
    return torch.cat(split_parts(s, xs[0]), dim=1), 0


def part_count(s: dict) -> int:
    return s["parts"] if isinstance(s["parts"], int) else len(s["parts"])


def run_lrn(s: dict, xs: list[torch.Tensor]) -> tuple[torch.Tensor, int]:
    return nn.LocalResponseNorm(s["size"], s["alpha"], s["beta"], s["k"])(xs[0]), 0


def one(f: Callable[[torch.Tensor], torch.Tensor]) -> Callable:
    return lambda s, xs: (f(xs[0]), 0)


ACTIVATION_FUNCTIONS: dict[str, Callable] = {
    "relu": one(F.relu), "relu6": one(F.relu6), "gelu": one(F.gelu), "tanh": one(torch.tanh),
    "sigmoid": one(torch.sigmoid),
    "leaky_relu": lambda s, xs: (F.leaky_relu(xs[0], s.get("negative_slope", 0.01)), 0),
    "elu": lambda s, xs: (F.elu(xs[0], s.get("alpha", 1.0)), 0),
    "softmax": one(lambda x: F.softmax(x, dim=1)),
    "log_softmax": one(lambda x: F.log_softmax(x, dim=1)),
    "silu": one(F.silu), "swish": one(F.silu), "hardswish": one(F.hardswish),
    "hardsigmoid": one(F.hardsigmoid), "mish": one(F.mish),
    "prelu": lambda s, xs: refuse("activation: prelu learns parameters"),  # docs: NS206
}


def refuse(why: str) -> tuple[torch.Tensor, int]:
    raise Refused(why)


def broadcast(xs: list[torch.Tensor]) -> list[torch.Tensor]:
    """docs: inputs "whose sizes differ only where one of them is 1" broadcast, as PyTorch
    does; "the inputs have the same number of axes" (PyTorch would also pad the rank)."""
    if len({x.dim() for x in xs}) > 1:
        raise Refused("inputs of different ranks")
    return xs


def run_add(s: dict, xs: list[torch.Tensor]) -> tuple[torch.Tensor, int]:
    return functools.reduce(torch.add, broadcast(xs)), 0


def run_multiply(s: dict, xs: list[torch.Tensor]) -> tuple[torch.Tensor, int]:
    return functools.reduce(torch.mul, broadcast(xs)), 0


def run_concat(s: dict, xs: list[torch.Tensor]) -> tuple[torch.Tensor, int]:
    return torch.cat(xs, dim=1), 0


WINDOW_DEFAULTS = {"stride": 1, "padding": 0, "dilation": 1, "bias": True, "activation": None}
KINDS: dict[str, Kind] = {
    "conv": Kind(draw_conv, run_conv, {**WINDOW_DEFAULTS, "groups": 1}, "filters"),
    "depthwise_conv": Kind(DRAWS["depthwise_conv"], run_depthwise,
                           {**WINDOW_DEFAULTS, "multiplier": 1}, "kernel"),
    "separable_conv": Kind(DRAWS["separable_conv"], run_separable,
                           {**WINDOW_DEFAULTS, "multiplier": 1}, "filters"),
    "maxpool": Kind(draw_pool, run_pool("maxpool"),
                    {"kernel": 2, "stride": None, "padding": 0, "ceil_mode": False}, "kernel"),
    "avgpool": Kind(draw_pool, run_pool("avgpool"),
                    {"kernel": 2, "stride": None, "padding": 0, "ceil_mode": False}, "kernel"),
    "global_avgpool": Kind(no_settings, run_global_avgpool, {}),
    "adaptive_avgpool": Kind(DRAWS["adaptive_avgpool"], run_adaptive, {"output": 1}, "output"),
    "flatten": Kind(no_settings, one(lambda x: x.flatten(1)), {}),
    "dense": Kind(DRAWS["dense"], run_dense, {"bias": True, "activation": None}, "units"),
    "dropout": Kind(DRAWS["dropout"], one(lambda x: x), {"rate": 0.5}, "rate"),
    "batchnorm": Kind(DRAWS["batchnorm"], run_batchnorm,
                      {"eps": 1e-5, "momentum": 0.1, "affine": True}),
    "lrn": Kind(DRAWS["lrn"], run_lrn, {"size": 5, "alpha": 1e-4, "beta": 0.75, "k": 2.0},
                "size"),
    **{name: Kind(no_settings, f, {}) for name, f in ACTIVATION_FUNCTIONS.items()
       if name not in ("leaky_relu", "elu", "prelu")},
    "leaky_relu": Kind(DRAWS["leaky_relu"], ACTIVATION_FUNCTIONS["leaky_relu"],
                       {"negative_slope": 0.01}, "negative_slope"),
    "elu": Kind(DRAWS["elu"], ACTIVATION_FUNCTIONS["elu"], {"alpha": 1.0}, "alpha"),
    "add": Kind(no_settings, run_add, {}, "input", merge=True),
    "multiply": Kind(no_settings, run_multiply, {}, "input", merge=True),
    "concat": Kind(no_settings, run_concat, {}, "input", merge=True),
    "crop": Kind(no_settings, run_crop, {}, "input", merge=True),
    "conv_transpose": Kind(draw_conv_transpose, run_conv_transpose,
                           {**WINDOW_DEFAULTS, "groups": 1, "output_padding": 0}, "filters",
                           check=check_conv_transpose),
    "upsample": Kind(draw_upsample, run_upsample,
                     {"scale": None, "size": None, "mode": "nearest", "align_corners": None},
                     "scale", check=check_upsample),
    "zero_pad": Kind(draw_zero_pad, run_zero_pad, {"padding": 1}, "padding",
                     check=check_zero_pad),
    "split": Kind(draw_split, run_split, {"parts": 2}, "parts", parts=split_parts,
                  part_count=part_count, check=check_split),
    "channel_shuffle": Kind(DRAWS["channel_shuffle"],
                            lambda s, xs: (nn.ChannelShuffle(s["groups"])(xs[0]), 0),
                            {"groups": 2}, "groups"),
    "layernorm": Kind(DRAWS["layernorm"], run_layernorm, {"eps": 1e-5, "affine": True}),
    "layer_scale": Kind(DRAWS["layer_scale"], run_layer_scale, {"init": 1e-6}, "init"),
    "prelu": Kind(DRAWS["prelu"], run_prelu, {"per_channel": False, "init": 0.25}),
    "stochastic_depth": Kind(DRAWS["stochastic_depth"], one(lambda x: x), {"mode": "row"},
                             "rate", check=check_stochastic_depth),
}
