"""The design lints (NS6xx): each fires on a spec that makes the mistake, with its message,
location and code, and stays silent on a close spec that does not; none fires on a bundled spec
unless the spec says it expects it; under --strict they are errors."""
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

import netspec
from netspec.core.shapes import Window
from tests.zoo import EVERY_SPEC, zoo_id


def lints(text):
    return [w for w in netspec.analyze(text).warnings if w.code.startswith("NS6")]


def only(text):
    (w,) = lints(text)
    return w


def where(w):
    return (w.location.line, w.location.col)


MNIST = "input: [1, 28, 28]\nlayers:\n"


# NS601: softmax or sigmoid not at the output

def test_a_hidden_softmax_shortcut_is_warned_at_its_activation_key():
    w = only(MNIST + "  - flatten\n  - dense: {units: 64, activation: softmax}\n  - dense: 10\n")
    assert (w.code, where(w), w.layer) == ("NS601", (4, 36), "layer 2 'dense1' (dense)")
    assert w.message == ("softmax on a hidden layer: it is meant for the network's output, and "
                         "the output is layer 3 'dense2'")
    assert w.hint.startswith("use relu (or another hidden activation) here")


def test_a_hidden_sigmoid_layer_is_warned_at_its_line():
    w = only(MNIST + "  - conv: {filters: 4, kernel: 3}\n  - sigmoid\n  - global_avgpool\n"
             "  - dense: 10\n")
    assert (w.code, where(w), w.layer) == ("NS601", (4, 5), "layer 2 'sigmoid1' (sigmoid)")


def test_softmax_at_the_output_stays_silent_even_behind_views():
    assert lints(MNIST + "  - flatten\n  - dense: {units: 10, activation: softmax}\n") == []
    assert lints(MNIST + "  - conv: {filters: 10, kernel: 28}\n  - softmax\n  - flatten\n") == []


def test_a_sigmoid_gate_merged_with_features_stays_silent():
    """Squeeze-and-excitation style: the sigmoid's output is merged (here added; a multiply
    kind would read it the same way), so it weighs features rather than being an output."""
    assert lints("input: [8, 8, 8]\nlayers:\n  - conv: {filters: 8, kernel: 1, name: f}\n"
                 "  - sigmoid: {name: gate}\n  - add: [f, gate]\n") == []


# NS602: two activations in a row

def test_an_activation_after_a_shortcut_activation():
    w = only(MNIST + "  - conv: {filters: 8, kernel: 3, activation: relu}\n  - relu\n")
    assert (w.code, where(w), w.layer) == ("NS602", (4, 5), "layer 2 'relu1' (relu)")
    assert w.message == ("relu right after relu (the `activation: relu` of layer 1 'conv1'): "
                         "two activations in a row, the same one twice")
    assert w.hint == "remove one of them, or the `activation:` of layer 'conv1'"


def test_two_activation_layers_with_a_dropout_between():
    w = only(MNIST + "  - flatten\n  - dense: 32\n  - tanh\n  - dropout: 0.2\n  - relu\n"
             "  - dense: 10\n")
    assert (w.code, where(w)) == ("NS602", (7, 5))
    assert w.message == "relu right after tanh (layer 3 'tanh1'): two activations in a row"


def test_a_view_of_a_split_part_is_followed_to_the_split():
    """The differential fuzzer's spec (seed 121): a stochastic_depth (a view) reading a part
    of a split ended the lints in a KeyError, an internal error, on a valid spec."""
    spec = ("input: [2]\nlayers:\n  - layer_scale: 1.0\n  - split: {name: n1}\n"
            "  - name: g2\n    repeat: 2\n    input: n1.1\n    layers:\n"
            "      - stochastic_depth: {input: n1.0, rate: 0.5}\n      - relu: {}\n")
    assert [w.code for w in lints(spec)] == ["NS606"]
    w = only("input: [4, 6, 6]\nlayers:\n  - relu\n  - split: {parts: 2, name: s}\n"
             "  - dropout: {input: s.0}\n  - relu\n  - concat: [relu2, s.1]\n")
    assert (w.code, where(w)) == ("NS602", (6, 5))
    assert w.message == ("relu right after relu (layer 1 'relu1'): two activations in a row, "
                         "the same one twice")


def test_activations_separated_by_a_learned_layer_stay_silent():
    assert lints(MNIST + "  - conv: {filters: 8, kernel: 3, activation: relu}\n"
                 "  - batchnorm\n  - relu\n  - global_avgpool\n  - dense: 10\n") == []


