"""Draw what a trained network sees (seed 002, "Visualization as explanation"): PNGs of the
first conv layer's filters, of every conv layer's feature maps for --image (a grid of its
channels), and a Grad-CAM heatmap over the image for the class the network ranks first.

--weights is a state_dict as `netspec train -o` writes it. The image is resized to the spec's
input, scaled to [0, 1] and standardised, as `netspec train` standardises its data. Needs
torch, numpy and pillow."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..api import visualize
from ..core.errors import UsageError
from .common import add_spec, add_strict, load_analysis

HELP = "PNGs of a trained network's filters, feature maps and Grad-CAM heatmap for an image"
EXAMPLES = "  netspec visualize lenet5 --weights lenet5.pt --image three.png -o pictures"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_spec(p)
    p.add_argument("--weights", metavar="CHECKPOINT", type=Path, required=True,
                   help="a torch.save'd state_dict (as `netspec train -o` writes)")
    p.add_argument("--image", metavar="IMAGE", type=Path, required=True,
                   help="an image file (PNG, JPEG, ...) to run through the network")
    p.add_argument("-o", "--output", metavar="DIR", type=Path, required=True,
                   help="the folder to write the PNGs into (made if missing)")
    add_strict(p)


def run(args: argparse.Namespace) -> int:
    for what, path in (("--weights", args.weights), ("--image", args.image)):
        if not path.is_file():
            raise UsageError(f"{what} {path}: " + ("a folder, not a file" if path.is_dir()
                                                   else "no such file"))
    if args.output.exists() and not args.output.is_dir():
        raise UsageError(f"-o {args.output}: a file, not a folder")
    if not args.output.parent.is_dir():
        raise UsageError(f"-o {args.output}: the folder {args.output.parent} does not exist")
    a = load_analysis(args.spec, args.strict)
    print("\n".join(visualize(a, args.weights, args.image, args.output).lines()))
    return 0
