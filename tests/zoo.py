"""Every spec that ships: the checker's tests run over all of them, each backend test over
those a backend can build here."""
from pathlib import Path

import netspec

ROOT = Path(__file__).resolve().parents[1]
EVERY_SPEC = sorted(ROOT.glob("specs/*.yaml")) + sorted(ROOT.glob("examples/*.yaml"))
# The notes' fully connected examples (1.6e9 and 1.4e10 parameters, 6 and 54 GiB of weights)
# are there to be checked and reported, not built.
ZOO = [p for p in EVERY_SPEC if netspec.analyze(p).total_params < 10**9]


def zoo_id(path: Path) -> str:
    return path.stem
