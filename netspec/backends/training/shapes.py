"""Generated images to segment, so that `netspec train` can train a segmentation network with
no data to hand: on a noisy background, a few filled shapes of up to three kinds (rectangles,
discs, diamonds), each kind a brightness of its own, and a label map saying which kind covers
each pixel (0: background). Drawn at the input's size with a fixed seed; torch-free (numpy).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.errors import UsageError
from ...core.shapes import Shape, fmt_shape

if TYPE_CHECKING:
    import numpy as np

KINDS = ("rectangle", "disc", "diamond")  # label 1, 2, 3
BRIGHTNESS = (1.0, 0.65, 0.35)  # of each kind; the background is 0, noise on all
NOISE = 0.1
SAMPLES = 512
MAX_VALUES = 1 << 24  # inputs drawn at most (64 MiB of float32): fewer samples of large images
MIN_SIDE = 8
SEED = 0


def draw_shapes(input_shape: Shape, classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, C, H, W), float32, the same in every channel, and label maps (N, H, W)."""
    import numpy as np

    if len(input_shape) != 3 or min(input_shape[1:]) < MIN_SIDE:
        raise UsageError(
            f"the generated shapes to segment are images of at least {MIN_SIDE}x{MIN_SIDE}: "
            f"(C, H, W); this spec's input is {fmt_shape(input_shape)}; pass --data with a "
            f".npz of x and label maps y")
    if not 2 <= classes <= len(KINDS) + 1:
        raise UsageError(
            f"the generated shapes have {len(KINDS) + 1} classes at most (background, "
            f"{', '.join(KINDS)}), but the spec's output has {classes}; pass --data with a "
            f".npz of x and label maps y")
    c, h, w = input_shape
    n = max(16, min(SAMPLES, MAX_VALUES // (c * h * w)))
    rng = np.random.default_rng(SEED)
    rows, cols = np.mgrid[0:h, 0:w]
    masks = np.zeros((n, h, w), dtype=np.int64)
    for i in range(n):
        for _ in range(rng.integers(1, 4)):
            kind = int(rng.integers(1, classes))
            masks[i][_shape(kind, rows, cols, h, w, rng)] = kind
    brightness = np.array((0.0, *BRIGHTNESS), dtype=np.float32)[masks]
    images = brightness + rng.normal(0, NOISE, size=(n, h, w)).astype(np.float32)
    return np.repeat(images[:, None], c, axis=1), masks


def _shape(kind: int, rows: np.ndarray, cols: np.ndarray, h: int, w: int,
           rng: np.random.Generator) -> np.ndarray:
    """Where one shape of ``kind`` falls: a random centre, and a size of an eighth to a
    third of the image."""
    cy, cx = rng.uniform(0, h), rng.uniform(0, w)
    ry, rx = (rng.uniform(1 / 8, 1 / 3) * side / 2 + 1 for side in (h, w))
    dy, dx = (rows - cy) / ry, (cols - cx) / rx
    if kind == 1:
        return (abs(dy) <= 1) & (abs(dx) <= 1)
    if kind == 2:
        return dy ** 2 + dx ** 2 <= 1
    return abs(dy) + abs(dx) <= 1
