"""Untrusted submissions in a batch: every hostile or broken file is graded invalid with a clear
reason, quickly, and never stops the batch or changes another's grade; one over the time cap is
stopped, in this process and in a worker; a worker that dies takes only its own submission."""
import os
import time

import pytest

from netspec.grading import Grader, expand, grade_all
from netspec.grading.batch import _Pool, grade_here
from netspec.grading.rubric import parse_rubric
from netspec.reading.source import load_text

RUBRIC = "limits: {{bytes: 4096, layers: {layers}, seconds: {seconds}}}\ncriteria:\n" \
         "  - output_shape: [10]\n    points: 2\ninvalid: 0.5\n"
GOOD = "input: [1, 8, 8]\nlayers:\n  - flatten\n  - dense: 10\n"
BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))
# 90,000 layers through repeats: under a cap of 100,000 it is built, which takes seconds
SLOW = "input: [1, 8, 8]\nlayers:\n  - repeat: 9000\n    layers: [relu, relu, relu, relu, " \
       "relu, relu, relu, relu, relu, relu]\n"


def grader(layers: int = 2000, seconds: float = 5) -> Grader:
    return Grader.of(parse_rubric(load_text(RUBRIC.format(layers=layers, seconds=seconds),
                                            "rubric.yaml")))


def hostile_folder(root) -> dict[str, str]:
    """Each file and the code its grade must carry."""
    sub = root / "subs"
    sub.mkdir()
    files = {
        "a_good.yaml": (GOOD, None),
        "bomb.yaml": (BOMB, "NS111"),
        "binary.yaml": (b"\x00\x01\x02ELF", "NS103"),
        "broken.yaml": ("input: [1, 8\nlayers: [relu]\n", "NS104"),
        "empty.yaml": ("", "NS105"),
        "huge.yaml": ("input: [1, 8, 8]\nlayers:\n" + "  - relu\n" * 90_000, "NS713"),
        "many.yaml": (SLOW, "NS714"),
        "not_utf8.yaml": (b"name: caf\xe9\n", "NS103"),
        "python.yaml": ("input: !!python/object/apply:os.system [ls]\nlayers: [relu]\n", "NS117"),
        "z_good.yml": (GOOD.replace("10", "9"), None),
    }
    for name, (content, _) in files.items():
        data = content.encode() if isinstance(content, str) else content
        (sub / name).write_bytes(data)
    os.mkfifo(sub / "pipe.yaml")  # reading it would block for ever
    os.symlink("/etc/hostname", sub / "link.yaml")
    (sub / "folder.yaml").mkdir()  # a folder named like a spec holds one
    (sub / "folder.yaml" / "inner.yaml").write_text(GOOD)
    (sub / "notes.txt").write_text("not a spec")
    codes = {name: code for name, (_, code) in files.items()}
    return codes | {"pipe.yaml": "NS101", "link.yaml": "NS101", "folder.yaml/inner.yaml": None}


@pytest.mark.parametrize("pooled", [False, True])
def test_hostile_files_are_graded_invalid_and_the_rest_as_usual(tmp_path, pooled):
    codes = hostile_folder(tmp_path)
    os.chdir(tmp_path)
    paths, empty = expand(["subs"])
    assert paths == sorted(f"subs/{name}" for name in codes) and empty == []
    g = grader()
    start = time.perf_counter()
    grades = _Pool(g, 2).run(paths) if pooled else [grade_here(g, p) for p in paths]
    assert time.perf_counter() - start < 4  # quickly: nothing waits for a time cap
    assert [x.path for x in grades] == paths  # the order of the files
    for x in grades:
        code = codes[x.path[len("subs/"):]]
        if code is None:
            assert x.valid and x.score == (2 if "9" not in open(x.path).read() else 0), x.path
        else:
            assert not x.valid and x.score == 0.5, x.path
            assert [d.code for d in x.diagnostics] == [code], (x.path, x.diagnostics)
    messages = {x.path: x.diagnostics[0].message for x in grades if not x.valid}
    assert messages["subs/pipe.yaml"] == "subs/pipe.yaml is not a regular file; a submission " \
                                         "is a spec file"
    assert messages["subs/link.yaml"].endswith("is a symbolic link; a submission is a spec file")
    assert messages["subs/huge.yaml"].startswith(  # 25 bytes of header, 9 a layer
        "subs/huge.yaml is 810,025 bytes; this assignment accepts at most 4,096")
    assert "(at least 90,000)" in messages["subs/many.yaml"]  # 9,000 x 10, before a build


