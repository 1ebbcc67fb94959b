"""autograd_lite: reverse-mode automatic differentiation on NumPy, define-by-run, PyTorch-flavoured.

    import autograd_lite as al
    x = al.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    x.grad            # tensor([2., 4., 6.])

Where things live: `tensor.py` (the Tensor and its methods), `ops.py` (every derivative rule),
`engine.py` (recording and the backward pass), `functions.py` (module-level ops), `creation.py`
(making tensors), `functional.py` (grad, jacobian, hessian), `gradcheck.py`, `grad_mode.py`, `anomaly.py`.
"""

from __future__ import annotations

from .allocator import keep_freed_memory
from .anomaly import AnomalyError, detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .creation import (
    arange,
    bool_,
    default_generator,
    double,
    empty,
    eye,
    float,
    float16,
    float32,
    float64,
    from_numpy,
    full,
    full_like,
    half,
    int32,
    int64,
    linspace,
    long,
    manual_seed,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    randperm,
    tensor,
    uint8,
    zeros,
    zeros_like,
)
from .engine import Node, Primitive
from .errors import DTypeError, ShapeError
from .functional import grad, hessian, hvp, jacobian, vjp
from .functions import (
    abs,
    adaptive_avg_pool2d,
    add,
    allclose,
    amax,
    amin,
    argmax,
    argmin,
    as_tensor,
    avg_pool2d,
    binary_cross_entropy,
    broadcast_to,
    cat,
    chunk,
    clamp,
    clip,
    concat,
    concatenate,
    conv1d,
    conv2d,
    cos,
    div,
    elu,
    eq,
    erf,
    exp,
    flatten,
    fused_lstm_cell,
    gather,
    ge,
    gt,
    isfinite,
    isnan,
    le,
    leaky_relu,
    linear,
    log,
    log_softmax,
    logsumexp,
    lt,
    matmul,
    max,
    max_pool2d,
    maximum,
    mean,
    min,
    minimum,
    mm,
    mul,
    ne,
    neg,
    nll_loss,
    pad,
    permute,
    pow,
    relu,
    reshape,
    sigmoid,
    sign,
    sin,
    softmax,
    softplus,
    split,
    sqrt,
    squeeze,
    stack,
    std,
    sub,
    sum,
    tanh,
    transpose,
    unsqueeze,
    var,
    where,
)
from .grad_mode import current_scope, enable_grad, is_grad_enabled, no_grad, scope, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .tensor import Tensor

__version__ = "0.1.0"

__all__ = [name for name in dir() if not name.startswith("_") and name not in ("annotations",)]
