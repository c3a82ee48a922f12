"""Training data for `netspec train`, shaped to fit a spec: bundled digits, a .npz, an image folder.

Every source ends as the same :class:`Data`: float32 inputs of exactly the spec's input shape,
int64 labels below the spec's output size, split into train and test with a fixed, seeded,
stratified split, a validation share held out of the training split the same way, and
standardised with the training split's statistics. Every way the data can
fail to fit the spec is a :class:`~netspec.core.errors.UsageError` naming the file and the
shapes, so the CLI never shows a traceback. numpy, torch, scikit-learn and PIL load inside the
functions.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ...core.errors import UsageError
from ...core.shapes import Shape, fmt_shape

if TYPE_CHECKING:  # for annotations only: importing this module must not import them
    import numpy as np
    import torch

TEST_FRACTION = 0.2
VALIDATION_FRACTION = 0.1  # of the training split, held out to score each epoch
SPLIT_SEED = 0  # the split belongs to the data, not to a run: --seed leaves it alone
DIGITS_CLASSES = 10
IMAGE_MODES = {1: "L", 3: "RGB"}  # channels -> the PIL mode images are converted to


@dataclass(frozen=True)
class Data:
    """Train, validation and test tensors that fit one spec, and where they came from."""

    source: str  # "digits" or the path given
    note: str  # how the raw data was mapped onto the spec's input, for the summary
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    x_val: torch.Tensor  # held out of the training split; may hold no samples
    y_val: torch.Tensor


def load_data(path: str | None, input_shape: Shape, output_shape: Shape,
              validation: float = VALIDATION_FRACTION) -> Data:
    """The data for a classifier with these input and output shapes; digits without a path.
    ``validation``: the share of the training split held out to score each epoch (0: none)."""
    classes = _classes(output_shape)
    if path is None:
        x, y, note = _digits(input_shape, classes)
        source = "digits"
    else:
        p = Path(path)
        if p.is_dir():
            x, y, note = _image_folder(p, input_shape, classes)
        elif p.suffix.lower() == ".npz" or p.is_file():
            x, y, note = _npz(p, input_shape, classes)
        else:
            raise UsageError(f"{path}: no such file or folder")
        source = str(path)
    return _split(x, y, source, note, validation)


def _classes(output_shape: Shape) -> int:
    """Training is classification: the spec must end in one score per class."""
    if len(output_shape) != 1 or output_shape[0] < 2:
        raise UsageError(
            f"train needs a classifier whose output is (classes,) with at least 2 classes; "
            f"this spec's output is {fmt_shape(output_shape)}")
    return output_shape[0]


def _digits(input_shape: Shape, classes: int) -> tuple[np.ndarray, np.ndarray, str]:
    """scikit-learn's bundled 8x8 digits, resized to a (C, H, W) spec or a flat k*k one."""
    if classes != DIGITS_CLASSES:
        raise UsageError(
            f"the default data (scikit-learn's digits) has {DIGITS_CLASSES} classes, but the "
            f"spec's output is ({classes},); pass --data with your own .npz or image folder")
    side = math.isqrt(input_shape[0]) if len(input_shape) == 1 else 0
    if len(input_shape) != 3 and side * side != input_shape[0]:
        raise UsageError(
            f"the default data (scikit-learn's 8x8 digit images) fits only image specs "
            f"(C, H, W) or a flat input of k*k pixels; this spec's input is "
            f"{fmt_shape(input_shape)}; pass --data with your own .npz or image folder")
    import torch
    import torch.nn.functional as F
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = torch.as_tensor(digits.images, dtype=torch.float32).unsqueeze(1)  # (N, 1, 8, 8)
    size = (side, side) if len(input_shape) == 1 else tuple(input_shape[1:])
    images = F.interpolate(images, size=size, mode="bilinear", align_corners=False,
                           antialias=size[0] < 8 or size[1] < 8)
    if len(input_shape) == 1:
        x = images.flatten(1)
        note = f"8x8 digit images resized to {side}x{side} and flattened to {input_shape[0]}"
    else:
        x = images.expand(-1, input_shape[0], -1, -1)
        note = f"8x8 digit images resized to {fmt_shape(input_shape)}"
    return x.numpy(), digits.target, note


def _npz(path: Path, input_shape: Shape, classes: int) -> tuple[np.ndarray, np.ndarray, str]:
    """Arrays ``x`` (N, *input_shape) and ``y`` (N,) from a .npz archive, checked."""
    from zipfile import BadZipFile

    import numpy as np

    try:
        with path.open("rb") as f:
            magic = f.read(6)
        if magic[:2] != b"PK" and magic != b"\x93NUMPY":  # numpy would blame pickled data
            raise ValueError("it is not a NumPy archive (write one with numpy.savez(path, x=..., "
                             "y=...)); for images, give a folder of class subfolders")
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single array (.npy), not named arrays x and y")
        with archive:
            missing = [k for k in ("x", "y") if k not in archive.files]
            if missing:
                raise UsageError(
                    f"{path}: the archive has no array {' or '.join(map(repr, missing))} "
                    f"(found: {', '.join(archive.files) or 'none'}); it needs x "
                    f"(N, {', '.join(map(str, input_shape))}) and y (N,) integer labels")
            x, y = archive["x"], archive["y"]
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except (OSError, ValueError, EOFError, BadZipFile) as e:  # not npz, truncated, object arrays
        raise UsageError(f"{path}: cannot read as a .npz archive of numeric arrays: {e}") from None
    _check_x(path, x, input_shape)
    _check_labels(path, y, len(x), classes)
    return x, y, f"{len(x):,} samples of {fmt_shape(input_shape)}"


