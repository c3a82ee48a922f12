"""The Python API for scripts and notebooks.

>>> import netspec
>>> a = netspec.analyze("specs/vgg16.yaml")
>>> a.total_params
138357544
>>> a.layers[0].output_shape
(64, 224, 224)
"""
from __future__ import annotations

import dataclasses
import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .analysis import CheckedNetwork, build_network
from .analysis import analyze as _analyze
from .graph.network import Network
from .reading.source import load_text, read_file
from .reports import as_dict, render

if TYPE_CHECKING:
    from torch import nn

    from .backends.diagram import Diagram
    from .teaching.explain import Explanation
    from .teaching.visualize import Pictures


class Analysis(CheckedNetwork):
    """What :func:`analyze` returns: the checked network's figures (layers, totals, warnings,
    memory) and its views. In a notebook it shows as an HTML table; ``str()`` is the text table.
    """

    @classmethod
    def of(cls, checked: CheckedNetwork) -> Analysis:
        return cls(**{f.name: getattr(checked, f.name) for f in dataclasses.fields(checked)})

    def report(self, format: str = "table", batch: int = 1, dtype: str = "float32",
               depth: int | None = None) -> str:
        """The report in one of ``netspec.reports.FORMATS``, as ``netspec report`` prints it."""
        return render(self, format, batch, dtype, depth)

    def to_dict(self, batch: int = 1, dtype: str = "float32") -> dict[str, Any]:
        """The JSON report as Python data (docs/report-json.md)."""
        return as_dict(self, batch, dtype)

    def _repr_html_(self) -> str:
        return render(self, "html")

    def __str__(self) -> str:
        return render(self, "table")


def load(spec: str | Path, file: str | None = None) -> Network:
    """A validated network from a spec path or YAML text. A string is text when it spans lines,
    reads as a mapping (``{...}``, ``key: value``) or is blank, else a path; ``file`` names text in
    messages (``<stdin>``)."""
    with gc_paused():
        if file is None and (isinstance(spec, Path) or not _is_yaml_text(spec)):
            return build_network(load_text(read_file(spec), str(spec)))
        return build_network(load_text(str(spec), file or "<string>"))


def _is_yaml_text(spec: str) -> bool:
    if "\n" in spec or not spec.strip():
        return True
    if spec.endswith((".yaml", ".yml")):
        return False  # a path, even one with ": " in it
    return spec.lstrip().startswith("{") or ": " in spec


def analyze(spec: str | Path | Network, strict: bool = False) -> Analysis:
    """Shapes, parameters, MACs and memory of every layer; raises SpecError if invalid."""
    network = spec if isinstance(spec, Network) else load(spec)
    with gc_paused():
        return Analysis.of(_analyze(network, strict=strict))


@contextmanager
def gc_paused() -> Iterator[None]:
    """Checking allocates many small objects and leaves no cycles, so the cyclic collector's
    passes are pure overhead (about 10% on a 10,000-layer spec)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def diagram(spec: str | Path | Network | CheckedNetwork, rankdir: str = "TB", *,
            depth: int | None = None, shapes: bool = True, params: bool = True,
            wrap: int | str | None = None, dpi: int = 144) -> Diagram:
    """A Graphviz diagram of a spec (see docs/diagrams.md); in a notebook it draws itself.
    ``.save("net.png")`` writes .dot, .svg, .png or .pdf. ``depth`` folds blocks and groups
    into one box each, ``wrap`` cuts the network into columns ("auto": to fit a 16:9 slide),
    ``dpi`` is for PNG. Needs the graphviz package."""
    from .backends.diagram import diagram as draw

    return draw(_checked(spec), rankdir, depth=depth, shapes=shapes, params=params, wrap=wrap,
                dpi=dpi)


def compile_model(spec: str | Path | Network | CheckedNetwork) -> nn.Module:
    """The spec as a ``torch.nn.Module`` (see docs/compile.md). Needs torch."""
    from .backends.pytorch.module import build_module

    return build_module(_checked(spec))


def emit(spec: str | Path | Network | CheckedNetwork) -> str:
    """Readable, standalone PyTorch source for the spec: a class and ``build()``."""
    from .backends.pytorch.emit import emit_source

    return emit_source(_checked(spec))


def explain(spec: str | Path | Network | CheckedNetwork, layers: Sequence[str] = (),
            dtype: str = "float32") -> Explanation:
    """The worked solution of every layer (or of the ``layers`` named): output sizes with the
    formula and the numbers, parameters, MACs, activation memory, receptive fields. ``str()``
    is the text; ``.markdown()`` a handout; in a notebook it shows itself."""
    from .teaching.explain import explain as work_out

    return work_out(_checked(spec), layers, dtype)


def visualize(spec: str | Path | Network | CheckedNetwork, weights: str | Path,
              image: str | Path, out: str | Path) -> Pictures:
    """PNGs in the folder ``out`` of what the trained network sees in ``image``: the first conv
    layer's filters, every conv layer's feature maps and a Grad-CAM heatmap for its top class
    (docs/teaching.md). In a notebook the result shows them. Needs torch, numpy, pillow."""
    from .teaching.visualize import visualize as draw

    return draw(_checked(spec), Path(weights), Path(image), Path(out))


def _checked(spec: str | Path | Network | CheckedNetwork) -> CheckedNetwork:
    return spec if isinstance(spec, CheckedNetwork) else analyze(spec)
