"""Export a spec's compiled module to ONNX, every node named after the spec layer it computes.

The module is netspec's own (``build_module``), traced by torch's ``torch.export``-based
exporter with a symbolic batch axis; the graph's input is ``input``, its output ``output``.
The graph is then tidied (constants folded, the zero bias of a bias-less conv dropped, the
shape of a flatten written out) but batchnorm is *not* folded into the conv before it: the file
keeps one node per spec layer and initializers that are exactly the ``state_dict``, and ONNX
Runtime folds batchnorm itself when it loads the model. Every node is then renamed
``<layer>/<Op>`` (``layer1.0.conv1/Conv``) from the module path torch records on it.

torch's exporter writes opset 18 and newer itself; an older ``--opset`` is converted with
ONNX's version converter, which refuses operators it cannot express there (a clear error).
torch, onnx and onnxscript are imported inside the functions.
"""
from __future__ import annotations

import ast
import logging
import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..analysis import CheckedNetwork
from ..core.errors import UsageError
from . import require
from .pytorch.plan import plan
from .pytorch.weights import load_weights

if TYPE_CHECKING:
    import onnx
    import onnx_ir
    import torch

DEFAULT_OPSET = 18  # what torch's exporter writes natively (older ones are converted)
MIN_OPSET = 7  # the oldest opset ONNX's version converter can target
TRACE_BATCH = 2  # an example batch of 1 would let torch.export specialise the batch axis
MAX_PROTO_BYTES = 2**31 - 2**24  # protobuf's 2 GiB limit, less room for the graph itself


@dataclass(frozen=True)
class Exported:
    """What was written, for the command's summary."""

    path: Path
    opset: int
    nodes: int
    external_data: Path | None  # weights beside the model when it passes 2 GiB


def export_onnx(a: CheckedNetwork, path: Path, opset: int = DEFAULT_OPSET,
                weights: Path | None = None) -> Exported:
    """Compile ``a``'s network, load ``weights`` if given, and write it to ``path``."""
    check_export(opset)
    from .pytorch.module import build_module

    module = build_module(a)
    if weights is not None:
        load_weights(module, weights)
    return export_module(module, a, path, opset)


def export_module(module: torch.nn.Module, a: CheckedNetwork, path: Path,
                  opset: int = DEFAULT_OPSET) -> Exported:
    """Write a module compiled from ``a`` (``build_module``, perhaps trained) as ONNX."""
    check_export(opset)
    import torch

    training = module.training
    try:
        with torch.no_grad(), _exportable(module):
            model = _trace(module.eval(), a, max(opset, DEFAULT_OPSET))
    finally:
        module.train(training)  # the caller's module, left as it was found
    _tidy(model)
    name_nodes(model, a)
    model.graph.name = a.name
    return _save(model, Path(path), opset)


def check_export(opset: int) -> None:
    """Usage errors found before any work: a missing library, an opset ONNX does not know."""
    require("ONNX export", "onnx", ("torch", "onnx", "onnxscript"))
    import onnx

    newest = onnx.defs.onnx_opset_version()
    if not MIN_OPSET <= opset <= newest:
        raise UsageError(f"--opset {opset} is out of range: ONNX {onnx.__version__} knows "
                         f"opsets {MIN_OPSET} to {newest} (default {DEFAULT_OPSET})")


def _trace(module: torch.nn.Module, a: CheckedNetwork, opset: int) -> onnx_ir.Model:
    """torch.export the module with a symbolic batch axis, untidied (see ``_tidy``)."""
    import torch

    example = torch.randn(TRACE_BATCH, *a.input_shape)
    with _quiet():
        program = torch.onnx.export(
            module, (example,), input_names=["input"], output_names=["output"],
            opset_version=opset, dynamo=True, optimize=False, verbose=False,
            dynamic_shapes=({0: torch.export.Dim("batch")},))
    assert program is not None  # dynamo=True always returns the program
    return program.model


