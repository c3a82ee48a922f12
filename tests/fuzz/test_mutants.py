"""Mutants of every bundled spec, fed to `netspec check`: each ends with exit 0, 1 or 2, no
traceback, in well under a few seconds and in bounded memory (tests/fuzz/mutants.py says how
they are made; `make fuzz` runs many more)."""
import os
import resource
import subprocess
import sys

import pytest

from tests.fuzz.mutants import CORPUS, check, mutants

SEED, COUNT = 14, 400
SECONDS = 3.0  # a check of the largest zoo spec takes about 0.1 s
PEAK = 256 * 2**20  # bytes Python allocates for one check (the largest spec needs ~20 MiB)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mutants")
    found = []
    for i, (source, data) in enumerate(mutants(SEED, COUNT)):
        path = folder / f"{i:04d}-{source}"
        path.write_bytes(data)
        found.append(path)
    return found


def test_the_corpus_is_every_bundled_spec():
    assert len(CORPUS) >= 30 and all(p.suffix == ".yaml" for p in CORPUS)


def test_every_mutant_ends_as_a_user_error_or_a_valid_spec(written):
    runs = {path.name: check(path, traced=i % 20 == 0) for i, path in enumerate(written)}
    bad = {name: r for name, r in runs.items() if r.code not in (0, 1, 2) or r.problem}
    assert not bad, "\n".join(f"{n}: exit {r.code}: {r.problem}" for n, r in bad.items())
    assert max(r.seconds for r in runs.values()) < SECONDS
    assert max(r.peak_bytes for r in runs.values()) < PEAK
    codes = {r.code for r in runs.values()}
    assert codes >= {0, 1}, codes  # mutants both valid and invalid: the mutations bite


def limit_memory() -> None:
    """The child's address space capped at 2 GiB: a hostile spec must fail inside it."""
    resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30))


@pytest.mark.parametrize("index", [0, 3, 8])
def test_mutants_through_the_command_line(written, index):
    """As a user runs it: a process of its own, its memory capped, its time limited."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-m", "netspec", "check", str(written[index])],
                          capture_output=True, text=True, timeout=60, env=env,
                          preexec_fn=limit_memory)
    assert done.returncode in (0, 1, 2), done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
