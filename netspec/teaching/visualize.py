"""Pictures of what a trained network sees (seed 002, "Visualization as explanation"): the first
conv layer's filters, every conv layer's feature maps for one image (a grid of its channels, as
the notes' "All channels layer 8"), and a class activation heatmap (Grad-CAM) over the image for
the class the network ranks first.

Grad-CAM (Selvaraju et al., 2017) weighs each channel k of the last conv layer's output A by
the mean gradient of the class score y_c over its positions, alpha_k = mean_ij dy_c/dA_kij,
and keeps the positive part of the weighted sum, relu(sum_k alpha_k A_k), upsampled to the
image and scaled to [0, 1]. The score is the one before a final softmax.

A conv layer is any layer that slides a window and has weights (conv, depthwise and separable
convs). torch, numpy and pillow are imported inside the functions.
"""
from __future__ import annotations

import base64
import html
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..analysis import CheckedNetwork, LayerRecord
from ..backends import require
from ..core.errors import UsageError
from ..core.shapes import fmt_shape

if TYPE_CHECKING:
    import numpy as np
    import torch

IMAGE_MODES = {1: "L", 3: "RGB"}  # the input's channels -> the mode the image is read in
MIN_TILE = 32  # small maps and kernels are enlarged (by a whole factor) to at least this
GAP = 1  # pixels between the tiles of a grid
# "jet"-like colour scale for the heatmap: blue, cyan, yellow, red
HEAT = ((0.0, (0, 0, 128)), (0.25, (0, 128, 255)), (0.5, (0, 255, 255)),
        (0.75, (255, 255, 0)), (1.0, (255, 0, 0)))


@dataclass(frozen=True)
class Picture:
    """One PNG written: what it shows, and its grid of tiles (rows, columns, tile size)."""

    title: str
    path: Path
    grid: tuple[int, int]  # rows, columns
    tile: tuple[int, int]  # height, width of one tile before enlarging
    scale: int  # each tile is enlarged this many times

    @property
    def size(self) -> tuple[int, int]:
        """(height, width) of the PNG: the tiles, enlarged, with GAP pixels around each."""
        (rows, cols), (h, w) = self.grid, self.tile
        return rows * (h * self.scale + GAP) + GAP, cols * (w * self.scale + GAP) + GAP


@dataclass(frozen=True)
class Pictures:
    """What :func:`visualize` wrote. In a notebook they show inline."""

    pictures: tuple[Picture, ...]
    heatmap: Path
    top_class: int
    score: float
    target: str  # the conv layer Grad-CAM reads
    cam: np.ndarray  # the heatmap, (H, W) in [0, 1], before colouring

    def lines(self) -> list[str]:
        out = [f"{p.path}: {p.title}, a {p.grid[0]}x{p.grid[1]} grid" for p in self.pictures]
        h, w = self.cam.shape
        return out + [f"{self.heatmap}: Grad-CAM of class {self.top_class} (score "
                      f"{self.score:.3g}) at layer '{self.target}', over the image ({h}x{w})"]

    def _repr_html_(self) -> str:
        shown = [(p.title, p.path) for p in self.pictures]
        shown.append((f"Grad-CAM, class {self.top_class}, at '{self.target}'", self.heatmap))
        return "".join(
            f"<figure style='display:inline-block;margin:4px'><img style='image-rendering:"
            f"pixelated;min-width:128px' src='data:image/png;base64,"
            f"{base64.b64encode(path.read_bytes()).decode()}'/><figcaption>{html.escape(title)}"
            "</figcaption></figure>" for title, path in shown)


def visualize(a: CheckedNetwork, weights: Path, image: Path, out: Path) -> Pictures:
    """Load ``weights`` into ``a``'s compiled network, run ``image`` through it and write the
    pictures into the folder ``out``."""
    require("visualize", "train", ["torch", "numpy", "PIL"])
    import torch

    from ..backends.pytorch.module import build_module
    from ..backends.pytorch.weights import load_weights
    from ..backends.training.loop import training_head

    convs = conv_layers(a)
    if len(a.output_shape) != 1:
        raise UsageError(f"visualize needs a classifier: an output (classes,), not "
                         f"{fmt_shape(a.output_shape)}")
    model = build_module(a).eval()
    load_weights(model, weights)
    x, shown = read_image(image, a.input_shape)
    with torch.enable_grad(), training_head(model, a):  # scores before a final softmax
        values = model.layer_outputs(x)
        scores = values[a.layers[-1].name][0]
        top = int(scores.argmax())
        cam = grad_cam(values[convs[-1].name], scores[top], a.input_shape[1:])
    out.mkdir(exist_ok=True)
    pictures = [_filters(model, convs[0], out)]
    pictures += [_features(r, values[r.name], out) for r in convs]
    heatmap = out / "gradcam.png"
    _save(_overlay(shown, cam), heatmap)
    return Pictures(tuple(pictures), heatmap, top, float(scores[top].detach()), convs[-1].name,
                    cam)


