"""The zoo's torchvision networks against torchvision itself, where it can be imported.

The oracle is torchvision's own model, built with `weights=None` (nothing is downloaded): every
`state_dict` entry of the compiled spec must be torchvision's, with its shape, but for the name
changes listed below (each one a thing the spec language cannot say yet, documented in the
spec's header and docs/zoo.md); and with torchvision's tensors loaded, perturbed so that no
branch is close to the identity (ConvNeXt's layer scale starts at 1e-6), both must compute the
same outputs.

torchvision 0.28.0 is installed beside torch by `make` (pinned with it: it requires that torch).
The build an index gives for Linux is compiled against CUDA torch, whose detection operators
do not load against the CPU-only torch: :mod:`tests.torchvision_import` declares the two that
stop the import, so the models (which use none of them) are torchvision's own. The module
skips only where torchvision is not installed at all.
"""
import re
from collections.abc import Callable

import pytest

from tests.torchvision_import import torchvision_models

pytestmark = pytest.mark.slow
torch = pytest.importorskip("torch")
try:
    models = torchvision_models()
except ImportError as error:
    pytest.skip(f"torchvision is not installed: {error}", allow_module_level=True)

import netspec  # noqa: E402
from netspec.backends.pytorch.module import build_module  # noqa: E402
from tests.zoo import ROOT  # noqa: E402

# torchvision's state_dict key -> the spec's, where the spec language cannot name it as
# torchvision does: ConvNeXt's layer scale is a layer's parameter, not the block's; RegNet's
# block names have a hyphen (block2-0), no name here.
CONVNEXT = [(r"\.layer_scale$", ".layer_scale.scale")]
REGNET = [(r"\.(block\d)-(\d+)\.", r".\1_\2.")]

# spec -> (torchvision's constructor, its renames)
TORCHVISION: dict[str, tuple[Callable, list[tuple[str, str]]]] = {
    "mobilenet_v3_large": (models.mobilenet_v3_large, []),
    "efficientnet_b1": (models.efficientnet_b1, []),
    "convnext_tiny": (models.convnext_tiny, CONVNEXT),
    "regnet_y_400mf": (models.regnet_y_400mf, REGNET),
    "shufflenet_v2_x0_5": (models.shufflenet_v2_x0_5, []),
    "mobilenet_v2": (models.mobilenet_v2, []),
    "resnet18": (models.resnet18, []),
    "resnet50": (models.resnet50, []),
    "googlenet": (lambda weights: models.googlenet(weights=weights, aux_logits=False,
                                                   init_weights=True), []),
}


def renamed(key: str, renames: list[tuple[str, str]]) -> str:
    for pattern, replacement in renames:
        key = re.sub(pattern, replacement, key)
    return key


@pytest.fixture(scope="module", params=sorted(TORCHVISION))
def pair(request):
    """The compiled spec and torchvision's model, with torchvision's tensors, perturbed."""
    name = request.param
    build, renames = TORCHVISION[name]
    torch.manual_seed(0)
    ours = build_module(netspec.analyze(ROOT / "specs" / f"{name}.yaml")).eval()
    theirs = build(weights=None).eval()
    with torch.no_grad():
        for key, tensor in theirs.state_dict().items():
            if key.endswith("running_var") or key.endswith("layer_scale"):
                tensor.uniform_(0.5, 1.5)
            elif tensor.is_floating_point():
                tensor.add_(0.05 * torch.randn_like(tensor))
    return name, ours, theirs, renames


def test_every_state_dict_entry_is_torchvisions(pair):
    name, ours, theirs, renames = pair
    expected = {renamed(k, renames): v.numel() for k, v in theirs.state_dict().items()}
    got = {k: v.numel() for k, v in ours.state_dict().items()}
    assert got == expected
    mine = {k: tuple(v.shape) for k, v in ours.state_dict().items()}
    reshaped = [k for k, v in theirs.state_dict().items()
                if tuple(v.shape) != mine[renamed(k, renames)]]
    # only a linear layer's weight, here a 1x1 conv's: [out, in] against [out, in, 1, 1]
    assert all(mine[renamed(k, renames)] == (*theirs.state_dict()[k].shape, 1, 1)
               for k in reshaped)
    assert bool(reshaped) == (name == "convnext_tiny")


def test_outputs_are_torchvisions_with_its_weights(pair):
    name, ours, theirs, renames = pair
    mine = ours.state_dict()
    ours.load_state_dict({renamed(k, renames): v.reshape(mine[renamed(k, renames)].shape)
                          for k, v in theirs.state_dict().items()})
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        got, expected = ours(x), theirs(x)
    assert got.shape == expected.shape == (2, 1000)
    assert expected.std() > 0.01  # outputs that depend on the input, not a constant
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)
