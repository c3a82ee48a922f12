"""The example assignment (examples/grading): every submission's score, worked out here by hand
from the rubric's points and the networks' sizes, and the feedback's figures."""
import pytest

from netspec.grading import Grader, expand, grade_batch
from netspec.grading.batch import _Pool
from tests.zoo import ROOT

FOLDER = ROOT / "examples" / "grading"
# The rubric's points: input 1, output 2, parameter budget 3 (proportional), three convs 2,
# narrow dense layers 1, receptive field 3; a submission that does not check scores 1.
FULL, INVALID = 12, 1


def conv(c_in: int, filters: int, k: int) -> int:
    return (k * k * c_in + 1) * filters  # one bias per filter


def dense(n_in: int, n_out: int) -> int:
    return (n_in + 1) * n_out


def budget(params: int) -> float:
    """3 points within 100,000; over it, 3 x 100,000 / params, to the cent."""
    return 3 if params <= 100_000 else round(3 * 100_000 / params, 2)


CAROL = conv(3, 32, 3) + 2 * conv(32, 32, 3) + dense(32 * 4 * 4, 256) + dense(256, 10)
KEN = conv(3, 32, 3) + conv(32, 64, 3) + conv(64, 128, 3) + conv(128, 128, 3) + dense(128, 10)
ROB = conv(3, 16, 3) + 2 * conv(16, 16, 3) + dense(16 * 32 * 32, 10)

# submission -> (score, the criteria it misses)
EXPECTED = {
    "alice.yaml": (FULL, set()),
    "bob.yaml": (FULL, set()),
    "carol.yaml": (FULL - 3 + budget(CAROL), {"parameter budget"}),
    "dave.yaml": (FULL - 2, {"output"}),  # 100 classes
    "erin.yaml": (FULL - 3, {"receptive field"}),  # 11x11 at conv3
    "frank.yaml": (INVALID, None),  # invalid YAML
    "grace.yaml": (INVALID, None),  # an alias bomb
    "heidi.yaml": (FULL - 2, {"three convs"}),  # two convs
    "ivan.yaml": (FULL - 1, {"narrow dense layers"}),  # dense 512
    "judy.yaml": (FULL - 1, {"input"}),  # 1x28x28
    "ken.yaml": (FULL - 3 + budget(KEN), {"parameter budget"}),  # his own expect: ignored
    "leo.yaml": (INVALID, None),  # binary
    "mallory.yaml": (FULL, set()),  # alice's, renamed and reordered
    "mia.yaml": (INVALID, None),  # 90,001 layers
    "nick.yaml": (INVALID, None),  # a kernel larger than its input
    "olivia.yaml": (INVALID, None),  # a misspelt setting
    "peggy.yaml": (FULL, set()),  # warnings only
    "quinn.yaml": (FULL, set()),  # residual
    "rob.yaml": (FULL - 3 + budget(ROB) - 3, {"parameter budget", "receptive field"}),
    "sybil.yaml": (FULL - 2 - 3, {"three convs", "receptive field"}),  # separable convs
    "trent.yaml": (FULL, set()),  # bob's, written out
    "uma.yaml": (INVALID, None),  # a list
    "walter.yaml": (FULL - 2, {"output"}),  # 64x8x8 out
    "xena.yml": (FULL, set()),
    "zed.yaml": (INVALID, None),  # a python tag
}


@pytest.fixture(scope="module")
def batch():
    grader = Grader.load(str(FOLDER / "rubric.yaml"))
    paths, _ = expand([str(FOLDER / "submissions")])
    return grade_batch(grader, paths, jobs=1)


def by_name(batch):
    return {g.path.rsplit("/", 1)[-1]: g for g in batch.grades}


def test_the_folder_holds_the_submissions_and_no_other_file():
    paths, empty = expand([str(FOLDER / "submissions")])
    assert [p.rsplit("/", 1)[-1] for p in paths] == sorted(EXPECTED) and empty == []
    assert (FOLDER / "submissions" / "README.txt").exists()  # in the folder, not graded


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_submission_scores_what_the_rubric_says(batch, name):
    g = by_name(batch)[name]
    score, missed = EXPECTED[name]
    assert g.score == pytest.approx(score) and g.max_score == FULL
    if missed is None:
        assert not g.valid and g.diagnostics and all(d.code for d in g.diagnostics)
    else:
        assert g.valid and {c.name for c in g.missed} == missed


