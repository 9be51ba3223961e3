"""Mixed precision: ``torch.autocast`` around forward passes and losses, fp32 weights.

Weights, gradients and optimizer state stay float32 (autocast computes matrix products and
convolutions in the lower precision and keeps reductions, softmax and losses in float32);
float16, whose range underflows small gradients, trains with a gradient scaler.
"""

import contextlib
import functools

import torch

from ._checks import warn_user

PRECISIONS = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def autocast(precision, device):
    """``torch.autocast`` computing in ``precision`` on ``device``; no-op for float32."""
    if precision in (None, "float32"):
        return contextlib.nullcontext()
    return torch.autocast(torch.device(device).type, dtype=PRECISIONS[precision])


def grad_scaler(precision, device):
    """A ``torch.amp.GradScaler`` for float16 training, else ``None``."""
    if precision != "float16":
        return None
    return torch.amp.GradScaler(torch.device(device).type)


def check_precision(precision, device):
    """Warn (once per process and case) when ``precision`` is slower than float32 here."""
    kind = torch.device(device).type
    if precision == "float32" or kind not in ("cpu", "cuda"):
        return
    cost = _slow_reason(precision, kind)
    if cost:
        _warn_once(precision, kind, cost)


def _slow_reason(precision, kind):
    if kind == "cuda":
        if precision == "bfloat16" and not torch.cuda.is_bf16_supported(including_emulation=False):
            return "this GPU has no bfloat16 units: it is emulated, slower than float32"
        return None
    if precision == "bfloat16" and not torch.cpu._is_avx512_bf16_supported():
        return (
            "this CPU has no bfloat16 instructions (AVX512-BF16 / AMX): bfloat16 is emulated, "
            "typically slower than float32"
        )
    if precision == "float16" and not torch.cpu._is_amx_fp16_supported():
        return (
            "this CPU has no AMX-FP16 units: float16 matrix products are converted, typically "
            "slower than float32 (and need a gradient scaler); bfloat16 is the CPU's fast format"
        )
    return None


@functools.cache
def _warn_once(precision, kind, cost):
    warn_user(f"precision={precision!r} on {kind}: {cost}.", UserWarning)