@contextmanager
def _exportable(module: torch.nn.Module) -> Iterator[None]:
    """Stand-ins, while tracing, for modules torch's exporter cannot convert; put back after.

    Only ``AdaptiveAvgPool3d`` to sizes other than 1 (torch converts its 1-D and 2-D forms,
    and pooling to 1 as a ReduceMean, but has no conversion for the rest): see
    :func:`_separable_adaptive_avg_pool3d`."""
    from torch import nn

    swapped = [(name, m) for name, m in module.named_modules()
               if isinstance(m, nn.AdaptiveAvgPool3d) and m.output_size not in (1, (1, 1, 1))]
    for name, m in swapped:
        module.set_submodule(name, _separable_adaptive_avg_pool3d(m.output_size))
    try:
        yield
    finally:
        for name, m in swapped:
            module.set_submodule(name, m)


def _separable_adaptive_avg_pool3d(output_size: Any) -> torch.nn.Module:
    """3-D adaptive average pooling as two 2-D ones, which export: the mean over a box is the
    mean over its depth of the means over its height and width. The first pools (H, W) with
    depth folded into channels, the second pools depth and passes H*W through unchanged."""
    import torch.nn.functional as F
    from torch import nn

    class SeparableAdaptiveAvgPool3d(nn.Module):
        def __init__(self, size: int | tuple[int | None, ...]) -> None:
            super().__init__()
            self.size = (size,) * 3 if isinstance(size, int) else tuple(size)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            c, d, h, w = x.shape[1:]
            od, oh, ow = (n if o is None else o for o, n in zip(self.size, (d, h, w)))
            y = F.adaptive_avg_pool2d(x.reshape(-1, c * d, h, w), (oh, ow))
            y = F.adaptive_avg_pool2d(y.reshape(-1, c, d, oh * ow), (od, oh * ow))
            return y.reshape(-1, c, od, oh, ow)

    return SeparableAdaptiveAvgPool3d(output_size)


@contextmanager
def _quiet() -> Iterator[None]:
    """torch's exporter and onnxscript log and warn about their progress and about packages a
    netspec user has no use for (torchvision); their errors still raise."""
    loggers = [logging.getLogger(name) for name in ("torch.onnx", "onnxscript")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def _tidy(model: onnx_ir.Model) -> None:
    """Fold constants and apply only the rewrites that keep one node per layer.

    torch's own ``optimize=True`` also folds batchnorm into the conv before it, which leaves the
    conv's layer without a node and its initializer named ``conv1.weight`` holding other
    values than the state_dict's."""
    from onnxscript import optimizer, rewriter
    from onnxscript.rewriter.rules import common as rules

    optimizer.fold_constants(model)
    rewriter.rewrite(model, [rules.remove_optional_bias_from_conv_rule,
                             rules.remove_optional_bias_from_gemm_rule,
                             rules.materialize_reshape_shape_rule, rules.no_op_expand_rule])
    optimizer.remove_unused_nodes(model)


def name_nodes(model: onnx_ir.Model, a: CheckedNetwork) -> None:
    """Rename every node ``<layer>/<Op>`` (``_1``, ``_2`` for a layer's further ops of a kind).

    torch records the module path each node came from (``name_scopes``, outermost first); the
    innermost that is one of a layer's modules (its own name, ``<name>_<suffix>`` for an
    explicit pad or a fused activation, the ``Add``/``Multiply``/``Concat`` of a merge) names
    the layer. A node made by folding constants belongs to the layer that reads it."""
    owner = {path: s.name for s in plan(a) for path, _ in s.modules}
    nodes = list(model.graph)
    layer: dict[int, str] = {}
    for node in nodes:
        scopes = ast.literal_eval(node.metadata_props.get("pkg.torch.onnx.name_scopes", "[]"))
        found = next((owner[s] for s in reversed(scopes) if s in owner), None)
        if found is not None:
            layer[id(node)] = found
    for node in reversed(nodes):
        if id(node) not in layer:
            readers = [layer.get(id(user)) for out in node.outputs for user, _ in out.uses()]
            if any(readers):
                layer[id(node)] = next(r for r in readers if r)
    seen: Counter = Counter()
    for node in nodes:
        if id(node) in layer:
            base = f"{layer[id(node)]}/{node.op_type}"
            node.name = base + (f"_{seen[base]}" if seen[base] else "")
            seen[base] += 1


def _save(model: onnx_ir.Model, path: Path, opset: int) -> Exported:
    """Write the model: converted if an older opset was asked for, and with its weights in a
    file beside it when they pass protobuf's 2 GiB."""
    import onnx_ir as ir

    written = model.opset_imports.get("")
    if written != max(opset, DEFAULT_OPSET):
        raise UsageError(f"--opset {opset}: torch's exporter wrote opset {written} instead; "
                         f"use an opset from {DEFAULT_OPSET} to {written}")
    size = sum(v.const_value.nbytes for v in model.graph.initializers.values()
               if v.const_value is not None)
    data = path.with_name(path.name + ".data") if size > MAX_PROTO_BYTES else None
    if data and opset < DEFAULT_OPSET:
        raise UsageError(f"--opset {opset}: a model over 2 GiB can only be written at opset "
                         f"{DEFAULT_OPSET} or newer")
    try:
        if opset < DEFAULT_OPSET:
            import onnx

            onnx.save_model(_convert(ir.to_proto(model), opset), path)
        else:
            ir.save(model, path, external_data=data.name if data else None)
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror or e}") from None
    return Exported(path, opset, len(model.graph), data)


