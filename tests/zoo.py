"""Every spec that ships: the checker's tests run over all of them, each backend test over
those a backend can build here."""
from pathlib import Path

import netspec

ROOT = Path(__file__).resolve().parents[1]
EVERY_SPEC = sorted(ROOT.glob("specs/*.yaml")) + sorted(ROOT.glob("examples/*.yaml"))
# The notes' fully connected examples (1.6e9 and 1.4e10 parameters, 6 and 54 GiB of weights)
# are there to be checked and reported, not built. U-Net at the paper's 572x572 takes 150
# GMACs per sample, ten VGG-16s: its backends are tested at a smaller input of the same layers
# (tests/layers/test_zoo_kinds.py).
ZOO = [p for p in EVERY_SPEC
       if (a := netspec.analyze(p)).total_params < 10**9 and a.total_macs < 10**11]

# The modern classifiers of 150 to 330 layers take 10-20 s of CPU each to trace for an ONNX
# export; what they are made of (squeeze-and-excitation, SiLU, grouped convs, layer norm, layer
# scale, stochastic depth) is exported on small networks (tests/backends/test_onnx.py's
# KINDS_IN_USE) and in mobilenet_v3_large, the cheapest of them, whose export is tested whole.
EXPORTED_IN_PARTS = {"efficientnet_b1", "convnext_tiny", "regnet_y_400mf"}
EXPORTED = [p for p in ZOO if p.stem not in EXPORTED_IN_PARTS]


def zoo_id(path: Path) -> str:
    return path.stem
