"""Analysing a built network: every layer's shape, counts and warnings (:mod:`.walk`), the
checks of the whole network (:mod:`.checks`), the records that hold the figures (:mod:`.result`)
and the memory model (:mod:`.memory`). Reports and backends read what this stage produces.
"""
from .memory import DTYPES, OPTIMIZERS, Memory, check_memory_settings
from .result import CheckedNetwork, GroupRecord, LayerRecord, scope_path
from .walk import analyze, build_network

__all__ = ["DTYPES", "OPTIMIZERS", "CheckedNetwork", "GroupRecord", "LayerRecord", "Memory",
           "analyze", "build_network", "check_memory_settings", "scope_path"]
