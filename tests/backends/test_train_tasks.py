"""`netspec train` beyond classification: segmentation (per-pixel classes, on generated shapes
or a .npz of label maps) and reconstruction (an autoencoder on the digits, MSE or BCE). Each
learns: the loss falls and the test figure beats, by a margin no broken implementation reaches,
what it is without learning (the most frequent class everywhere; the mean training image).
Every task that does not fit the output is a usage error (exit 2) or a located NS505/NS506."""
import re
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
np = pytest.importorskip("numpy")
pytest.importorskip("sklearn")
pytest.importorskip("tqdm")

import netspec  # noqa: E402
from netspec.backends.training.data import load_data  # noqa: E402
from netspec.backends.training.shapes import BRIGHTNESS, draw_shapes  # noqa: E402
from netspec.cli import main  # noqa: E402
from netspec.commands.train import label_positions  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SEGMENTER = """name: segmenter
input: [1, 16, 16]
layers:
  - conv: {filters: 8, kernel: 3, padding: 1, activation: relu}
  - conv: {filters: 8, kernel: 3, padding: 1, activation: relu}
  - conv: {filters: 3, kernel: 1}
"""
SMALL_AUTOENCODER = """name: small_autoencoder
input: [1, 8, 8]
layers:
  - conv: {filters: 16, kernel: 3, stride: 2, padding: 1, activation: relu}
  - conv_transpose: {filters: 1, kernel: 3, stride: 2, padding: 1, output_padding: 1}
"""
FIRST_LAST = re.compile(r"loss (\d+\.\d{4}) in the first epoch, (\d+\.\d{4}) in the last")
NUMBER = r"(\d+\.\d+)"


