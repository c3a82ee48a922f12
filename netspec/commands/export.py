"""Export a spec to ONNX: a symbolic batch axis, input 'input', output 'output', and every node
named after its spec layer (layer1.0.conv1/Conv). --weights loads a checkpoint first; without
it the weights are freshly initialised.

Exit 0 when written, 1 when the spec is invalid, 2 for bad usage (a wrong suffix, an opset out
of range or too old for a layer, a checkpoint that does not fit the spec)."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..backends.onnx_export import DEFAULT_OPSET, check_export, export_onnx
from ..core.errors import UsageError
from .common import add_spec, add_strict, load_analysis, output_path

HELP = "export the network to ONNX (needs torch, onnx, onnxscript)"
EXAMPLES = "  netspec export resnet18 -o resnet18.onnx --weights model.pt   # a trained checkpoint"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_spec(p)
    p.add_argument("-o", "--output", metavar="FILE", required=True,
                   help="the .onnx file to write")
    p.add_argument("--opset", type=int, default=DEFAULT_OPSET,
                   help=f"ONNX opset (default {DEFAULT_OPSET}; torch writes {DEFAULT_OPSET} and "
                        "newer directly, older ones go through ONNX's version converter)")
    p.add_argument("--weights", metavar="CHECKPOINT", type=Path,
                   help="a torch.save'd state_dict (as `netspec train -o` writes), or a dict "
                        "holding one under 'state_dict' or 'model'")
    add_strict(p)


def run(args: argparse.Namespace) -> int:
    path = output_path(args.output, (".onnx",), args.spec)
    if args.weights is not None and not args.weights.is_file():
        raise UsageError(f"--weights {args.weights}: " + (
            "a folder, not a checkpoint file" if args.weights.is_dir() else "no such file"))
    check_export(args.opset)
    a = load_analysis(args.spec, args.strict)
    done = export_onnx(a, path, args.opset, args.weights)
    weights = f"weights from {args.weights}" if args.weights else "freshly initialised weights"
    print(f"{done.path}: {a.name}, opset {done.opset}, {done.nodes} nodes, "
          f"{a.total_params:,} parameters ({weights})"
          + (f"; weights in {done.external_data}" if done.external_data else ""))
    return 0
