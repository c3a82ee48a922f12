"""The Python API for scripts and notebooks.

>>> import netspec
>>> a = netspec.analyze("specs/vgg16.yaml")
>>> a.total_params
138357544
>>> a.layers[0].output_shape
(64, 224, 224)
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from pathlib import Path

from .analysis import Analysis
from .analysis import analyze as _analyze
from .build import build
from .graph import Network
from .source import load_text, read_file


def load(spec: str | Path, file: str | None = None) -> Network:
    """A validated network from a spec path or YAML text. A string is text when it spans lines,
    reads as a mapping (``{...}``, ``key: value``) or is blank, else a path; ``file`` names text in
    messages (``<stdin>``)."""
    with gc_paused():
        if file is None and (isinstance(spec, Path) or not _is_yaml_text(spec)):
            return build(load_text(read_file(spec), str(spec)))
        return build(load_text(str(spec), file or "<string>"))


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
        return _analyze(network, strict=strict)


@contextmanager
def gc_paused():
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


def diagram(spec: str | Path | Network | Analysis, rankdir: str = "TB"):
    """A Graphviz diagram of a spec (see docs/diagrams.md); in a notebook it draws itself.
    ``.save("net.png")`` writes .dot, .svg, .png or .pdf. Needs the graphviz package."""
    from .backends.diagram import diagram as draw

    return draw(spec if isinstance(spec, Analysis) else analyze(spec), rankdir)


def compile_model(spec: str | Path | Network | Analysis):
    """The spec as a ``torch.nn.Module`` (see docs/compile.md). Needs torch."""
    from .backends.torch_model import build_module

    return build_module(spec if isinstance(spec, Analysis) else analyze(spec))


def emit(spec: str | Path | Network | Analysis) -> str:
    """Readable, standalone PyTorch source for the spec: a class and ``build()``."""
    from .backends.torch_emit import emit_source

    return emit_source(spec if isinstance(spec, Analysis) else analyze(spec))
