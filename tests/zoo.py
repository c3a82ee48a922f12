"""Every spec that ships: each backend test runs over all of them."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ZOO = sorted(ROOT.glob("specs/*.yaml")) + sorted(ROOT.glob("examples/*.yaml"))

def zoo_id(path: Path) -> str:
    return path.stem
