"""Which activations run in place (netspec.analysis.inplace), case by case, without torch: the
backends' tests (tests/backends/test_in_place.py) run these networks both ways in PyTorch."""
from __future__ import annotations

import pytest

import netspec

CASES = {  # layers of a [3, 6, 6] input -> the layers that run in place
    "after a conv": ("[{conv: {filters: 4, kernel: 1}}, relu]", {"relu1"}),
    "a conv's shortcut": ("[{conv: {filters: 4, kernel: 1, activation: relu}}]", {"conv1"}),
    "a dense's leaky shortcut": ("[flatten, {dense: {units: 5, activation: leaky_relu}}]",
                                 {"dense1"}),
    "after batchnorm and after add": ("[{conv: {filters: 3, kernel: 1}}, batchnorm, relu, "
                                      "{add: [relu1, input]}, relu]", {"relu1", "relu2"}),
    "the network's input": ("[relu, {conv: {filters: 4, kernel: 1}}]", set()),
    # the conv's output is read again by the add: the relu must leave it as it is
    "its input read twice": ("[{conv: {filters: 3, kernel: 1, name: a}}, relu, {add: [relu1, a]}]",
                             set()),
    # the relu's own output is read twice: that is no reason against overwriting its input
    "its output read twice": ("[{conv: {filters: 3, kernel: 1}}, relu, "
                              "{conv: {filters: 3, kernel: 1}}, {add: [relu1, conv2]}]", {"relu1"}),
    "after a sigmoid, which keeps its output": ("[{conv: {filters: 4, kernel: 1}}, sigmoid, relu]",
                                                set()),
    "after a relu, which keeps its output": ("[{conv: {filters: 4, kernel: 1}}, relu, relu]",
                                             {"relu1"}),
    # in place, the leaky relu keeps its result: the relu after it must not overwrite that
    "after a leaky relu in place": ("[{conv: {filters: 4, kernel: 1}}, leaky_relu, relu]",
                                    {"leaky_relu1"}),
    "after a leaky relu out of place": ("[leaky_relu, relu]", {"relu1"}),
    "after a view": ("[{conv: {filters: 4, kernel: 1}}, flatten, relu]", set()),
    "a split's part": ("[{conv: {filters: 4, kernel: 1}}, {split: 2}, {relu: {input: split1.0}}, "
                       "{concat: [relu1, split1.1]}]", set()),
    "kinds that would keep a copy": ("[{conv: {filters: 4, kernel: 1, activation: relu6}}, "
                                     "batchnorm, silu, {conv: {filters: 4, kernel: 1}}, elu]",
                                     set()),
    "a gelu shortcut": ("[{conv: {filters: 4, kernel: 1, activation: gelu}}]", set()),
}


def network(layers: str) -> netspec.Analysis:
    return netspec.analyze(f"input: [3, 6, 6]\nlayers: {layers}\n")


@pytest.mark.parametrize("layers, expected", CASES.values(), ids=CASES.keys())
def test_which_activations_run_in_place(layers: str, expected: set[str]) -> None:
    assert network(layers).in_place == expected


def test_an_activation_in_place_keeps_and_allocates_nothing_more() -> None:
    """The memory model reads the rule: the relu in place is its input's storage, so training
    keeps the conv's output once (the relu's result) besides the input the conv keeps, and
    inference never holds two tensors of the conv's size."""
    a = network("[{conv: {filters: 4, kernel: 1}}, relu]")
    m = a.memory(batch=1)
    assert [k.owner for k in a.kept()] == ["input", "conv1"]
    assert m.inference_peak == (3 + 4) * 36 * 4  # the input and the conv's output
