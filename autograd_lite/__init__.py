"""autograd_lite: reverse-mode automatic differentiation on NumPy, define-by-run, PyTorch-flavoured.

    import autograd_lite as al
    x = al.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    x.grad            # tensor([2., 4., 6.])

Where things live: `engine.py` (the core: recording and the backward pass), `tensor.py` (the Tensor and
its methods), `ops.py` (every derivative rule) and `forwards.py`; beside the core, `inplace.py`,
`promotion.py`, `sparse_grad.py`, `fused_backward.py`, `anomaly.py`; on top, `functions.py`, `convolution.py`,
`creation.py`, `functional.py` (grad, jacobian, hessian), `gradcheck.py`, `viz.py`. docs/READING.md is the
reading path from `x * w` to `x.grad`.
"""

from __future__ import annotations

import numpy as _np

from .allocator import keep_freed_memory
from .anomaly import AnomalyError, detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .convolution import (
    adaptive_avg_pool2d,
    avg_pool2d,
    conv1d,
    conv2d,
    conv_transpose1d,
    conv_transpose2d,
    max_pool2d,
)
from .creation import (
    arange,
    bernoulli,
    bool_,
    double,
    empty,
    empty_like,
    eye,
    float,
    float16,
    float32,
    float64,
    from_numpy,
    full,
    full_like,
    get_default_dtype,
    half,
    int32,
    int64,
    linspace,
    long,
    multinomial,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    set_default_dtype,
    tensor,
    uint8,
    zeros,
    zeros_like,
)
from .devices import accelerator, backends, cuda, device, get_default_device, set_default_device
from .engine import Node, Primitive
from .errors import DTypeError, ShapeError
from .functional import grad, hessian, hvp, jacobian, vjp
from .functions import (
    abs,
    add,
    addmm,
    all,
    allclose,
    amax,
    amin,
    any,
    argmax,
    argmin,
    argsort,
    as_tensor,
    binary_cross_entropy,
    bmm,
    broadcast_to,
    cat,
    ceil,
    chunk,
    clamp,
    clip,
    clone,
    concat,
    concatenate,
    cos,
    cumsum,
    div,
    dot,
    einsum,
    elu,
    eq,
    equal,
    erf,
    exp,
    expm1,
    flatten,
    flip,
    floor,
    fused_lstm_cell,
    gather,
    ge,
    gt,
    index_select,
    is_floating_point,
    is_tensor,
    isclose,
    isfinite,
    isinf,
    isnan,
    le,
    leaky_relu,
    lerp,
    linear,
    log,
    log1p,
    log_softmax,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    logsumexp,
    lt,
    masked_fill,
    masked_select,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mm,
    mul,
    narrow,
    ne,
    neg,
    nll_loss,
    nonzero,
    norm,
    numel,
    outer,
    pad,
    permute,
    pow,
    prod,
    reciprocal,
    relu,
    repeat,
    reshape,
    roll,
    round,
    rsqrt,
    scatter,
    scatter_add,
    sigmoid,
    sign,
    sin,
    softmax,
    softplus,
    sort,
    split,
    sqrt,
    square,
    squeeze,
    stack,
    std,
    sub,
    sum,
    t,
    tanh,
    topk,
    transpose,
    tril,
    triu,
    trunc,
    unbind,
    unsqueeze,
    var,
    where,
)
from .grad_mode import (
    current_scope,
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    scope,
    set_grad_enabled,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .printing import set_printoptions
from .promotion import promote_types
from .random import Generator, default_generator, initial_seed, manual_seed, seed
from .size import Size
from .tensor import SortResult, Tensor
from .viz import draw_graph

# isort: split
# (After the Tensor: autograd.py imports the engine, which needs the Tensor class first.)
from . import autograd

# PyTorch's other dtype names (here, not in creation.py, where `int` and `bool` must stay the builtins)
bool = bool_  # noqa: A001
int = int32  # noqa: A001 - torch.int is int32
int8, int16 = _np.dtype(_np.int8), _np.dtype(_np.int16)
short = int16

__version__ = "0.1.0"

__all__ = [name for name in dir() if not name.startswith("_") and name not in ("annotations",)]
