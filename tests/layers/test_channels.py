"""split (several outputs, read by index) and channel_shuffle against torch's own functions."""
import pytest

torch = pytest.importorskip("torch")

from tests.layers.kit import analyze, errors, run  # noqa: E402


def shuffle_oracle(x, groups):
    """ShuffleNet's channel_shuffle as torchvision writes it."""
    n, c = x.shape[:2]
    return x.view(n, groups, c // groups, *x.shape[2:]).transpose(1, 2).reshape(x.shape)


@pytest.mark.parametrize("parts, sizes", [("2", [3, 3]), ("3", [2, 2, 2]), ("[1, 5]", [1, 5]),
                                          ("[2, 1, 3]", [2, 1, 3])])
def test_each_part_is_read_by_its_index(parts, sizes):
    reads = ", ".join(f"s.{i}" for i in reversed(range(len(sizes))))
    a, module, x, y = run((6, 3, 3), f"split: {{parts: {parts}, name: s}}", f"concat: [{reads}]")
    assert a.layers[0].label == "split " + "+".join(map(str, sizes))
    assert a.layers[0].output_shape == (6, 3, 3) and a.layers[0].activations == 0  # views
    assert {k: v for k, v in a.shapes.items() if k.startswith("s.")} == {
        f"s.{i}": (n, 3, 3) for i, n in enumerate(sizes)}
    torch.testing.assert_close(y, torch.cat(torch.split(x, sizes, dim=1)[::-1], dim=1))
    outputs = module.layer_outputs(x)
    assert torch.equal(outputs["s"], x) and torch.equal(outputs["s.0"], x[:, :sizes[0]])


def test_a_shufflenet_unit_and_its_emitted_source():
    """The docs' stride-1 unit: half the channels pass, half go through branch2."""
    a, module, x, y = run(
        (8, 5, 5), "split: {parts: 2, name: halves}",
        "conv: {filters: 4, kernel: 1, input: halves.1, name: pw}",
        "depthwise_conv: {kernel: 3, padding: 1, name: dw}", "relu: {name: branch}",
        "concat: [halves.0, branch]", "channel_shuffle: 2")
    with torch.no_grad():
        left, right = x.chunk(2, dim=1)
        b = torch.conv2d(right, module.pw.weight, module.pw.bias)
        b = torch.relu(torch.conv2d(b, module.dw.weight, module.dw.bias, padding=1, groups=4))
        torch.testing.assert_close(y, shuffle_oracle(torch.cat([left, b], 1), 2))
    from netspec.backends.pytorch.emit import emit_source

    assert "        halves_0, halves_1 = self.halves(x)\n" in emit_source(a)


@pytest.mark.parametrize("groups", [1, 2, 3, 6])
@pytest.mark.parametrize("shape", [(6, 2), (6, 3, 4), (6, 2, 2, 2)])
def test_channel_shuffle_interleaves_the_groups(groups, shape):
    a, _, x, y = run(shape, f"channel_shuffle: {groups}")
    assert a.layers[0].label == f"shuffle {groups}" and a.total_params == 0
    assert torch.equal(y, shuffle_oracle(x, groups))




def test_parts_are_named_inside_blocks_and_read_from_nested_groups():
    import netspec

    a = netspec.analyze("""input: [4, 2, 2]
blocks:
  unit:
    layers:
      - split: {parts: [1, 3], name: s}
      - name: branch
        layers:
          - relu: {input: s.1}
          - conv: {filters: 3, kernel: 1}
      - concat: [s.0, branch]
layers: [unit, unit]
""")
    layers = {r.name: r for r in a.layers}
    assert layers["unit2.branch.0"].inputs == ("unit2.s.1",)
    assert layers["unit2.concat1"].inputs == ("unit2.s.0", "unit2.branch.1")
    assert a.shapes["unit1.s.1"] == (3, 2, 2) and not a.warnings


def test_reading_a_split_whole_is_an_error():
    (e,) = errors((4, 4, 4), "split: {parts: 2, name: halves}", "relu")
    assert e.code == "NS317" and e.location.line == 4
    assert e.message == "'halves' is a split: its output is its parts (halves.0, halves.1), not " \
                        "one tensor"
    assert e.hint == "read one part, e.g. `input: halves.0`"
    (e,) = errors((4, 4, 4), "split: {parts: 4, name: s}", "relu: {input: s.1}",
                  "add: [s, relu1]")
    assert e.code == "NS317" and "(s.0, s.1, s.2, ...)" in e.message


def test_a_split_cannot_be_the_output():
    (e,) = errors((4, 4, 4), "relu", "split: 2")
    assert e.code == "NS317" and e.location.line == 4
    assert e.message == "the network's output is its last layer, which cannot be a split"


@pytest.mark.parametrize("ref", ["s.2", "s.01", "s.x"])
def test_a_part_that_does_not_exist(ref):
    (e,) = errors((4, 4, 4), "split: {parts: 2, name: s}", f"relu: {{input: {ref}}}",
                  "concat: [s.0, relu1]")
    assert e.code == "NS313" and e.message == f"input '{ref}' is not the name of any layer"
    assert e.hint == "'s' is a split of 2 parts: s.0 to s.1"


def test_an_unread_part_leaves_its_split_read():
    a = analyze((4, 4, 4), "split: {parts: 2, name: s}", "relu: {input: s.1}")
    assert not a.warnings  # s.0 is left alone, which is no mistake: the split is read


@pytest.mark.parametrize("layer, message", [
    ("split: 3", "4 channels do not split into 3 equal parts: 4 / 3 = 1.33"),
    ("split: [1, 2]", "the parts' sizes add up to 1 + 2 = 3, but the input has 4 channels"),
])
def test_split_sizes_must_fit_the_channels(layer, message):
    (e,) = errors((4, 4, 4), f"{layer}", "relu: {input: split1.0}", "concat: [split1.1, relu1]")
    assert e.code == "NS412" and e.message == message


def test_shuffle_groups_must_divide_the_channels():
    (e,) = errors((6, 4, 4), "channel_shuffle: 4")
    assert e.code == "NS413" and e.message == "groups=4 does not divide the 6 channels " \
                                              "(6 / 4 = 1.50)"
    (e,) = errors((6,), "channel_shuffle: 2")
    assert e.code == "NS403" and "PyTorch's ChannelShuffle refuses flat features" in e.hint


def test_parts_are_bounded():
    (e,) = errors((4, 4, 4), "split: 5000")
    assert e.code == "NS203" and "1,024" in e.message
