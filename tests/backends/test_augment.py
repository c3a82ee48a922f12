"""Data augmentation on tensors: each jitter's effect checked on images whose answer is known
(a flip is torch's own flip, a crop is a shift with zeros, a 90 degree turn is torch.rot90),
seeds repeat, and only training batches are touched."""
import pytest

torch = pytest.importorskip("torch")
np = pytest.importorskip("numpy")
pytest.importorskip("tqdm")

import netspec  # noqa: E402
from netspec.backends.training.augment import Augmentation, Augmenter, affine, crop  # noqa: E402
from netspec.backends.training.data import load_data  # noqa: E402
from netspec.cli import main  # noqa: E402
from netspec.core.errors import UsageError  # noqa: E402


def images(n=64, shape=(2, 9, 7), seed=0):
    """Distinct, non-symmetric images: every pixel value differs."""
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, *shape, generator=g) + 1  # no zeros, so padding shows


def shifted(x, dy, dx):
    """x moved down by dy and right by dx, zeros coming in: what a crop of the padding does."""
    out = torch.zeros_like(x)
    h, w = x.shape[-2:]
    out[..., max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        x[..., max(-dy, 0):h - max(dy, 0), max(-dx, 0):w - max(dx, 0)]
    return out


def test_crop_shifts_each_image_by_at_most_the_padding():
    x = images()
    out = Augmenter(Augmentation(crop=2), seed=0)(x)
    assert out.shape == x.shape
    moves = []
    for before, after in zip(x, out):
        found = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
                 if torch.equal(after, shifted(before, dy, dx))]
        assert len(found) == 1, found  # exactly one shift explains it
        moves.append(found[0])
    assert len(set(moves)) > 10  # each image drawn afresh


def test_crop_at_given_offsets():
    x = images(2)
    out = crop(x, 3, torch.tensor([[0, 3], [6, 3]]))  # (rows, columns) of the padded images
    assert torch.equal(out[0], shifted(x[0], 3, -3)) and torch.equal(out[1], x[1])


def test_flip_mirrors_about_half_the_images_exactly():
    x = images(200)
    out = Augmenter(Augmentation(flip=True), seed=0)(x)
    flipped = [torch.equal(a, b.flip(-1)) for a, b in zip(out, x)]
    kept = [torch.equal(a, b) for a, b in zip(out, x)]
    assert all(f != k for f, k in zip(flipped, kept))  # each one or the other
    assert 70 < sum(flipped) < 130


def test_a_quarter_turn_is_rot90_and_scaling_keeps_the_centre():
    x = images(3, (1, 8, 8))
    turned = affine(x, [90.0, -90.0, 0.0], [1.0, 1.0, 1.0])
    assert torch.allclose(turned[0], torch.rot90(x[0], 1, (-2, -1)), atol=1e-5)  # counterclockwise
    assert torch.allclose(turned[1], torch.rot90(x[1], -1, (-2, -1)), atol=1e-5)
    assert torch.allclose(turned[2], x[2], atol=1e-6)  # the identity
    flat = torch.ones(1, 1, 9, 9)
    small = affine(flat, [0.0], [0.5])[0, 0]  # shrunk to half: zeros around the middle
    assert small[4, 4] == pytest.approx(1) and small[0, 0] == 0 and small[8, 8] == 0


def test_rotation_of_a_wide_image_does_not_shear():
    """A half turn of a non-square image is its flip on both axes, pixel for pixel."""
    x = images(2, (1, 6, 10))
    assert torch.allclose(affine(x, [180.0, 180.0], [1.0, 1.0]), x.flip(-1).flip(-2), atol=1e-5)


def test_affine_jitter_stays_within_its_bounds_and_keeps_the_shape():
    x = images(32, (1, 16, 16))
    out = Augmenter(Augmentation(rotate=10, scale=0.1), seed=3)(x)
    assert out.shape == x.shape and not torch.equal(out, x)
    assert (out - x).abs().mean() < 0.5 * x.abs().mean()  # small: most of each image stays