def spec(tmp_path, text, name="net.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def train(capsys, *argv):
    """Exit code, stdout's lines, stderr."""
    code = main(["train", *argv])
    out, err = capsys.readouterr()
    return code, out.strip().splitlines(), err


def figures(lines, figure):
    """(first epoch's loss, last epoch's, the test figure, the figure without learning)."""
    text = "\n".join(lines)
    first, last = map(float, FIRST_LAST.search(text).groups())
    test = re.fullmatch(rf"test {re.escape(figure)} {NUMBER}%?", lines[-1])
    base = re.search(rf"^without learning \(.*\): test {re.escape(figure)} {NUMBER}%?$", text,
                     re.M)
    assert test and base, text
    return first, last, float(test.group(1)), float(base.group(1))


# -- learning ----------------------------------------------------------------------------------

def test_segmentation_of_generated_shapes_learns(capsys, tmp_path):
    """Three classes (background, rectangles, discs), by default from the (3, 16, 16) output."""
    code, lines, err = train(capsys, spec(tmp_path, SEGMENTER), "--epochs", "5", "--lr", "0.01",
                             "--batch-size", "32")
    assert code == 0, err
    assert "trained on shapes (512 generated images of (1, 16, 16)" in lines[0]
    assert lines[3].startswith("task: segment; loss: cross-entropy;")
    first, last, accuracy, majority = figures(lines, "pixel accuracy")
    assert last < 0.5 * first
    # the background alone is 83% of the pixels; a network that learnt nothing, or whose
    # labels were misplaced, stays there
    assert majority < 85 and accuracy >= 90 and accuracy >= majority + 7


def test_the_conv_autoencoder_reconstructs_the_digits(capsys):
    """specs/conv_autoencoder.yaml ends in a sigmoid: binary cross-entropy on its logits."""
    code, lines, err = train(capsys, str(ROOT / "specs/conv_autoencoder.yaml"), "--epochs", "4",
                             "--batch-size", "64", "--lr", "0.005")
    assert code == 0, err
    assert lines[3].startswith("task: reconstruct; loss: binary cross-entropy on the logits "
                               "before the final sigmoid;")
    first, last, error, mean_image = figures(lines, "reconstruction error (MSE)")
    assert last < 0.8 * first
    assert error <= 0.6 * mean_image  # 0.0197 against 0.0469 when written


def test_a_linear_autoencoder_trains_with_mse(capsys, tmp_path):
    code, lines, err = train(capsys, spec(tmp_path, SMALL_AUTOENCODER), "--epochs", "6",
                             "--lr", "0.01")
    assert code == 0, err
    assert lines[3].startswith("task: reconstruct; loss: mean squared error;")
    first, last, error, mean_image = figures(lines, "reconstruction error (MSE)")
    assert last < 0.5 * first and error <= 0.4 * mean_image


def test_the_spec_chooses_the_task_and_the_flag_overrides_it(capsys, tmp_path):
    """(2, 16, 16) -> (2, 16, 16) reads as reconstruction; `train: {task: segment}` makes it two
    classes per pixel, and --task reconstruct makes it an autoencoder again."""
    text = ("input: [2, 16, 16]\nlayers:\n  - conv: {filters: 2, kernel: 3, padding: 1}\n"
            "train: {task: segment}\n")
    path = spec(tmp_path, text)
    code, lines, err = train(capsys, path, "--epochs", "1")
    assert code == 0, err
    assert lines[3].startswith("task: segment; loss: cross-entropy;")
    code, lines, err = train(capsys, path, "--epochs", "1", "--task", "reconstruct")
    assert code == 0, err
    assert lines[3].startswith("task: reconstruct; loss: mean squared error;")


def test_segmentation_from_a_npz_of_label_maps(capsys, tmp_path):
    """Label maps of the output's size, and of the input's for a valid network (14x14 out of
    16x16), which are taken at the centres of the output's receptive fields."""
    x, masks = draw_shapes((1, 16, 16), 3)
    valid = SEGMENTER.replace("padding: 1, ", "", 1)
    for y, text in ((masks, SEGMENTER), (masks, valid), (masks[:, 1:15, 1:15], valid)):
        np.savez(tmp_path / "maps.npz", x=x[:200], y=y[:200])
        code, lines, err = train(capsys, spec(tmp_path, text), "--data",
                                 str(tmp_path / "maps.npz"), "--epochs", "1")
        assert code == 0, err
        assert lines[3].startswith("task: segment;")
    a = netspec.analyze(valid)
    d = load_data(str(tmp_path / "maps.npz"), a.input_shape, a.output_shape, 0, "segment",
                  label_positions(a))
    assert d.y_train.shape[1:] == (14, 14)


# -- the data ----------------------------------------------------------------------------------

def test_generated_shapes_are_labelled_where_they_are_drawn():
    x, masks = draw_shapes((2, 20, 24), 4)
    assert x.shape == (512, 2, 20, 24) and masks.shape == (512, 20, 24)
    assert np.array_equal(x[:, 0], x[:, 1])  # every channel the same image
    assert set(np.unique(masks)) == {0, 1, 2, 3}
    for kind, brightness in enumerate((0.0, *BRIGHTNESS)):
        assert abs(x[:, 0][masks == kind].mean() - brightness) < 0.02


@pytest.mark.parametrize("layers, size, positions", [
    # same padding: each output position is labelled from itself
    ("  - conv: {filters: 2, kernel: 3, padding: 1}\n", 16, list(range(16))),
    # two valid 3x3 convs trim one position a side each: the centre crop, 2 .. 13
    ("  - conv: {filters: 4, kernel: 3}\n  - conv: {filters: 2, kernel: 3}\n", 12,
     list(range(2, 14))),
    # a 2x2 stride-2 window: output i sees 2i and 2i + 1, whose centre floors to 2i
    ("  - conv: {filters: 2, kernel: 2, stride: 2}\n", 8, list(range(0, 16, 2))),
])
def test_labels_come_from_the_centres_of_the_receptive_fields(layers, size, positions):
    a = netspec.analyze("input: [1, 16, 16]\nlayers:\n" + layers)
    assert a.output_shape[1:] == (size, size)
    assert label_positions(a) == [positions, positions]


# -- mistakes ----------------------------------------------------------------------------------

CLASSIFIER = "input: [1, 8, 8]\nlayers:\n  - flatten\n  - dense: 3\n"


@pytest.mark.parametrize("text, argv, message", [
    (CLASSIFIER, ["--task", "segment"], "--task segment: segment needs a score per class at "
                                        "every position"),
    (CLASSIFIER, ["--task", "reconstruct"], "reconstruct needs an output of the input's shape "
                                            "(1, 8, 8); the output is (3,)"),
    (CLASSIFIER, ["--loss", "bce"], "--loss bce: classify trains with cross_entropy, not bce"),
    (SMALL_AUTOENCODER, ["--loss", "bce"], "bce compares probabilities, but the network does "
                                           "not end in a sigmoid"),
    (SMALL_AUTOENCODER, ["--loss", "cross_entropy"], "reconstruct trains with mse or bce"),
    ("input: [1, 8, 8]\nlayers:\n  - conv: {filters: 1, kernel: 3}\n", [],
     "cannot tell the task from the output (1, 6, 6)"),
    (SEGMENTER.replace("filters: 3, kernel: 1", "filters: 6, kernel: 1"), [],
     "the generated shapes have 4 classes at most"),
])
def test_a_task_that_does_not_fit_is_a_usage_error(capsys, tmp_path, text, argv, message):
    code, _, err = train(capsys, spec(tmp_path, text), *argv)
    assert code == 2 and message in err and "Traceback" not in err, err


def test_label_maps_of_another_size_are_a_usage_error(capsys, tmp_path):
    x, masks = draw_shapes((1, 16, 16), 3)
    np.savez(tmp_path / "maps.npz", x=x[:50], y=masks[:50, :10, :10])
    code, _, err = train(capsys, spec(tmp_path, SEGMENTER), "--data", str(tmp_path / "maps.npz"))
    assert code == 2
    assert "y has shape (50, 10, 10); expected (50, 16, 16), a label map per sample" in err


@pytest.mark.parametrize("setting, code, message", [
    ("{task: segment}", "NS505", "segment needs a score per class at every position"),
    ("{task: reconstruct}", "NS505", "reconstruct needs an output of the input's shape"),
    ("{loss: mse}", "NS506", "classify trains with cross_entropy, not mse"),
])
def test_a_train_setting_that_does_not_fit_is_a_located_error(capsys, tmp_path, setting, code,
                                                              message):
    path = spec(tmp_path, CLASSIFIER + f"train: {setting}\n")
    assert main(["check", path]) == 1
    shown = "".join(capsys.readouterr())
    assert f"{path}:5:" in shown and f"error[{code}]" in shown and message in shown, shown
