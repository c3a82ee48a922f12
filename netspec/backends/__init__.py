"""Backends: PyTorch, ONNX and Graphviz; each imports its heavy library inside its functions."""