@pytest.mark.parametrize("pooled", [False, True])
def test_a_submission_over_the_time_cap_is_stopped(tmp_path, pooled):
    (tmp_path / "slow.yaml").write_text(SLOW)
    (tmp_path / "good.yaml").write_text(GOOD)
    g = grader(layers=100_000, seconds=0.3)
    paths = [str(tmp_path / "slow.yaml"), str(tmp_path / "good.yaml")] * 2
    start = time.perf_counter()
    grades = _Pool(g, 2).run(paths) if pooled else [grade_here(g, p) for p in paths]
    assert time.perf_counter() - start < 6
    assert [x.path for x in grades] == paths
    slow, good = grades[:2]
    assert not slow.valid and [d.code for d in slow.diagnostics] == ["NS715"]
    assert slow.diagnostics[0].message == (f"grading {paths[0]} took longer than this "
                                           "assignment's 0.3 s, and was stopped")
    assert good.valid and [x.score for x in grades] == [0.5, 2, 0.5, 2]
    assert [d.code for d in grades[2].diagnostics] == ["NS715"]


def test_a_worker_that_dies_takes_only_its_own_submission(tmp_path, monkeypatch):
    (tmp_path / "good.yaml").write_text(GOOD)
    (tmp_path / "fatal.yaml").write_text(GOOD)
    g = grader()
    real = Grader.grade

    def grade(self, path):
        if path.endswith("fatal.yaml"):
            os._exit(9)  # as the kernel's out-of-memory killer would end it
        return real(self, path)

    monkeypatch.setattr(Grader, "grade", grade)  # forked workers inherit it
    paths = [str(tmp_path / n) for n in ("good.yaml", "fatal.yaml", "good.yaml", "good.yaml")]
    grades = _Pool(g, 2).run(paths)
    assert [x.score for x in grades] == [2, 0.5, 2, 2]
    (died,) = grades[1].diagnostics
    assert died.code == "NS716" and "died (exit code 9)" in died.message


def test_a_bug_on_one_file_is_graded_invalid_and_the_batch_goes_on(tmp_path, monkeypatch):
    from netspec.grading import grader as module

    (tmp_path / "good.yaml").write_text(GOOD)
    (tmp_path / "odd.yaml").write_text(GOOD)
    real = module.evaluate

    def evaluate(rubric, net):
        if net.network.file.endswith("odd.yaml"):
            raise ZeroDivisionError("division by zero")
        return real(rubric, net)

    monkeypatch.setattr(module, "evaluate", evaluate)
    grades = grade_all(grader(), [str(tmp_path / "odd.yaml"), str(tmp_path / "good.yaml")], 1)
    assert [x.score for x in grades] == [0.5, 2]
    assert grades[0].diagnostics[0].message.startswith(
        "netspec failed on this file (ZeroDivisionError: division by zero)")


def test_folders_expand_to_their_specs_once_and_files_stay_as_given(tmp_path):
    os.chdir(tmp_path)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "deep").mkdir()
    for name in ("b/x.yaml", "b/deep/y.YML", "a.yaml"):
        (tmp_path / name).write_text(GOOD)
    (tmp_path / "empty").mkdir()
    os.symlink("b", "latest")  # the instructor's own link to a folder is followed
    os.symlink("../b", "b/deep/loop")  # a student's link inside a folder is not
    paths, empty = expand(["b", "a.yaml", "b/x.yaml", "missing.yaml", "empty", "latest"])
    assert paths == ["b/deep/y.YML", "b/x.yaml", "a.yaml", "missing.yaml",
                     "latest/deep/y.YML", "latest/x.yaml"]
    assert empty == ["empty"]
