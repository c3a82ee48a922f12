"""The 3-D (video) and 1-D (time series) zoo nets train for an epoch on generated data whose
class is readable from the signal, so learning is visible, through the real command."""
import re

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("torch")

import netspec  # noqa: E402
from netspec.cli import main  # noqa: E402


def separable(shape, n=160, seed=0):
    """Two classes (of the nets' ten outputs): noise, plus or minus 1.5 on the first channel.
    Plain to see, so one epoch must learn it."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = rng.normal(0, 1, (n, *shape)).astype(np.float32)
    x[:, 0] += np.where(y == 1, 1.5, -1.5).reshape((n,) + (1,) * (len(shape) - 1))
    return x, y


@pytest.mark.slow
@pytest.mark.parametrize("spec", ["specs/conv3d_video.yaml", "specs/conv1d_timeseries.yaml"])
def test_one_epoch_on_generated_data(spec, tmp_path, capsys):
    shape = netspec.analyze(spec).input_shape
    x, y = separable(shape)
    data = tmp_path / "data.npz"
    np.savez(data, x=x, y=y)
    ckpt = tmp_path / "model.pt"
    assert main(["train", spec, "--data", str(data), "--epochs", "1", "--batch-size", "16",
                 "-o", str(ckpt)]) == 0
    out = capsys.readouterr().out
    last = out.strip().splitlines()[-1]  # the summary's last line is the figure scripts read
    accuracy = float(re.fullmatch(r"test accuracy (\d+(\.\d+)?)%", last).group(1))
    assert accuracy >= 75 and ckpt.exists()  # chance is 50%


def test_generated_data_of_the_wrong_shape_is_refused(tmp_path, capsys):
    x, y = separable((3, 8, 32, 32))
    data = tmp_path / "data.npz"
    np.savez(data, x=x, y=y)
    assert main(["train", "specs/conv3d_video.yaml", "--data", str(data), "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert "data.npz" in err and "(3, 16, 64, 64)" in err and "Traceback" not in err
