"""The explicit registry of layer kinds: the schema, the docs and "did you mean" read it."""
from __future__ import annotations

import re
from collections.abc import Iterable

from .base import Layer

KINDS: dict[str, type[Layer]] = {}


def register(cls: type[Layer]) -> type[Layer]:
    """Class decorator: add a kind, refusing a second kind of the same name."""
    if cls.kind in KINDS:
        raise ValueError(f"layer kind {cls.kind!r} is registered twice")
    KINDS[cls.kind] = cls
    return cls


# What other frameworks call our kinds, so their users get pointed to the right name.
ALIASES = {"linear": "dense", "fc": "dense", "fullyconnected": "dense", "convolution": "conv",
           "maxpooling": "maxpool", "averagepooling": "avgpool", "globalaveragepooling":
           "global_avgpool", "adaptiveavgpool": "global_avgpool", "batchnormalization":
           "batchnorm", "localresponsenorm": "lrn", "norm": "lrn", "leakyrelu": "leaky_relu",
           "logsoftmax": "log_softmax"}


def _normal(word: str) -> str:
    """conv2d, Conv_2D and Conv2D all read as conv; MaxPool2d as maxpool."""
    return re.sub(r"[123]d$", "", re.sub(r"[\s_\-]", "", word.lower()))


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A hint naming the closest choice: typos, other frameworks' names, conv2d for conv."""
    choices = list(choices)
    normal = {_normal(c): c for c in choices}
    key = _normal(word)
    guess = normal.get(key) or (ALIASES.get(key) if ALIASES.get(key) in choices else None)
    if guess is None:
        import difflib  # only on errors: a fresh `netspec check` of a good spec skips it

        close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
        guess = close[0] if close else None
    return f"did you mean '{guess}'?" if guess and guess != word else None
