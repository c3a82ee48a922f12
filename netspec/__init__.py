"""netspec: declarative network specs, checked symbolically, compiled to PyTorch.

Importing this package never imports torch, onnx or graphviz; the backends do, lazily.
"""
from .analysis import Analysis, LayerRecord
from .api import analyze, compile_model, diagram, emit, load
from .errors import Diagnostic, SpecError
from .graph import Network

__version__ = "0.1.0"
__all__ = ["Analysis", "Diagnostic", "LayerRecord", "Network", "SpecError", "analyze",
           "compile_model", "diagram", "emit", "load"]
