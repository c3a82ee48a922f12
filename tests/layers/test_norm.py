"""layernorm over the channels (ConvNeXt's LayerNorm2d, and flat features), layer_scale and
stochastic_depth, against torch.nn.functional written from the settings."""
import pytest

torch = pytest.importorskip("torch")
from torch.nn import functional as F  # noqa: E402

from tests.layers.kit import analyze, compiled, run  # noqa: E402


@pytest.mark.parametrize("shape", [(6,), (6, 5), (6, 4, 3), (6, 2, 3, 2)])
@pytest.mark.parametrize("settings", ["", "{eps: 0.001}", "{affine: false}"])
def test_layernorm_normalises_each_position_over_its_channels(shape, settings):
    a, module, x, y = run(shape, f"layernorm: {settings}" if settings else "layernorm")
    affine = "false" not in settings
    assert (a.total_weights, a.total_biases, a.total_state) == ((6, 6, 0) if affine else
                                                                 (0, 0, 0))
    eps = 1e-3 if "0.001" in settings else 1e-5
    m = module.layernorm1
    last = x.movedim(1, -1)  # channels last, as torchvision's LayerNorm2d permutes
    with torch.no_grad():
        w, b = (m.weight, m.bias) if affine else (None, None)
        expected = F.layer_norm(last, (6,), w, b, eps).movedim(-1, 1)
    torch.testing.assert_close(y, expected)


def test_layernorm_keys_are_torchvisions():
    _, module, _ = compiled((6, 4, 4), "layernorm: {name: norm}")
    assert list(module.state_dict()) == ["norm.weight", "norm.bias"]  # as LayerNorm2d's


def test_layer_scale_multiplies_each_channel():
    a, module, x, y = run((5, 3, 3), "layer_scale: {init: 0.5, name: ls}")
    assert a.total_params == 5 and a.layers[0].label == "layer_scale 0.5"
    assert tuple(module.ls.scale.shape) == (5, 1, 1)  # as ConvNeXt's, broadcast over H, W
    torch.testing.assert_close(y, 0.5 * x)
    assert analyze((4,), "layer_scale").layers[0].label == "layer_scale 1e-06"  # the default


@pytest.mark.parametrize("mode", ["row", "batch"])
def test_stochastic_depth_drops_whole_samples_or_the_whole_batch(mode):
    a, module, _ = compiled((3, 4, 4), f"stochastic_depth: {{rate: 0.5, mode: {mode}}}")
    assert a.layers[0].activations == 0 and a.total_params == 0
    x = torch.ones(400, 3, 4, 4)
    assert torch.equal(module(x), x)  # the identity at inference
    module.train()
    torch.manual_seed(0)
    kept = [module(x) for _ in range(20)]
    for y in kept:
        per_sample = y.flatten(1)
        assert set(per_sample.unique().tolist()) <= {0.0, 2.0}  # dropped, or scaled by 1/(1-p)
        assert (per_sample == per_sample[:, :1]).all()  # a sample is dropped whole
        if mode == "batch":
            assert len(y.unique()) == 1
    share = torch.stack([(y.flatten(1)[:, 0] > 0).float().mean() for y in kept]).mean()
    assert abs(share - 0.5) < 0.1


def test_stochastic_depth_in_a_residual_block():
    """EfficientNet's use: the branch is dropped, the shortcut kept."""
    a, module, x, y = run((3, 4, 4), "conv: {filters: 3, kernel: 1, name: c}",
                          "stochastic_depth: {rate: 0.2, name: sd}", "add: [sd, input]")
    assert a.layers[1].label == "stochastic_depth 0.2 row"
    with torch.no_grad():
        torch.testing.assert_close(y, F.conv2d(x, module.c.weight, module.c.bias) + x)