def _convert(proto: onnx.ModelProto, opset: int) -> onnx.ModelProto:
    """ONNX's version converter, its refusals turned into a message naming the layers."""
    import onnx

    try:
        converted = onnx.version_converter.convert_version(proto, opset)
    except Exception as e:  # the converter raises RuntimeError or ValueError with C++ text
        raise _too_old(e, proto, opset) from None
    _drop_noop_with_empty_axes(converted, opset)
    try:
        onnx.checker.check_model(converted, full_check=True)  # what else it may leave invalid
    except onnx.checker.ValidationError as e:
        raise UsageError(f"--opset {opset}: the version converter wrote a model that ONNX's "
                         f"checker refuses ({str(e).splitlines()[0]}); use --opset "
                         f"{DEFAULT_OPSET} or newer, which torch's exporter writes "
                         "directly") from None
    return converted


def _too_old(e: Exception, proto: onnx.ModelProto, opset: int) -> UsageError:
    """The converter's refusal, with the operator it names and the layers that use it."""
    import re

    text = str(e).splitlines()[0]
    detail = text.split("failed: ")[-1].replace("$", "")  # past the C++ file and line
    found = re.search(r"for (\w+)$", detail) or re.search(r"for operator (\w+)", text)
    op = found.group(1) if found else None
    layers = sorted({n.name.rsplit("/", 1)[0] for n in proto.graph.node if n.op_type == op})
    shown = ", ".join(layers[:6]) + (", ..." if len(layers) > 6 else "")
    where = f" ({op} in {shown})" if layers else ""
    return UsageError(f"--opset {opset} is too old for this network{where}: ONNX's version "
                      f"converter says '{detail}'; use --opset {DEFAULT_OPSET} or newer, "
                      "which torch's exporter writes directly")


def _drop_noop_with_empty_axes(model: onnx.ModelProto, opset: int) -> None:
    """Work around the version converter: taking ReduceMean & co. below opset 18 moves their
    axes back into an attribute but keeps ``noop_with_empty_axes``, which those opsets do not
    know (ONNX Runtime refuses the model). With the axes given, its default 0 changes nothing;
    a 1 (never written by torch's exporter) is left for the checker to refuse. Only the top
    graph is searched: netspec's models have no subgraphs."""
    for node in model.graph.node:
        known = node.op_type == "ReduceSum" and opset >= 13  # its axes became an input at 13
        if node.op_type.startswith("Reduce") and not known:
            for i, attr in enumerate(node.attribute):
                if attr.name == "noop_with_empty_axes" and attr.i == 0:
                    del node.attribute[i]
                    break
