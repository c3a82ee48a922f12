"""The worked solution of a spec, as a teaching assistant would write it (``netspec explain``):
per layer the output size with the formula and the numbers, the parameter count, the MACs, the
activation memory and the receptive field's growth.

The arithmetic is each kind's own (:meth:`netspec.layers.base.Layer.working`), the figures the
analysis's records; this module picks the layers, asks them and lays the lines out as text,
Markdown (for handouts) or HTML (for notebooks). It computes nothing itself.
"""
from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from ..analysis import CheckedNetwork, LayerRecord, scope_path
from ..analysis.memory import estimate
from ..core.errors import Diagnostic, UsageError
from ..core.shapes import Field, Shape, fmt_shape
from ..graph.network import INPUT
from ..layers import did_you_mean
from ..layers.base import Working
from ..reports.summary import human

SUM_TERMS = 12  # a total is written as a sum of its terms when it has at most this many


@dataclass(frozen=True)
class LayerSolution:
    """One layer's worked lines: its record, its inputs' shapes and its kind's working."""

    record: LayerRecord
    inputs: tuple[Shape, ...]
    working: Working
    memory: str

    @property
    def title(self) -> str:
        return f"layer {self.record.index} '{self.record.name}': {self.record.label}"

    @property
    def shapes(self) -> str:
        return " and ".join(map(fmt_shape, self.inputs)) + \
            f" -> {fmt_shape(self.record.output_shape)}"

    def sections(self) -> list[tuple[str, tuple[str, ...]]]:
        w = self.working
        return [(title, lines) for title, lines in (
            ("output size", w.shape), ("parameters", w.params), ("MACs", w.macs),
            ("activation memory", (self.memory,)), ("receptive field", w.field)) if lines]


@dataclass(frozen=True)
class Explanation:
    """What :func:`explain` returns. ``str()`` is the text; in a notebook it shows as HTML (or
    Markdown where HTML is not rendered)."""

    name: str
    input_shape: Shape
    output_shape: Shape
    layers: tuple[LayerSolution, ...]
    totals: tuple[str, ...]  # empty when only some layers are explained
    warnings: tuple[Diagnostic, ...]

    @property
    def heading(self) -> str:
        return (f"{self.name}: worked solution, input {fmt_shape(self.input_shape)} -> output "
                f"{fmt_shape(self.output_shape)} (channels first, per sample)")

    def text(self) -> str:
        out = [self.heading]
        for layer in self.layers:
            out += ["", f"{layer.title}, {layer.shapes}"]
            for title, lines in layer.sections():
                out += ([f"  {title}: {lines[0]}"] if len(lines) == 1 else
                        [f"  {title}:"] + [f"    {line}" for line in lines])
        if self.totals:
            out += ["", "totals:"] + [f"  {line}" for line in self.totals]
        if self.warnings:
            out += ["", "warnings:"] + [d.format() for d in self.warnings]
        return "\n".join(out) + "\n"

    def markdown(self) -> str:
        out = [f"# {_md(self.name)}: worked solution", "",
               f"Input {_md(fmt_shape(self.input_shape))}, output "
               f"{_md(fmt_shape(self.output_shape))}; shapes are channels first, per sample."]
        for layer in self.layers:
            r = layer.record
            out += ["", f"## {r.index}. `{r.name}`: {_md(r.label)}", "", _md(layer.shapes), ""]
            for title, lines in layer.sections():
                out += ([f"- **{title}**: {_md(lines[0])}"] if len(lines) == 1 else
                        [f"- **{title}**:"] + [_md_item(line) for line in lines])
        if self.totals:
            out += ["", "## Totals", ""] + [f"- {_md(line)}" for line in self.totals]
        if self.warnings:
            out += ["", "## Warnings", "", "```"] + [d.format() for d in self.warnings] + ["```"]
        return "\n".join(out) + "\n"

    def html(self) -> str:
        e = html.escape
        out = [f"<h3>{e(self.heading)}</h3>"]
        for layer in self.layers:
            out.append(f"<h4>{e(layer.title)}</h4><p>{e(layer.shapes)}</p><ul>")
            for title, lines in layer.sections():
                items = "".join(f"<li><code>{e(line.strip())}</code></li>" for line in lines)
                out.append(f"<li><b>{e(title)}</b><ul>{items}</ul></li>")
            out.append("</ul>")
        if self.totals:
            out.append("<h4>totals</h4><ul>" + "".join(
                f"<li><code>{e(line)}</code></li>" for line in self.totals) + "</ul>")
        if self.warnings:
            out.append("<pre>" + e("\n".join(d.format() for d in self.warnings)) + "</pre>")
        return "\n".join(out)

    def __str__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        return self.html()

    def _repr_markdown_(self) -> str:
        return self.markdown()