# NS603: a channels-last input

def test_a_channels_last_input_is_said_at_the_input_line_with_the_shape_to_paste():
    w = only("name: hw\ninput: [32, 32, 3]\nlayers:\n  - conv: {filters: 16, kernel: 3}\n")
    assert (w.code, where(w), w.layer) == ("NS603", (2, 8), None)
    assert w.message == ("the input [32, 32, 3] looks channels-last (height, width, "
                         "channels): netspec reads shapes channels first, so this is 32 "
                         "channels of 32x3")
    assert w.hint == "for a 3-channel 32x32 input write `input: [3, 32, 32]`"
    assert w.details == ("layer 1 'conv1' then reads 32 input channels, and every parameter "
                         "count follows from that",)


def test_a_channels_last_volume_and_grey_image():
    assert only("input: [16, 112, 112, 3]\nlayers:\n  - relu\n").hint == \
        "for a 3-channel 16x112x112 input write `input: [3, 16, 112, 112]`"
    assert only("input: [28, 28, 1]\nlayers:\n  - flatten\n").hint.endswith("[1, 28, 28]`")


@pytest.mark.parametrize("shape", ["[3, 32, 32]", "[64, 56, 56]", "[32, 4, 3]", "[100, 3]"])
def test_channels_first_and_one_dimensional_inputs_stay_silent(shape):
    assert lints(f"input: {shape}\nlayers:\n  - relu\n") == []


# NS604: padding on a 1x1 kernel

def test_a_1x1_conv_that_inherits_padding_names_the_defaults_line():
    w = only("input: [3, 32, 32]\ndefaults:\n  conv: {kernel: 3, padding: 1}\nlayers:\n"
             "  - conv: 16\n  - conv: {filters: 8, kernel: 1}\n")
    assert (w.code, where(w), w.layer) == ("NS604", (6, 5), "layer 2 'conv2' (conv)")
    assert w.message == ("padding 1 on a kernel of 1: each pixel of padding adds a border of "
                         "zeros that the kernel reads alone, so the map grows from 32x32 to "
                         "34x34")
    assert w.details == ("the padding comes from `defaults:` at <string>:3:30, written for the "
                         "other conv layers",)
    assert w.hint == "write `padding: 0` on this layer: a kernel of 1 needs none"


def test_a_1x1_map_grows_to_3x3_with_padding_written_on_the_layer():
    w = only("input: [8, 1, 1]\nlayers:\n  - conv: {filters: 8, kernel: 1, padding: 1}\n")
    assert (w.code, where(w)) == ("NS604", (3, 44))  # at the padding key's value
    assert "grows from 1x1 to 3x3" in w.message and w.details == ()


def test_padding_only_on_the_axes_where_the_kernel_is_1():
    """Inception v3's 1x7 kernel with padding [0, 3] is right; padding 3 on both is not."""
    ok = "input: [8, 17, 17]\nlayers:\n  - conv: {filters: 8, kernel: [1, 7], padding: [0, 3]}\n"
    assert lints(ok) == []
    bad = only(ok.replace("padding: [0, 3]", "padding: 3"))
    assert "grows from 17x17 to 23x17" in bad.message


def test_a_1x1_conv_that_overrides_the_default_padding_stays_silent():
    assert lints("input: [3, 32, 32]\ndefaults:\n  conv: {kernel: 3, padding: 1}\nlayers:\n"
                 "  - conv: 16\n  - conv: {filters: 8, kernel: 1, padding: 0}\n") == []


# NS605: a dense layer holding most of the parameters

def test_a_dense_layer_holding_most_parameters_gets_the_global_pooling_figure():
    w = only(MNIST + "  - conv: {filters: 32, kernel: 3, activation: relu}\n  - flatten\n"
             "  - dense: 128\n  - dense: 10\n")
    # the oracle, by hand: conv (9 + 1) * 32 = 320; dense1 (32*26*26 + 1) * 128 = 2,769,024;
    # dense2 (128 + 1) * 10 = 1,290; with global pooling dense1 is (32 + 1) * 128 = 4,224
    assert (w.code, where(w), w.layer) == ("NS605", (5, 5), "layer 3 'dense1' (dense)")
    assert w.message == ("this layer holds 2,769,024 of the network's 2,770,634 parameters "
                         "(99.9%): it weighs each of the 21,632 values of the 32x26x26 map that "
                         "'flatten1' flattens separately")
    assert w.hint == ("`- global_avgpool` instead of 'flatten1' gives it 32 features, one per "
                      "channel: (32 + 1) * 128 = 4,224, and the network "
                      f"{320 + 4_224 + 1_290:,} parameters")


