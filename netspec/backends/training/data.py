"""Training data for `netspec train`, shaped to fit a spec and its task: bundled digits,
generated shapes to segment (:mod:`.shapes`), a .npz, an image folder.

Every source ends as the same :class:`Data`: float32 inputs of exactly the spec's input shape
and targets for the task: int64 class labels below the spec's output size (classify), int64
label maps of the output's spatial size (segment), or the inputs themselves (reconstruct). It
is split into train and test with a fixed, seeded split (stratified by class where samples have
one), a validation share held out of the training split the same way, and the inputs are
standardised with the training split's statistics (for reconstruction, scaled to [0, 1], the
range a sigmoid output reaches). Every way the data can fail to fit the spec is a
:class:`~netspec.core.errors.UsageError` naming the file and the shapes, so the CLI never
shows a traceback. numpy, torch, scikit-learn and PIL load inside the functions.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
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

    source: str  # "digits", "shapes" or the path given
    note: str  # how the raw data was mapped onto the spec's input, for the summary
    x_train: torch.Tensor
    y_train: torch.Tensor  # the targets: labels, label maps, or x_train itself (reconstruct)
    x_test: torch.Tensor
    y_test: torch.Tensor
    x_val: torch.Tensor  # held out of the training split; may hold no samples
    y_val: torch.Tensor


def load_data(path: str | None, input_shape: Shape, output_shape: Shape,
              validation: float = VALIDATION_FRACTION, task: str = "classify",
              positions: Sequence[Sequence[int]] = ()) -> Data:
    """The data for ``task`` on a network of these input and output shapes; without a path,
    digits (to classify or reconstruct) or generated shapes (to segment). ``validation``: the
    share of the training split held out to score each epoch (0: none). ``positions``, to
    segment: per spatial axis, the input position each output position is labelled from (the
    centre of its receptive field), so that labels drawn at the input's size fit the output."""
    if task == "segment":
        x, y, strata, note, source = _segmentation(path, input_shape, output_shape, positions)
    elif task == "reconstruct":
        x, strata, note, source = _reconstruction(path, input_shape)
        y = None
    else:
        x, y, note, source = _classification(path, input_shape, output_shape[0])
        strata = y
    return _split(x, y, strata, source, note, validation)


def _classification(path: str | None, input_shape: Shape, classes: int
                    ) -> tuple[np.ndarray, np.ndarray, str, str]:
    if path is None:
        x, y, note = _digits(input_shape, classes)
        return x, y, note, "digits"
    p = Path(path)
    if p.is_dir():
        x, y, note = _image_folder(p, input_shape, classes)
    elif p.suffix.lower() == ".npz" or p.is_file():
        x, y, note = _npz(p, input_shape, classes)
    else:
        raise UsageError(f"{path}: no such file or folder")
    return x, y, note, str(path)


def _reconstruction(path: str | None, input_shape: Shape
                    ) -> tuple[np.ndarray, np.ndarray | None, str, str]:
    """Inputs alone (the target is the input): digits, an image folder's images, or a .npz's
    x; digit and folder classes only keep the split stratified."""
    if path is None:
        x, y, note = _digits(input_shape, DIGITS_CLASSES)
        return x, y, note, "digits"
    p = Path(path)
    if p.is_dir():
        x, y, note = _image_folder(p, input_shape, None)
        return x, y, note, str(path)
    if not p.is_file():
        raise UsageError(f"{path}: no such file or folder")
    x, _, note = _npz(p, input_shape, None)
    return x, None, note, str(path)


def _segmentation(path: str | None, input_shape: Shape, output_shape: Shape,
                  positions: Sequence[Sequence[int]]
                  ) -> tuple[np.ndarray, np.ndarray, None, str, str]:
    """Images and label maps fitted to the output: generated shapes, or a .npz whose y holds
    a label map per sample, of the output's spatial size or of the input's."""
    from .shapes import draw_shapes

    classes, spatial = output_shape[0], tuple(output_shape[1:])
    if path is None:
        x, masks = draw_shapes(input_shape, classes)
        note = (f"{len(x):,} generated images of {fmt_shape(input_shape)}: background and "
                f"{classes - 1} kinds of shape to tell apart")
        source = "shapes"
    else:
        p = Path(path)
        if p.is_dir() or not p.is_file():
            raise UsageError(f"{path}: segmentation reads a .npz with x (N, "
                             f"{', '.join(map(str, input_shape))}) and y (N, "
                             f"{', '.join(map(str, spatial))}) label maps")
        x, masks, note = _npz(p, input_shape, classes, label_shapes=(spatial, input_shape[1:]))
        source = str(path)
    if tuple(masks.shape[1:]) != spatial:  # drawn at the input's size: label each output
        masks = _at(masks, positions)  # position from its receptive field's centre
        note += f", labelled at the centres of the output's {fmt_shape(spatial)} fields"
    return x, masks, None, note, source


def _at(masks: np.ndarray, positions: Sequence[Sequence[int]]) -> np.ndarray:
    """Each map's values at ``positions[0] x positions[1] x ...``."""
    import numpy as np

    grid = np.ix_(np.arange(len(masks)), *[np.asarray(p, dtype=np.int64) for p in positions])
    return masks[grid]


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