def explain(a: CheckedNetwork, layers: Sequence[str] = (), dtype: str = "float32") -> Explanation:
    """The worked solution of every layer of ``a``, or of the ``layers`` named (a layer's name
    or 1-based index, or a block's or group's name for all of its layers)."""
    chosen = select(a, layers)
    shapes = a.shapes
    fields = {INPUT: Field.of_input(len(a.input_shape) - 1)}
    solutions = []
    for node, r in zip(a.network.nodes, a.layers):
        fields[r.name] = Field(r.receptive_field, cast(tuple[int, ...], r.jump), r.field_start)
        if r.index not in chosen:
            continue
        inputs = tuple(shapes[ref] for ref in node.inputs)
        working = node.layer.working(inputs, r.output_shape,
                                     [fields[a.network.producer(ref)] for ref in node.inputs])
        solutions.append(LayerSolution(r, inputs, working, memory_line(r, dtype)))
    return Explanation(a.name, a.input_shape, a.output_shape, tuple(solutions),
                       () if layers else totals(a), a.warnings)


def memory_line(r: LayerRecord, dtype: str) -> str:
    if not r.activations:
        return "none: a view of its input, no new tensor"
    size = estimate(0, r.activations, 0, 1, dtype).activations
    product = f"{'*'.join(map(str, r.output_shape))} = " if len(r.output_shape) > 1 else ""
    return f"{product}{r.activations:,} elements: {human(size)} in {dtype}"


def totals(a: CheckedNetwork) -> tuple[str, ...]:
    """The network's totals as sums of the layers' figures (when the sums are short)."""
    input_elements = a.total_activations - sum(r.activations for r in a.layers)
    return (_sum("parameters", [r.params for r in a.layers], a.total_params),
            _sum("MACs", [r.macs for r in a.layers], a.total_macs),
            _sum("activations (the input's and every new tensor's elements)",
                 [input_elements] + [r.activations for r in a.layers], a.total_activations))


def _sum(what: str, terms: list[int], total: int) -> str:
    terms = [t for t in terms if t]
    if 1 < len(terms) <= SUM_TERMS:
        return f"{what}: {' + '.join(f'{t:,}' for t in terms)} = {total:,}"
    return f"{what}: {total:,}"


def select(a: CheckedNetwork, words: Sequence[str]) -> set[int]:
    """The indices of the layers named: by name, by index, or every layer of a group."""
    if not words:
        return {r.index for r in a.layers}
    chosen: set[int] = set()
    for word in words:
        found = {r.index for r in a.layers
                 if word in (r.name, str(r.index)) or word in scope_path(r)}
        if not found:
            names = [r.name for r in a.layers] + sorted({g for r in a.layers
                                                         for g in scope_path(r)})
            hint = did_you_mean(word, names)
            raise UsageError(f"no layer or group '{word}' in {a.name}"
                             + (f"; {hint}" if hint else f" (it has layers 1 to {len(a.layers)})"))
        chosen |= found
    return chosen


def _md(text: str) -> str:
    """Text safe in Markdown: the arithmetic's stars and underscores are not emphasis."""
    for c in "\\*_|<`":
        text = text.replace(c, "\\" + c)
    return text


def _md_item(line: str) -> str:
    """A working line as a nested list item; its indentation (two spaces a level) nests it."""
    depth = (len(line) - len(line.lstrip(" "))) // 2
    return "  " * (1 + depth) + "- " + _md(line.strip())