def _check_x(path: Path, x: np.ndarray, input_shape: Shape) -> None:
    import numpy as np

    expected = f"(N, {', '.join(map(str, input_shape))})"
    if tuple(x.shape[1:]) != tuple(input_shape):
        hint = ("; add the channel axis with x[:, None]"
                if x.shape[1:] == tuple(input_shape[1:]) and input_shape[0] == 1 else "")
        raise UsageError(f"{path}: x has shape {fmt_shape(x.shape)}, but the spec's input "
                         f"{fmt_shape(input_shape)} needs {expected}{hint}")
    if not (np.issubdtype(x.dtype, np.number) or x.dtype == np.bool_) \
            or np.issubdtype(x.dtype, np.complexfloating):
        raise UsageError(f"{path}: x must be real numbers, got dtype {x.dtype}")
    if not np.isfinite(x).all():
        raise UsageError(f"{path}: x contains NaN or infinite values")


def _check_labels(path: Path, y: np.ndarray, n: int, classes: int) -> None:
    """Labels are whole numbers in 0..classes-1, one per sample."""
    import numpy as np

    if y.shape != (n,):
        raise UsageError(f"{path}: y has shape {fmt_shape(y.shape)}; expected ({n},), one "
                         f"label per sample of x")
    if not np.issubdtype(y.dtype, np.integer):
        raise UsageError(f"{path}: y must hold integer class labels, got dtype {y.dtype}")
    bad = np.flatnonzero((y < 0) | (y >= classes))
    if bad.size:
        i = int(bad[0])
        raise UsageError(
            f"{path}: label y[{i}] = {int(y[i])} is out of range: the spec's output "
            f"({classes},) has classes 0..{classes - 1} ({bad.size:,} labels out of range)")


def _image_folder(root: Path, input_shape: Shape, classes: int
                  ) -> tuple[np.ndarray, np.ndarray, str]:
    """One subfolder per class (sorted names are labels 0, 1, ...), images resized to the spec."""
    if len(input_shape) != 3 or input_shape[0] not in IMAGE_MODES:
        raise UsageError(
            f"{root}: an image folder fits only specs whose input is (1, H, W) or (3, H, W); "
            f"this spec's input is {fmt_shape(input_shape)}")
    folders = [p for p in _listing(root) if p.is_dir()]
    if not folders:
        raise UsageError(f"{root}: no class subfolders; an image folder has one subfolder of "
                         f"images per class")
    if len(folders) > classes:
        raise UsageError(f"{root}: {len(folders)} class folders, but the spec's output "
                         f"({classes},) has only {classes} classes")
    import numpy as np

    images, labels = [], []
    for label, folder in enumerate(folders):
        files = [p for p in _listing(folder) if p.is_file()]
        if not files:
            raise UsageError(f"{folder}: the class folder has no images")
        images += [_read_image(f, input_shape) for f in files]
        labels += [label] * len(files)
    x = np.stack(images).transpose(0, 3, 1, 2) if input_shape[0] == 3 else np.stack(images)[:, None]
    names = ", ".join(p.name for p in folders[:5]) + (", ..." if len(folders) > 5 else "")
    note = f"{len(x):,} images in {len(folders)} classes ({names}) resized to " \
           f"{fmt_shape(input_shape)}"
    return x, np.array(labels), note


def _listing(folder: Path) -> list[Path]:
    """A folder's entries in sorted order, hidden ones (.DS_Store, .git) left out."""
    try:
        return sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    except OSError as e:
        raise UsageError(f"{folder}: cannot list the folder: {e.strerror or e}") from None


def _read_image(path: Path, input_shape: Shape) -> np.ndarray:
    import numpy as np
    from PIL import Image

    c, h, w = input_shape
    try:
        with Image.open(path) as img:
            resized = img.convert(IMAGE_MODES[c]).resize((w, h), Image.Resampling.BILINEAR)
            return np.asarray(resized)
    except (OSError, ValueError, Image.DecompressionBombError) as e:
        raise UsageError(f"{path}: cannot read as an image: {e}") from None


def _split(x: np.ndarray, y: np.ndarray, source: str, note: str, validation: float) -> Data:
    """Seeded splits keeping every class's share in each part (test, then validation out of
    what is left for training); inputs standardised with the training part's statistics."""
    import numpy as np
    import torch

    if not len(y):
        raise UsageError(f"{source}: holds no samples")
    y = np.asarray(y)
    train, test = _stratified(y, TEST_FRACTION, SPLIT_SEED)
    if not len(test):
        raise UsageError(f"{source}: too few samples to hold out a test set; "
                         f"at least one class needs 2 or more samples")
    val = np.array([], dtype=int)
    if validation > 0:
        kept, held = _stratified(y[train], validation, SPLIT_SEED)
        train, val = train[kept], train[held]
    inputs = torch.as_tensor(np.asarray(x, dtype=np.float32))
    labels = torch.as_tensor(np.asarray(y, dtype=np.int64))
    train_idx, test_idx, val_idx = (torch.as_tensor(i, dtype=torch.int64)
                                    for i in (train, test, val))
    mean, std = inputs[train_idx].mean(), inputs[train_idx].std()
    inputs = (inputs - mean) / (std if std > 0 else 1)
    return Data(source, note, inputs[train_idx].contiguous(), labels[train_idx],
                inputs[test_idx].contiguous(), labels[test_idx],
                inputs[val_idx].contiguous(), labels[val_idx])


def _stratified(y: np.ndarray, fraction: float, seed: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, test): a class of n >= 2 samples gives max(1, round(n * fraction)) to test.

    Written out rather than scikit-learn's, which refuses classes of one sample and small tests.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        k = max(1, round(len(idx) * fraction)) if len(idx) >= 2 else 0
        test.append(idx[:k])
        train.append(idx[k:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))
