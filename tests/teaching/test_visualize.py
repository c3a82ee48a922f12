"""`netspec visualize` on LeNet-5 trained here on the digits: the PNGs exist with the grid sizes
the layers imply (C1 6@28x28, C3 16@10x10, six 5x5 filters: seeds 001-004), their tiles are the
weights and feature maps, the heatmap has the input's size, and Grad-CAM equals a second
computation of the same formula with hooks written here."""
import math

import pytest

torch = pytest.importorskip("torch")
PIL = pytest.importorskip("PIL")
import numpy as np  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from PIL import Image  # noqa: E402

import netspec  # noqa: E402
from netspec.cli import main  # noqa: E402

pytestmark = pytest.mark.slow
LENET = "specs/lenet5.yaml"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A LeNet-5 checkpoint (2 epochs on the default digits) and a digit image, 64x64."""
    from sklearn.datasets import load_digits

    root = tmp_path_factory.mktemp("visualize")
    ckpt = root / "lenet.pt"
    assert main(["train", LENET, "--epochs", "2", "-o", str(ckpt)]) == 0
    digits = load_digits()
    image = root / "three.png"
    Image.fromarray(np.uint8(digits.images[3] / 16 * 255)).resize((64, 64)).save(image)
    return ckpt, image, root


@pytest.fixture(scope="module")
def pictures(trained):
    ckpt, image, root = trained
    return netspec.visualize(LENET, ckpt, image, root / "out")


def grid_size(n, h, w):
    """The documented layout: ceil(sqrt(n)) columns, tiles enlarged by a whole factor to at
    least 32 pixels, 1 pixel between and around them. (height, width)"""
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    k = max(1, math.ceil(32 / max(h, w)))
    return rows * (h * k + 1) + 1, cols * (w * k + 1) + 1


def png(path):
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"))


def test_the_files_and_their_grid_sizes(pictures, trained):
    out = trained[2] / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        "features_c1.png", "features_c3.png", "filters_c1.png", "gradcam.png"]
    assert png(out / "filters_c1.png").shape[:2] == grid_size(6, 5, 5)  # 2x3 grid of 5x5
    assert png(out / "features_c1.png").shape[:2] == grid_size(6, 28, 28)
    assert png(out / "features_c3.png").shape[:2] == grid_size(16, 10, 10)  # a 4x4 grid
    assert png(out / "gradcam.png").shape[:2] == (32, 32)  # the input's size
    assert [p.grid for p in pictures.pictures] == [(2, 3), (2, 3), (4, 4)]


def scaled(a):
    return np.round(255 * (a - a.min()) / (a.max() - a.min()))


def test_the_tiles_are_the_weights_and_the_feature_maps(pictures, trained):
    ckpt, image, root = trained
    weights = torch.load(ckpt, weights_only=True)["c1.weight"][:, 0].numpy()  # (6, 5, 5)
    filters = png(root / "out" / "filters_c1.png")
    k = 7  # ceil(32 / 5)
    first = filters[1:1 + 5 * k:k, 1:1 + 5 * k:k, 0]  # one pixel per kernel tap
    assert np.array_equal(first, scaled(weights[0]))
    second_row = filters[1 + 5 * k + 1::k, 1:1 + 5 * k:k, 0][:5]  # filter 3: row 2, column 1
    assert np.array_equal(second_row, scaled(weights[3]))


def independent_grad_cam(ckpt, image):
    """Grad-CAM written again: the model compiled and loaded by hand, the image read as the
    docs say, c3's output (after its relu: module c3_relu) and its gradient caught by hooks."""
    model = netspec.compile_model(LENET)
    model.load_state_dict(torch.load(ckpt, weights_only=True))
    model.eval()
    with Image.open(image) as img:
        pixels = np.asarray(img.convert("L").resize((32, 32), Image.Resampling.BILINEAR),
                            dtype=np.float32) / 255
    x = torch.as_tensor(pixels)[None, None]
    x = (x - x.mean()) / x.std()
    caught = {}

    def forward_hook(module, args, output):
        caught["A"] = output
        output.register_hook(lambda grad: caught.update(dA=grad))

    hook = model.get_submodule("c3_relu").register_forward_hook(forward_hook)
    scores = model(x)[0]  # LeNet ends in a dense layer: these are the scores
    top = int(scores.argmax())
    scores[top].backward()
    hook.remove()
    alpha = caught["dA"].mean(dim=(2, 3), keepdim=True)
    cam = torch.relu((alpha * caught["A"]).sum(dim=1, keepdim=True))
    cam = F.interpolate(cam, size=(32, 32), mode="bilinear", align_corners=False)[0, 0]
    return top, (cam / cam.max()).detach().numpy()


def test_grad_cam_matches_a_second_computation(pictures, trained):
    ckpt, image, _ = trained
    top, cam = independent_grad_cam(ckpt, image)
    assert pictures.top_class == top and pictures.target == "c3"
    assert pictures.cam.shape == (32, 32) and pictures.cam.max() == pytest.approx(1.0)
    assert np.allclose(pictures.cam, cam, atol=1e-5)


def test_the_heatmap_is_drawn_over_the_image(pictures, trained):
    heat = png(pictures.heatmap).astype(int)
    hottest = np.unravel_index(pictures.cam.argmax(), pictures.cam.shape)
    coldest = np.unravel_index(pictures.cam.argmin(), pictures.cam.shape)
    assert heat[hottest][0] > heat[hottest][2]  # red where the class's evidence is
    assert heat[coldest][2] >= heat[coldest][0]  # blue where there is none


def test_the_command_and_the_notebook_view(trained, capsys):
    ckpt, image, root = trained
    out = root / "cli"
    assert main(["visualize", LENET, "--weights", str(ckpt), "--image", str(image),
                 "-o", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{out}/filters_c1.png: 6 filters of 'c1' (5x5), a 2x3 grid"
    assert lines[-1].startswith(f"{out}/gradcam.png: Grad-CAM of class ")
    html = netspec.visualize(LENET, ckpt, image, out)._repr_html_()
    assert html.count("<img") == 4 and html.count("data:image/png;base64,") == 4


@pytest.mark.parametrize("change, message", [
    (lambda c, i, r: ["specs/mnist_cnn.yaml", "--weights", str(c), "--image", str(i)],
     "does not fit this spec"),
    (lambda c, i, r: [LENET, "--weights", str(c), "--image", str(r / "none.png")],
     "--image " + "{root}/none.png: no such file"),
    (lambda c, i, r: [LENET, "--weights", str(i), "--image", str(i)],
     "not a PyTorch checkpoint"),
])
def test_usage_errors(trained, capsys, change, message):
    ckpt, image, root = trained
    assert main(["visualize", *change(ckpt, image, root), "-o", str(root / "bad")]) == 2
    assert message.format(root=root) in capsys.readouterr().err


def test_a_spec_without_conv_layers_is_a_usage_error(trained, tmp_path, capsys):
    ckpt, image, _ = trained
    spec = tmp_path / "mlp.yaml"
    spec.write_text("input: [1, 8, 8]\nlayers:\n  - flatten\n  - dense: 10\n")
    assert main(["visualize", str(spec), "--weights", str(ckpt), "--image", str(image),
                 "-o", str(tmp_path / "out")]) == 2
    assert "visualize needs an image input (1, H, W) or (3, H, W) and a conv layer" in \
        capsys.readouterr().err