def test_same_seed_same_batches_and_another_seed_others():
    jitter = Augmentation(crop=2, flip=True, rotate=15, scale=0.1)
    x = images()
    a, b, c = Augmenter(jitter, 7), Augmenter(jitter, 7), Augmenter(jitter, 8)
    first = [a(x), a(x)]
    assert torch.equal(first[0], b(x)) and torch.equal(first[1], b(x))
    assert not torch.equal(first[0], first[1])  # each batch drawn afresh
    assert not torch.equal(first[0], c(x))
    assert not torch.equal(Augmenter(jitter, 7, rank=1)(x), first[0])  # each process its own


def test_the_summary_names_the_augmentations():
    assert Augmentation().describe() == "none" and not Augmentation().active
    assert Augmentation(4, True, 10, 0.1).describe() == \
        "crop 4 (zero padding), flip, rotate ±10°, scale ±10%"


@pytest.mark.parametrize("shape, jitter, message", [
    ((784,), Augmentation(flip=True), r"needs an image input \(C, H, W\); this spec's input "
                                      r"is \(784,\)"),
    ((1, 40), Augmentation(crop=2), r"this spec's input is \(1, 40\)"),
    ((1, 8, 8), Augmentation(crop=8), r"--crop 8 shifts by at least the image's size 8x8"),
])
def test_augmentation_needs_images(shape, jitter, message):
    with pytest.raises(UsageError, match=message):
        jitter.check(shape)


def test_only_training_batches_are_augmented(tmp_path, monkeypatch):
    """Forward pre-hooks see every batch: in training mode augmented ones, in eval mode
    (validation after each epoch, the test at the end) exactly the data's tensors."""
    from netspec.backends.training.loop import Options, train

    spec = "input: [1, 8, 8]\nlayers:\n  - conv: {filters: 2, kernel: 3}\n  - flatten\n" \
           "  - dense: 3\n"
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", x=rng.normal(size=(90, 1, 8, 8)).astype(np.float32),
             y=np.arange(90) % 3)
    a = netspec.analyze(spec)
    data = load_data(str(tmp_path / "d.npz"), (1, 8, 8), (3,))
    seen = {True: [], False: []}
    import netspec.backends.pytorch.module as module

    real = module.build_module

    def spying(analysis):
        model = real(analysis)
        model.register_forward_pre_hook(lambda m, args: seen[m.training].append(args[0]))
        return model

    monkeypatch.setattr(module, "build_module", spying)
    options = Options(2, 16, None, "adam", 0, "cpu", augmentation=Augmentation(crop=2, flip=True))
    train(a, data, options, log=lambda line: None)
    evaluated = torch.cat(seen[False])
    expected = torch.cat([data.x_val, data.x_val, data.x_test])  # two epochs, then the test
    assert torch.equal(evaluated, expected)
    trained = torch.cat(seen[True])
    originals = {tuple(x.flatten().tolist()) for x in data.x_train}
    changed = sum(tuple(x.flatten().tolist()) not in originals for x in trained)
    assert len(trained) == 2 * len(data.x_train) and changed > len(trained) / 2


def test_the_command_line_prints_the_augmentation(capsys, tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", x=rng.normal(size=(60, 1, 8, 8)).astype(np.float32),
             y=np.arange(60) % 2)
    spec = tmp_path / "s.yaml"
    spec.write_text("input: [1, 8, 8]\nlayers:\n  - flatten\n  - dense: 2\n")
    assert main(["train", str(spec), "--data", str(tmp_path / "d.npz"), "--epochs", "1",
                 "--crop", "2", "--flip", "--rotate", "5", "--scale", "0.05"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[2] == "augmentation: crop 2 (zero padding), flip, rotate ±5°, scale ±5% " \
                     "(training batches only)"
    flat = tmp_path / "flat.yaml"
    flat.write_text("input: [64]\nlayers:\n  - dense: 2\n")
    np.savez(tmp_path / "f.npz", x=np.zeros((10, 64), np.float32), y=np.arange(10) % 2)
    assert main(["train", str(flat), "--data", str(tmp_path / "f.npz"), "--flip"]) == 2
    err = capsys.readouterr().err
    assert "needs an image input (C, H, W)" in err and "loading data" not in err  # said first
    for argv, message in [(["--rotate", "200"], "is not from 0"), (["--scale", "1"], "is not "
                          "from 0"), (["--crop", "-1"], "is not from 0"),
                          (["--validation", "0.95"], "is not from 0")]:
        with pytest.raises(SystemExit) as done:
            main(["train", str(spec), *argv])
        assert done.value.code == 2 and message in capsys.readouterr().err
