"""netspec: declarative network specs, checked symbolically, compiled to PyTorch.

Importing this package never imports torch, onnx or graphviz; the backends do, lazily.
"""
from .analysis import LayerRecord
from .api import Analysis, analyze, compile_model, diagram, emit, explain, load, visualize
from .core.errors import Diagnostic, SpecError
from .graph.network import Network

__version__ = "0.1.0"
__all__ = ["Analysis", "Diagnostic", "LayerRecord", "Network", "SpecError", "analyze",
           "compile_model", "diagram", "emit", "explain", "load", "visualize"]
