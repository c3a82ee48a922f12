"""The package as users get it: the sdist and the wheel that the build configuration makes (the
wheel built from the sdist, as pip does), the wheel installed alone in a fresh venv without
torch, its dependencies from the package index, once at their newest and once at the floors
pyproject.toml states; and the sdist, unpacked, running its own tests."""
import csv
import io
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow
ZOO = sorted(ROOT.glob("specs/*.yaml")) + sorted(ROOT.glob("examples/*.yaml"))


def sh(*argv, timeout=900, **kw) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in argv], capture_output=True, text=True,
                          timeout=timeout, **kw)
    assert done.returncode == 0, f"{argv}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {**env, **extra}


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    sh(sys.executable, "-m", "build", "--outdir", out, ROOT)
    (wheel,), (sdist,) = out.glob("*.whl"), out.glob("*.tar.gz")
    return wheel, sdist


def test_the_wheel_ships_the_zoo_and_says_what_it_is(dist):
    wheel, _ = dist
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        for path in ZOO:  # the repository's zoo, as package data, byte for byte
            assert z.read(f"netspec/_zoo/{path.parent.name}/{path.name}") == path.read_bytes()
        assert "netspec/py.typed" in names
        meta = z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "License-Expression: MIT" in meta and "Classifier: Typing :: Typed" in meta
    assert "License:" not in meta  # the deprecated table's field
    core = [line for line in meta.splitlines()
            if line.startswith("Requires-Dist:") and "extra ==" not in line]
    assert core and not any("torch" in line for line in core)


def tracked() -> list[str]:
    """The repository's files (git's list, or the tree's when run from an unpacked sdist)."""
    try:
        out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        out = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*") if p.is_file()
               and "__pycache__" not in p.parts and p.name != "PKG-INFO"]
    return [f for f in out if f.split("/")[0] != ".gitignore"]


def test_the_sdist_is_the_repository(dist):
    """Docs, tests, specs, examples, benchmarks and the CI script: everything tracked."""
    _, sdist = dist
    with tarfile.open(sdist) as t:
        names = {n.split("/", 1)[1] for n in t.getnames() if "/" in n}
    missing = [f for f in tracked() if f not in names]
    assert missing == []
    assert not any(n.startswith((".node/", ".venv/")) for n in names)


def floors() -> list[str]:
    """The core dependencies at the lowest versions pyproject.toml allows."""
    text = (ROOT / "pyproject.toml").read_text()
    deps = re.search(r"^dependencies = \[(.*?)\]", text, re.S | re.M).group(1)
    return [f"{m.group(1)}=={m.group(2)}"
            for m in re.finditer(r'"([A-Za-z_.-]+)>=([0-9.]+)', deps)]


@pytest.mark.parametrize("lowest", [False, True], ids=["newest", "floors"])
def test_the_wheel_alone_runs_the_readme(dist, tmp_path, lowest):
    """Installed without torch, outside the repository: the zoo by name, the reports, the
    completion script; at the core dependencies' newest versions and at their floors."""
    wheel, _ = dist
    venv = tmp_path / "venv"
    sh(sys.executable, "-m", "venv", venv)
    pip = [venv / "bin" / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    if lowest:
        (tmp_path / "floors.txt").write_text("\n".join(floors()) + "\n")
        pip += ["-c", tmp_path / "floors.txt", *floors()]
    sh(*pip, wheel, env=clean_env())
    env = clean_env(NETSPEC_CACHE_DIR=str(tmp_path / "cache"), NO_COLOR="1")
    run = [venv / "bin" / "netspec"]
    if lowest:
        versions = sh(venv / "bin" / "python", "-m", "pip", "freeze", env=env).stdout.lower()
        for pin in floors():
            assert pin.lower().replace("_", "-") in versions.replace("_", "-"), pin
    check = sh(*run, "check", "vgg16", cwd=tmp_path, env=env).stdout
    assert "/site-packages/netspec/_zoo/specs/vgg16.yaml: ok: VGG-16" in check
    assert "138,357,544 parameters" in check
    report = sh(*run, "report", "lenet5", cwd=tmp_path, env=env).stdout
    assert report.startswith("LeNet-5: input 1x32x32 -> output 10") and "61,706" in report
    zoo = sh(*run, "zoo", cwd=tmp_path, env=env).stdout.splitlines()
    assert [line.split()[0] for line in zoo] == [p.stem for p in ZOO]
    sh(*run, "report", "resnet18", "-o", "r.csv", cwd=tmp_path, env=env)
    rows = list(csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text())))
    assert sum(int(r["params"]) for r in rows) == 11_689_512
    assert "complete" in sh(*run, "completion", "bash", cwd=tmp_path, env=env).stdout
    sh(*run, "schema", "-o", "netspec.schema.json", cwd=tmp_path, env=env)
    no_torch = subprocess.run([venv / "bin" / "python", "-c", "import torch"],
                              capture_output=True, env=env)
    assert no_torch.returncode != 0


def test_the_sdist_runs_its_own_tests(dist, tmp_path):
    """Unpacked, the sdist's tests of everything that reads its files pass (the docs, the zoo,
    the figures, the reports, the commands, the import contracts), against its own code."""
    _, sdist = dist
    with tarfile.open(sdist) as t:
        t.extractall(tmp_path, filter="data")
    (root,) = tmp_path.iterdir()
    env = clean_env(PYTHONPATH=str(root))
    # A fixed hypothesis seed: this checks what the sdist ships; exploring for new
    # counterexamples is the main suite's job.
    done = sh(sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-m",
              "not slow", "--hypothesis-seed=0", "tests/test_docs.py", "tests/test_zoo.py", "tests/analysis",
              "tests/reading/test_json_schema.py", "tests/reports", "tests/commands",
              "tests/test_architecture.py", cwd=root, env=env, timeout=1800)
    assert " passed" in done.stdout and "failed" not in done.stdout