def conv_layers(a: CheckedNetwork) -> list[LayerRecord]:
    """The layers that slide a window and have weights, on 2-D maps, in order."""
    shapes = a.shapes
    found = [r for node, r in zip(a.network.nodes, a.layers)
             if r.weights and len(r.output_shape) == 3
             and node.layer.windows([shapes[ref] for ref in node.inputs])]
    if len(a.input_shape) != 3 or a.input_shape[0] not in IMAGE_MODES or not found:
        raise UsageError(f"visualize needs an image input (1, H, W) or (3, H, W) and a conv "
                         f"layer; {a.name} has input {fmt_shape(a.input_shape)} and "
                         f"{len(found)} conv layers")
    return found


def read_image(path: Path, shape: tuple[int, ...]) -> tuple[torch.Tensor, np.ndarray]:
    """The image as the network's input (1, C, H, W): resized, scaled to [0, 1] and
    standardised to mean 0 and deviation 1, as ``netspec train`` standardises its data; and
    as RGB pixels (H, W, 3) to draw the heatmap over."""
    import numpy as np
    import torch
    from PIL import Image

    c, h, w = shape
    try:
        with Image.open(path) as img:
            resized = img.convert(IMAGE_MODES[c]).resize((w, h), Image.Resampling.BILINEAR)
    except FileNotFoundError:
        raise UsageError(f"--image {path}: no such file") from None
    except (OSError, ValueError, Image.DecompressionBombError) as e:
        raise UsageError(f"--image {path}: cannot read as an image: {e}") from None
    pixels = np.asarray(resized, dtype=np.float32) / 255
    x = torch.as_tensor(pixels.reshape(h, w, c).transpose(2, 0, 1).copy())
    x = (x - x.mean()) / (x.std() if x.std() > 0 else 1)
    rgb = np.asarray(resized.convert("RGB"), dtype=np.uint8)
    return x.unsqueeze(0), rgb


def grad_cam(activations: torch.Tensor, score: torch.Tensor,
             size: tuple[int, ...]) -> np.ndarray:
    """relu(sum_k alpha_k A_k), alpha_k the mean of dscore/dA_k, upsampled to ``size``
    (bilinear) and scaled to [0, 1]."""
    import torch
    import torch.nn.functional as F

    (grads,) = torch.autograd.grad(score, activations)
    alpha = grads.mean(dim=(2, 3), keepdim=True)
    cam = torch.relu((alpha * activations).sum(dim=1, keepdim=True))
    cam = F.interpolate(cam, size=tuple(size), mode="bilinear", align_corners=False)[0, 0]
    top = cam.max()
    return (cam / top if top > 0 else cam).detach().numpy()


def _filters(model: torch.nn.Module, r: LayerRecord, out: Path) -> Picture:
    """The first conv layer's filters: RGB tiles on a 3-channel input, else grey ones (the
    mean over the input channels a filter reads)."""
    state = model.state_dict()
    key = f"{r.name}.weight" if f"{r.name}.weight" in state else next(
        k for k in state if k.startswith(f"{r.name}.") and k.endswith("weight"))
    w = state[key].detach().numpy()  # (filters, channels per group, kh, kw)
    tiles = w.transpose(0, 2, 3, 1) if w.shape[1] == 3 else w.mean(axis=1)
    return _grid(tiles, f"{len(w)} filters of '{r.name}' ({w.shape[2]}x{w.shape[3]})",
                 out / f"filters_{r.name}.png")


def _features(r: LayerRecord, value: torch.Tensor, out: Path) -> Picture:
    maps = value[0].detach().numpy()  # (channels, h, w)
    return _grid(maps, f"{len(maps)} channels of '{r.name}' ({maps.shape[1]}x{maps.shape[2]})",
                 out / f"features_{r.name}.png")


def _grid(tiles: np.ndarray, title: str, path: Path) -> Picture:
    """Tiles (N, h, w) or (N, h, w, 3), each scaled to 0-255 by its own range, in a grid of
    ceil(sqrt(N)) columns, enlarged to at least MIN_TILE pixels, on a white background."""
    import numpy as np

    n, h, w = tiles.shape[:3]
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    scale = max(1, math.ceil(MIN_TILE / max(h, w)))
    picture = Picture(title, path, (rows, cols), (h, w), scale)
    canvas = np.full((*picture.size, 3), 255, dtype=np.uint8)
    for i, tile in enumerate(tiles):
        lo, hi = float(tile.min()), float(tile.max())
        norm = (tile - lo) / (hi - lo) if hi > lo else np.zeros_like(tile)
        pixels = np.uint8(np.round(255 * norm))
        if pixels.ndim == 2:
            pixels = np.repeat(pixels[:, :, None], 3, axis=2)
        big = pixels.repeat(scale, axis=0).repeat(scale, axis=1)
        top = GAP + (i // cols) * (h * scale + GAP)
        left = GAP + (i % cols) * (w * scale + GAP)
        canvas[top:top + h * scale, left:left + w * scale] = big
    _save(canvas, path)
    return picture


def _overlay(rgb: np.ndarray, cam: np.ndarray) -> np.ndarray:
    """The heatmap's colours over the image, half and half."""
    import numpy as np

    stops = [s for s, _ in HEAT]
    heat = np.stack([np.interp(cam, stops, [c[i] for _, c in HEAT]) for i in range(3)], axis=-1)
    return np.uint8(np.round(0.5 * rgb + 0.5 * heat))


def _save(pixels: np.ndarray, path: Path) -> None:
    from PIL import Image

    try:
        Image.fromarray(pixels).save(path)
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror or e}") from None
