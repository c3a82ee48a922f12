"""The JSON report: the contract other tools read. Its keys are documented in
docs/report-json.md and never renamed."""
from __future__ import annotations

from ..analysis import CheckedNetwork
from ..graph.network import INPUT
from .summary import CONVENTIONS

# The contract's version: added keys keep it, a renamed, removed or redefined key would raise it.
FORMAT_VERSION = 1


def as_dict(a: CheckedNetwork, batch: int = 1, dtype: str = "float32",
            optimizer: str = "adam") -> dict:
    """The JSON contract: keys are documented in docs/report-json.md and never renamed."""
    m = a.memory(batch, dtype, optimizer)
    saved = a.saved_by_layer(batch, dtype)
    return {
        "format_version": FORMAT_VERSION,
        "name": a.name,
        "input_shape": list(a.input_shape),
        "output_shape": list(a.output_shape),
        "total_params": a.total_params,
        "trainable_params": a.trainable_params,
        "non_trainable_state": a.total_state,
        "total_weights": a.total_weights,
        "total_biases": a.total_biases,
        "total_activations": a.total_activations,
        "total_macs": a.total_macs,
        "total_flops": 2 * a.total_macs,
        "memory": {"batch": batch, "dtype": dtype, "forward_bytes": m.forward,
                   "activation_bytes": m.activations, "param_bytes": m.params,
                   "state_bytes": m.state, "training_bytes": m.training,
                   "optimizer": optimizer, "gradient_bytes": m.gradients,
                   "optimizer_bytes": m.optimizer, "saved_bytes": m.saved,
                   "saved_input_bytes": saved[INPUT], "weight_copy_bytes": m.weight_copies,
                   "inference_bytes": m.inference, "inference_peak_bytes": m.inference_peak},
        "layers": [r.to_dict() | {"saved_bytes": saved[r.name]} for r in a.layers],
        "groups": [g.to_dict() for g in a.groups()],
        "warnings": [w.to_dict() for w in a.warnings],
        "conventions": list(CONVENTIONS),
    }


def invalid(spec: str, diagnostics: list[dict]) -> dict:
    """The JSON report of a spec that is invalid: where each problem is, and its code."""
    return {"format_version": FORMAT_VERSION, "spec": spec, "valid": False,
            "diagnostics": diagnostics}