def test_the_same_head_after_global_pooling_or_more_pooling_stays_silent():
    head = "  - flatten\n  - dense: 128\n  - dense: 10\n"
    conv = MNIST + "  - conv: {filters: 32, kernel: 3, activation: relu}\n"
    assert lints(conv + head.replace("flatten", "global_avgpool")) == []
    assert lints(conv + "  - conv: {filters: 64, kernel: 3, stride: 2}\n  - maxpool: 4\n"
                 + head) == []  # 64*3*3*128 = 73,728 of about 95,000: under nine tenths


def test_a_fully_connected_network_on_the_raw_input_stays_silent():
    assert lints(MNIST + "  - flatten\n  - dense: 512\n  - dense: 10\n") == []


def test_batchnorm_on_dense_features_is_unusual_but_valid():
    assert lints(MNIST + "  - conv: {filters: 8, kernel: 3, stride: 2}\n  - global_avgpool\n"
                 "  - dense: 32\n  - batchnorm\n  - relu\n  - dense: 10\n") == []


# NS606: dropout right before the output

def test_dropout_after_the_last_learned_layer():
    w = only(MNIST + "  - flatten\n  - dense: 10\n  - dropout: 0.5\n  - softmax\n")
    assert (w.code, where(w), w.layer) == ("NS606", (5, 5), "layer 3 'dropout1' (dropout)")
    assert w.message.startswith("dropout after the last layer that learns")


def test_dropout_before_the_last_dense_layer_stays_silent():
    """The lab CNN's own place for it (seed 002)."""
    assert lints(MNIST + "  - flatten\n  - dense: 64\n  - dropout: 0.5\n  - dense: 10\n") == []


# NS607: a pool or stride that discards a large share of its input

def test_a_strided_1x1_conv_reads_a_quarter_of_its_input():
    w = only("input: [8, 28, 28]\nlayers:\n  - conv: {filters: 8, kernel: 1, stride: 2}\n")
    assert (w.code, where(w), w.layer) == ("NS607", (3, 43), "layer 1 'conv1' (conv)")
    assert w.message == ("this layer reads 25% of the 28x28 positions of its input: the rest "
                         "is never read, by it or by any other layer")
    assert w.details == ("height and width: kernel 1, stride 2: 14 of 28 read",)
    assert w.hint == "a kernel at least as long as the stride (2) reads every position"


def test_a_pool_with_a_stride_longer_than_its_kernel():
    w = only("input: [4, 30, 30]\nlayers:\n  - maxpool: {kernel: 2, stride: 3}\n")
    assert w.code == "NS607" and w.details == ("height and width: kernel 2, stride 3: 20 of 30 "
                                               "read",)  # 2 of every 3 rows: 44% of the pixels


def test_a_shortcut_whose_input_the_main_path_reads_stays_silent():
    """ResNet's downsample: a 1x1 stride-2 conv beside a 3x3 stride-2 conv of the same input."""
    assert lints("input: [8, 28, 28]\nlayers:\n  - conv: {filters: 8, kernel: 3, name: x}\n"
                 "  - conv: {filters: 16, kernel: 3, stride: 2, padding: 1, name: main}\n"
                 "  - conv: {filters: 16, kernel: 1, stride: 2, input: x, name: short}\n"
                 "  - add: [main, short]\n") == []


def test_a_stride_no_longer_than_the_kernel_stays_silent():
    assert lints("input: [8, 28, 28]\nlayers:\n  - maxpool: 2\n  - conv: {filters: 8, kernel: "
                 "3, stride: 3, padding: 1}\n") == []

def test_a_channels_last_input_that_breaks_a_later_layer_is_said_at_the_input_too():
    """The input's line gets the warning even though the shapes fail, and the failing pool's
    hint is the input's order (not "a kernel of at most 1")."""
    with pytest.raises(netspec.SpecError) as e:
        netspec.analyze("input: [32, 32, 3]\nlayers:\n  - conv: {filters: 16, kernel: 3}\n"
                        "  - maxpool: 2\n")
    w, err = e.value.diagnostics
    assert (w.code, where(w)) == ("NS603", (1, 8))
    assert (err.code, where(err)) == ("NS401", (4, 14))
    assert err.hint == ("the input [32, 32, 3] looks channels-last (line 1): with `input: "
                        "[3, 32, 32]` this layer's shapes work out")