def test_the_worked_figures_appear_in_the_feedback(batch):
    g = by_name(batch)
    assert CAROL == 153_290 and KEN == 242_122 and ROB == 168_938
    (carol,) = g["carol.yaml"].missed
    assert carol.score == 1.96 and carol.feedback.startswith(
        "parameters: 153,290, over the assignment's 100,000 by 53,290: the largest share is "
        f"layer 8 'dense1' (dense 256 +relu) with {dense(512, 256):,} parameters (86%)")
    (erin,) = g["erin.yaml"].missed
    assert erin.feedback == ("receptive field of conv3 is 11x11, the assignment asks for at "
                             "least 15: another 3x3 conv or a pool before conv3 would reach it")
    assert erin.message == "the last conv should see at least 15x15 pixels of the image"
    (dave,) = g["dave.yaml"].missed
    assert dave.feedback.startswith("the network's output is 100 (the last layer, layer 8 "
                                    "'fc2', is dense 100), the assignment asks for 10")


def test_each_invalid_submission_says_why(batch):
    g = by_name(batch)
    assert {name: [d.code for d in g[name].diagnostics] for name in EXPECTED
            if EXPECTED[name][1] is None} == {
        "frank.yaml": ["NS104"], "grace.yaml": ["NS111"], "leo.yaml": ["NS103"],
        "mia.yaml": ["NS714"], "nick.yaml": ["NS401"], "olivia.yaml": ["NS201"],
        "uma.yaml": ["NS106"], "zed.yaml": ["NS117"]}
    assert "at least 90,001" in g["mia.yaml"].diagnostics[0].message
    assert g["olivia.yaml"].diagnostics[0].hint == "did you mean 'filters'?"
    located = g["nick.yaml"].diagnostics[0].location
    assert located.file.endswith("submissions/nick.yaml") and located.line == 9


def test_a_students_own_expect_is_ignored_and_reported(batch):
    """Ken gave himself a budget of 1,000,000 and a wrong parameter count of his own: the check
    fails him on the count, the grader on the rubric's budget only."""
    import netspec
    from netspec.core.errors import SpecError

    with pytest.raises(SpecError) as e:
        netspec.analyze(FOLDER / "submissions" / "ken.yaml")
    assert [d.code for d in e.value.diagnostics] == ["NS503"]
    ken = by_name(batch)["ken.yaml"]
    assert ken.valid and ken.ignored_expect == (6, 13, 16)


def test_the_copies_are_listed_for_the_instructor_and_scored_as_usual(batch):
    names = [[p.rsplit("/", 1)[-1] for p in group] for group in batch.identical]
    assert names == [["alice.yaml", "mallory.yaml"], ["bob.yaml", "trent.yaml"]]


def test_worker_processes_grade_alike_in_the_same_order(batch):
    grader = Grader.load(str(FOLDER / "rubric.yaml"))
    paths = [g.path for g in batch.grades]
    pooled = _Pool(grader, 2).run(paths)
    assert [(g.path, g.score, g.criteria, g.diagnostics, g.diff) for g in pooled] == \
        [(g.path, g.score, g.criteria, g.diagnostics, g.diff) for g in batch.grades]


def test_the_reference_earns_every_point():
    grader = Grader.load(str(FOLDER / "rubric.yaml"))
    g = grader.grade(str(FOLDER / "solution.yaml"))
    assert g.score == FULL and g.diff is not None
    assert {r.mark for r in g.diff.rows} == {"="}
    params = (conv(3, 16, 3) + conv(16, 16, 3) + conv(16, 32, 3) + conv(32, 64, 3)
              + dense(64, 128) + dense(128, 10))
    assert g.network["params"] == params == 35_514
    assert f"{params:,} parameters" in (FOLDER / "solution.yaml").read_text()