def _npz(path: Path, input_shape: Shape, classes: int | None,
         label_shapes: tuple[Shape, ...] = ((),)) -> tuple[np.ndarray, np.ndarray, str]:
    """Arrays ``x`` (N, *input_shape) and ``y`` from a .npz archive, checked: a label per
    sample (N,), or a label map of one of ``label_shapes`` per sample. ``classes`` None: no
    labels are read (reconstruction; y may be absent)."""
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
            missing = [k for k in ("x", "y")[:1 if classes is None else 2]
                       if k not in archive.files]
            if missing:
                needs = "" if classes is None else " and y " + (
                    "(N,) integer labels" if label_shapes == ((),) else
                    f"(N, {', '.join(map(str, label_shapes[0]))}) integer label maps")
                raise UsageError(
                    f"{path}: the archive has no array {' or '.join(map(repr, missing))} "
                    f"(found: {', '.join(archive.files) or 'none'}); it needs x "
                    f"(N, {', '.join(map(str, input_shape))}){needs}")
            x = archive["x"]
            y = archive["y"] if classes is not None else np.zeros(len(x), dtype=np.int64)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except (OSError, ValueError, EOFError, BadZipFile) as e:  # not npz, truncated, object arrays
        raise UsageError(f"{path}: cannot read as a .npz archive of numeric arrays: {e}") from None
    _check_x(path, x, input_shape)
    if classes is not None:
        _check_labels(path, y, len(x), classes, label_shapes)
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


def _check_labels(path: Path, y: np.ndarray, n: int, classes: int,
                  label_shapes: tuple[Shape, ...] = ((),)) -> None:
    """Labels are whole numbers in 0..classes-1: one per sample, or a map of one of
    ``label_shapes`` per sample (segmentation)."""
    import numpy as np

    if tuple(y.shape[1:]) not in {tuple(s) for s in label_shapes} or len(y) != n:
        expected = " or ".join(fmt_shape((n, *s)) for s in dict.fromkeys(map(tuple,
                                                                             label_shapes)))
        what = "one label per sample of x" if label_shapes == ((),) else \
            "a label map per sample of x, of the output's spatial size (or the input's)"
        raise UsageError(f"{path}: y has shape {fmt_shape(y.shape)}; expected {expected}, "
                         f"{what}")
    if not np.issubdtype(y.dtype, np.integer):
        raise UsageError(f"{path}: y must hold integer class labels, got dtype {y.dtype}")
    bad = np.argwhere((y < 0) | (y >= classes))
    if bad.size:
        i = tuple(int(k) for k in bad[0])
        output = f" ({classes},)" if label_shapes == ((),) else ""
        raise UsageError(
            f"{path}: label y[{', '.join(map(str, i))}] = {int(y[i])} is out of range: the "
            f"spec's output{output} has classes 0..{classes - 1} ({len(bad):,} labels out of "
            f"range)")


def _image_folder(root: Path, input_shape: Shape, classes: int | None
                  ) -> tuple[np.ndarray, np.ndarray, str]:
    """One subfolder per class (sorted names are labels 0, 1, ...), images resized to the spec.
    ``classes`` None: any number of subfolders (reconstruction, where they only group)."""
    if len(input_shape) != 3 or input_shape[0] not in IMAGE_MODES:
        raise UsageError(
            f"{root}: an image folder fits only specs whose input is (1, H, W) or (3, H, W); "
            f"this spec's input is {fmt_shape(input_shape)}")
    folders = [p for p in _listing(root) if p.is_dir()]
    if not folders:
        raise UsageError(f"{root}: no class subfolders; an image folder has one subfolder of "
                         f"images per class")
    if classes is not None and len(folders) > classes:
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


def _split(x: np.ndarray, y: np.ndarray | None, strata: np.ndarray | None, source: str,
           note: str, validation: float) -> Data:
    """Seeded splits keeping every stratum's (class's) share in each part (test, then
    validation out of what is left for training). Inputs standardised with the training
    part's statistics; without targets (y None: reconstruction) scaled to [0, 1] by the
    training part's range instead, and the targets are the inputs."""
    import numpy as np
    import torch

    if not len(x):
        raise UsageError(f"{source}: holds no samples")
    groups = np.zeros(len(x), dtype=np.int64) if strata is None else np.asarray(strata)
    train, test = _stratified(groups, TEST_FRACTION, SPLIT_SEED)
    if not len(test):
        raise UsageError(f"{source}: too few samples to hold out a test set; "
                         f"at least one class needs 2 or more samples")
    val = np.array([], dtype=int)
    if validation > 0:
        kept, held = _stratified(groups[train], validation, SPLIT_SEED)
        train, val = train[kept], train[held]
    inputs = torch.as_tensor(np.asarray(x, dtype=np.float32))
    train_idx, test_idx, val_idx = (torch.as_tensor(i, dtype=torch.int64)
                                    for i in (train, test, val))
    if y is None:
        low, high = inputs[train_idx].min(), inputs[train_idx].max()
        inputs = ((inputs - low) / (high - low if high > low else 1)).clamp_(0, 1)
        targets = inputs
    else:
        mean, std = inputs[train_idx].mean(), inputs[train_idx].std()
        inputs = (inputs - mean) / (std if std > 0 else 1)
        targets = torch.as_tensor(np.asarray(y, dtype=np.int64))
    parts = [(inputs[i].contiguous(), targets[i].contiguous())
             for i in (train_idx, test_idx, val_idx)]
    if y is None:  # the target is the input: one tensor, not a copy
        parts = [(xs, xs) for xs, _ in parts]
    (x_train, y_train), (x_test, y_test), (x_val, y_val) = parts
    return Data(source, note, x_train, y_train, x_test, y_test, x_val, y_val)


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