# NS608: an image without its channel axis; NS609: the batch axis in the input

def test_a_square_2d_input_read_by_a_conv_is_said_to_lack_its_channel_axis():
    w = only("input: [28, 28]\nlayers:\n  - conv: {filters: 8, kernel: 3}\n")
    assert (w.code, where(w)) == ("NS608", (1, 8))
    assert w.hint == "for a grey 28x28 image write `input: [1, 28, 28]` (RGB: `[3, 28, 28]`)"


@pytest.mark.parametrize("text", [
    "input: [28, 28]\nlayers:\n  - flatten\n  - dense: 10\n",  # no window: a table of values
    "input: [64, 100]\nlayers:\n  - conv: {filters: 8, kernel: 3}\n",  # a signal
    "input: [4, 4]\nlayers:\n  - conv: {filters: 8, kernel: 3}\n",
    "input: [1, 32, 32, 32]\nlayers:\n  - conv: {filters: 8, kernel: 3}\n",  # a volume
    "input: [16, 8, 32, 32]\nlayers:\n  - conv: {filters: 8, kernel: 3}\n"])
def test_signals_tables_and_volumes_stay_silent(text):
    assert lints(text) == []


def test_a_batch_of_images_as_the_input_is_said_with_the_shape_to_paste():
    w = only("input: [64, 3, 32, 32]\nlayers:\n  - conv: {filters: 8, kernel: 3}\n")
    assert (w.code, where(w)) == ("NS609", (1, 8))
    assert w.hint == "leave the batch axis out: `input: [3, 32, 32]`"


# all lints

def test_lints_are_errors_under_strict():
    text = MNIST + "  - flatten\n  - dense: 10\n  - dropout: 0.5\n"
    with pytest.raises(netspec.SpecError) as e:
        netspec.analyze(text, strict=True)
    assert [(d.severity, d.code) for d in e.value.diagnostics] == [("error", "NS606")]


def test_a_block_used_three_times_is_warned_about_once():
    text = ("input: [8, 8, 8]\nblocks:\n  b:\n    layers:\n"
            "      - conv: {filters: 8, kernel: 3, padding: 1, activation: relu}\n"
            "      - relu\nlayers: [b, b, b]\n")
    (w,) = lints(text)
    assert (w.code, w.location.line) == ("NS602", 6)


# The examples that show a warning on purpose, and the one they show.
SHOWS_A_WARNING = {"ragged_stride3": "NS402"}


@pytest.mark.parametrize("path", EVERY_SPEC, ids=zoo_id)
def test_every_bundled_spec_passes_strict_its_expected_warnings_allowed(path):
    """A spec that means a design a lint warns about says so with `allow:` at the layer
    (mnist_cnn's dense, stride5's conv), so --strict passes on the whole zoo."""
    if path.stem in SHOWS_A_WARNING:
        assert [w.code for w in netspec.analyze(path).warnings] == [SHOWS_A_WARNING[path.stem]]
        return
    assert netspec.analyze(path, strict=True).warnings == ()


def brute_visited(w):
    real = range(w.pad_lo, w.pad_lo + w.size)
    return len({i * w.stride + j * w.dilation for i in range(w.out) for j in range(w.kernel)}
               & set(real))


@given(st.integers(1, 40), st.integers(1, 7), st.integers(1, 8), st.integers(0, 4),
       st.integers(0, 4), st.integers(1, 4), st.booleans())
def test_window_visited_counts_what_the_taps_read(n, k, s, lo, hi, d, ceil):
    """Window.visited, in closed form and by residues, against listing every tap."""
    w = Window(n, k, s, lo, hi, d, ceil)
    if w.out >= 1:
        assert w.visited == brute_visited(w)


def test_window_visited_on_the_notes_examples():
    assert [Window(*a).visited for a in [(6, 3, 5, 1, 1), (7, 3, 3), (28, 1, 2), (7, 3, 1)]] \
        == [4, 6, 14, 7]  # seed 000's stride 5 reads rows 0, 1, 4, 5 of 6
    assert all(Window(n, 3, 1, 1, 1).visited == n for n in itertools.islice(range(1, 50), 10))
