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

from .analysis import CheckedNetwork, build_network, check_memory_settings
from .analysis import analyze as _analyze
from .core.errors import UsageError
from .core.shapes import shape_text
from .graph.network import Network
from .reading import zoo
from .reading.source import load_text, read_file
from .reports import FORMATS, as_dict, notebook_html, render

if TYPE_CHECKING:
    import pandas
    from torch import nn

    from .backends.diagram import Diagram
    from .teaching.explain import Explanation
    from .teaching.visualize import Pictures


class Analysis(CheckedNetwork):
    """What :func:`analyze` returns: the checked network's figures (layers, totals, warnings,
    memory) and its views. ``repr()`` is one line, ``str()`` the text table; in a notebook it
    shows as an HTML table.
    """

    @classmethod
    def of(cls, checked: CheckedNetwork) -> Analysis:
        return cls(**{f.name: getattr(checked, f.name) for f in dataclasses.fields(checked)})

    def report(self, format: str = "table", batch: int = 1, dtype: str = "float32",
               depth: int | None = None, *, diagram: bool = True,
               optimizer: str = "adam") -> str:
        """The report in one of ``netspec.reports.FORMATS`` (table, markdown, json, csv, html),
        as ``netspec report`` writes it: ``depth=1`` shows each top-level block or group as one
        row; ``optimizer`` (sgd, momentum, adam, adamw) is the training estimate's. The HTML
        page embeds the diagram when graphviz and its ``dot`` can draw it (``diagram=False``
        leaves it out)."""
        if format not in FORMATS:
            raise UsageError(f"unknown report format {format!r}; one of {', '.join(FORMATS)}")
        check_memory_settings(dtype, optimizer)
        if format != "html":
            return render(self, format, batch, dtype, depth, optimizer=optimizer)
        from . import __version__

        svg = self._diagram_svg() if diagram else None
        return render(self, "html", batch, dtype, depth, optimizer=optimizer, diagram_svg=svg,
                      version=__version__)

    def _diagram_svg(self) -> str | None:
        """The diagram as SVG text, or None where graphviz or its ``dot`` is missing."""
        from .backends.diagram import diagram

        try:
            return diagram(self).render("svg").decode("utf-8")
        except UsageError:
            return None

    def to_dict(self, batch: int = 1, dtype: str = "float32",
                optimizer: str = "adam") -> dict[str, Any]:
        """The JSON report as Python data (docs/report-json.md)."""
        check_memory_settings(dtype, optimizer)
        return as_dict(self, batch, dtype, optimizer)

    def to_dataframe(self) -> pandas.DataFrame:
        """One row per layer with the JSON report's layer keys as columns (docs/report-json.md):
        ``df.params.sum() == a.total_params``. Needs pandas (``pip install 'netspec[pandas]'``).
        """
        try:
            import pandas
        except ImportError:
            raise ImportError("Analysis.to_dataframe() needs pandas: pip install pandas, or "
                              "pip install 'netspec[pandas]'") from None
        records = [r.to_dict() for r in self.layers]
        for record in records:  # shapes as tuples, as the analysis holds them
            for key in ("inputs", "output_shape", "group", "receptive_field", "jump",
                        "field_start"):
                record[key] = tuple(record[key])
        return pandas.DataFrame.from_records(records, columns=list(records[0]))

    def _repr_html_(self) -> str:
        return notebook_html(self)

    def __repr__(self) -> str:
        return (f"<Analysis {self.name}: {shape_text(self.input_shape)} -> "
                f"{shape_text(self.output_shape)}, {len(self.layers)} layers, "
                f"{self.total_params:,} params>")

    def __str__(self) -> str:
        return render(self, "table")


def load(spec: str | Path, file: str | None = None) -> Network:
    """A validated network from a spec path, the name of a spec of the zoo (``"vgg16"``, when
    no such file exists) or YAML text. A string is text when it spans lines, reads as a
    mapping (``{...}``, ``key: value``) or is blank, else a path; ``file`` names text in
    messages (``<stdin>``)."""
    with gc_paused():
        if file is None and (isinstance(spec, Path) or not _is_yaml_text(spec)):
            path = Path(spec)
            if isinstance(spec, str) and not path.exists():
                path = zoo.find(spec) or path
            return build_network(load_text(read_file(path), str(path)))
        return build_network(load_text(str(spec), file or "<string>"))


def _is_yaml_text(spec: str) -> bool:
    if "\n" in spec or not spec.strip():
        return True
    if spec.endswith((".yaml", ".yml")):
        return False  # a path, even one with ": " in it
    return spec.lstrip().startswith("{") or ": " in spec


def analyze(spec: str | Path | Network, strict: bool = False) -> Analysis:
    """Shapes, parameters, MACs and memory of every layer; raises SpecError if invalid."""
    with gc_paused():  # one pause for both: no collector pass between load and analysis
        network = spec if isinstance(spec, Network) else load(spec)
        return Analysis.of(_analyze(network, strict=strict))


@contextmanager
def gc_paused() -> Iterator[None]:
    """Checking allocates many small objects and leaves no cycles, so the cyclic collector's
    passes are pure overhead (about 10% on a 10,000-layer spec).

    Its objects then live as long as the analysis the caller holds. Re-enabled as they are,
    the collector would scan them all as young objects at the next allocation, and again as
    middle-aged ones (about 50 ms and 30 ms after a 10,000-layer check, more than the pause
    saved); ``freeze`` then ``unfreeze`` hands every tracked object straight to the oldest
    generation instead, as surviving those scans would. (Cyclic garbage the caller made before
    the check is then found by the next full collection rather than a young one; a caller that
    has frozen objects of its own, as ``netspec grade`` does before forking, keeps them frozen.)
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if not gc.get_freeze_count():
            gc.freeze()
            gc.unfreeze()
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
