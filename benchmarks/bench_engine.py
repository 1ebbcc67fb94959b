"""Engine benchmarks: autograd_lite against hand-written NumPy and PyTorch eager, timed side by side in one run.

Run from the repository root:

    python benchmarks/bench_engine.py                  # full run, about 100 s
    python benchmarks/bench_engine.py --quick          # smoke run, a few seconds
    python benchmarks/bench_engine.py --json out.json  # also write the figures

Every benchmark is one function `bench_*(cfg) -> {contender: [seconds per unit, one per round]}`. It builds
the same computation for each contender ("engine" = autograd_lite, "numpy" = the same math with a
hand-derived backward, "torch" = PyTorch eager if installed), checks once that the gradients agree, then
hands the step functions to `time_round_robin`. `print_table` turns the samples into medians, paired
ratios and PASS/MISS against the targets (n/a when the contender a target is judged against is missing).
To add a benchmark, write another `bench_*` function and add a `Benchmark` entry to `BENCHMARKS`; a heavy
step (several ms) takes fewer, longer rounds through the entry's `rounds_scale` and `block_scale`.
"""

# ruff: noqa: E402 - the thread-pool settings below must be made before NumPy and PyTorch are imported
from __future__ import annotations

import os

# Why set these: after each BLAS call the idle workers of NumPy's OpenBLAS keep spinning (yielding) for 2^28
# cycles, ~0.1 s, and PyTorch's OpenMP (MKL) workers spin too. Both pools live in this process and the
# machine has 2 cores, so a pool still spinning from the previous block steals a core from the next
# contender. Measured here with the defaults: PyTorch's batch-16 MLP step took 1.0-1.2 ms right after a NumPy
# block against 0.5 ms otherwise, NumPy's was up to 3x slower right after a PyTorch block, and with other
# jobs on the machine single steps took 10-100x longer. Shorter spins (2^22 cycles, ~1-2 ms; 10^5 spins)
# still keep the workers awake between the calls of one step (microseconds apart), so they do not change a
# contender's own speed (checked: the engine and NumPy figures without PyTorch are the same either way);
# they only stop one contender's pool from disturbing the next. Both are read once, when the libraries
# load, hence before the imports; setdefault leaves a value given in the environment alone.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "22")
os.environ.setdefault("GOMP_SPINCOUNT", "100000")

import argparse
import ctypes
import dataclasses
import gc
import json
import math
import platform
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

try:
    import torch
except ImportError:  # PyTorch is optional: its columns then say so
    torch = None

try:
    import autograd_lite as al
except ModuleNotFoundError:  # not pip-installed: run from a checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import autograd_lite as al

ENGINE, NUMPY, TORCH = "engine", "numpy", "torch"
LABELS = {ENGINE: "autograd_lite", NUMPY: "NumPy (by hand)", TORCH: "PyTorch eager"}
NO_TORCH = "PyTorch not installed"

# Tolerances for "same math" checks. Engine vs NumPy run the same ufuncs and the same BLAS calls in float32,
# so they must agree tightly. PyTorch uses its own BLAS (different summation order), so it is only checked
# loosely, as a sanity check that we time the same model, and a mismatch is reported, not fatal.
RTOL, ATOL = 1e-4, 1e-6
TORCH_RTOL, TORCH_ATOL = 1e-3, 1e-5

Samples = dict[str, list[float]]        # contender -> seconds per unit, one value per round-robin round
StepFn = Callable[[], object]


# =============================================================================================
# Configuration, threads, timing
# =============================================================================================

@dataclasses.dataclass(frozen=True)
class Config:
    rounds: int        # round-robin rounds per benchmark (each gives one sample per contender)
    block_s: float     # wall time of one timed block; the step is repeated until a block lasts this long
    settle_s: float    # idle pause before each block, see time_round_robin
    warmup: int        # untimed calls per contender before calibration
    seed: int = 0


# Rounds are a multiple of 6 so that, with 3 contenders, each one runs first and after each other equally often.
FULL = Config(rounds=42, block_s=0.025, settle_s=0.05, warmup=5)
QUICK = Config(rounds=6, block_s=0.004, settle_s=0.01, warmup=1)


def time_round_robin(steps: dict[str, StepFn], cfg: Config, per_call_units: int = 1,
                     resets: dict[str, Callable[[], None]] | None = None) -> Samples:
    """Time each step function in interleaved blocks; return seconds per unit for every round.

    Why round-robin: the machine is shared, so its speed drifts (other jobs, frequency scaling). Timing
    contender A for 10 s and then B for 10 s would bake that drift into the A/B ratio; running one block
    of each in turn, round after round, exposes every contender to the same conditions, and lets ratios
    be taken within a round (`paired_ratio`). The order rotates, and every other cycle runs backwards, so
    each contender runs first, and right after each of the others, equally often (cache, allocator and
    thread-pool state left behind by the previous block must not favour anyone).
    Why the settle pause: worker threads left spinning by the previous block (see the top of the file)
    would steal a core from whichever block runs next; an idle pause lets them go to sleep first.
    Why medians of many rounds: load spikes only ever make a block slower, so the distribution has a long
    right tail; the median ignores it where a mean would not, and the IQR shows how noisy the run was.
    Why blocks of several calls: a single call can be a few hundred µs, near timer and scheduler noise.
    `resets[name]()`, if given, runs untimed before each block (e.g. restoring the initial weights so
    thousands of SGD steps do not drift the model into a different numeric regime).
    The garbage collector stays enabled (a real training loop has it on too), but is emptied first so
    one benchmark's garbage is not collected on the next one's clock.
    """
    names = list(steps)
    resets = resets or {}
    inner: dict[str, int] = {}
    for name in names:
        fn = steps[name]
        for _ in range(cfg.warmup):
            fn()
        n = 1
        while True:   # calibrate: double the call count until a block is long enough to extrapolate from
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            elapsed = time.perf_counter() - t0
            if elapsed >= cfg.block_s / 4 or n >= 1 << 20:
                break
            n *= 2
        inner[name] = max(1, math.ceil(n * cfg.block_s / max(elapsed, 1e-9)))

    samples: Samples = {name: [] for name in names}
    gc.collect()
    for r in range(cfg.rounds):
        k = r % len(names)
        order = names[k:] + names[:k]
        if (r // len(names)) % 2:
            order.reverse()
        for name in order:
            if name in resets:
                resets[name]()
            time.sleep(cfg.settle_s)
            fn, n = steps[name], inner[name]
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            samples[name].append((time.perf_counter() - t0) / n / per_call_units)
    return samples


def paired_ratio(a: list[float], b: list[float]) -> float:
    """Median over rounds of a/b, each ratio taken within one round (so both saw the same load)."""
    return statistics.median(x / y for x, y in zip(a, b, strict=True))


def _openblas_call(suffix: str, *args: int) -> int | None:
    """Call openblas_{suffix} in the OpenBLAS that NumPy loaded, without threadpoolctl (Linux only).

    NumPy's wheels ship OpenBLAS under a private name with prefixed symbols (scipy_openblas_...64_),
    so find the loaded library in /proc/self/maps and try the known spellings.
    """
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return None
    paths = {p for p in (line.split()[-1] for line in maps.splitlines())
             if p.startswith("/") and "openblas" in p.lower()}
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in (f"scipy_openblas_{suffix}64_", f"scipy_openblas_{suffix}",
                     f"openblas_{suffix}64_", f"openblas_{suffix}"):
            fn = getattr(lib, name, None)
            if fn is not None:
                return int(fn(*args))
    return None


def cpu_snapshot() -> tuple[float, float, float] | None:
    """(CPU-seconds busy on the whole machine, CPU-seconds used by this process, wall time); Linux only.

    Two snapshots give the load other processes put on the machine while a benchmark ran: the number to
    look at first when the spreads are wide.
    """
    try:
        import resource
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        ticks = [int(f) for f in fields]
        busy = sum(ticks) - ticks[3] - ticks[4] - sum(ticks[8:])   # minus idle, iowait, guest (in user already)
        own = resource.getrusage(resource.RUSAGE_SELF)
        return busy / os.sysconf("SC_CLK_TCK"), own.ru_utime + own.ru_stime, time.perf_counter()
    except (ImportError, OSError, ValueError, IndexError):
        return None


def other_load(before: tuple[float, float, float] | None, after: tuple[float, float, float] | None) -> float | None:
    """Average number of CPUs kept busy by other processes between two `cpu_snapshot`s."""
    if before is None or after is None or after[2] <= before[2]:
        return None
    return max(0.0, ((after[0] - before[0]) - (after[1] - before[1])) / (after[2] - before[2]))


_keep_alive: list[Any] = []   # a threadpoolctl limiter must outlive setup_threads


def setup_allocator() -> str:
    """Keep freed memory in the process for the whole run, for every contender alike (glibc only).

    Otherwise page faults decide results: glibc returns freed memory to the OS and mmaps large arrays
    afresh depending on the program's history, so whether a contender pays ~1.7 ms per MB of arrays
    per step depends on the order of its frees, not on its arithmetic (measured here: the hand-written
    NumPy Adam step took 2.5 or 0.85 ms). See `autograd_lite.allocator`.
    """
    return al.keep_freed_memory()


def setup_threads(threads: int | None) -> dict[str, Any]:
    """Give NumPy's BLAS and PyTorch the same number of threads; return what was found and set.

    A comparison where PyTorch uses every core and OpenBLAS fewer (or the reverse) would measure the
    thread count, not the engines. By default PyTorch gets what NumPy's BLAS uses (its default is one
    thread per core: 2 on the benchmark machine); --threads N sets both.
    """
    info: dict[str, Any] = {"cpu_count": os.cpu_count()}
    try:
        import threadpoolctl
    except ImportError:
        threadpoolctl = None
    if threads is not None:
        if threadpoolctl is not None:
            _keep_alive.append(threadpoolctl.threadpool_limits(limits=threads, user_api="blas"))
        else:
            _openblas_call("set_num_threads", threads)   # returns void: ignore the "result"
    if threadpoolctl is not None:
        blas = [m for m in threadpoolctl.threadpool_info() if m.get("user_api") == "blas"]
        info["numpy_blas_threads"] = blas[0]["num_threads"] if blas else None
        info["numpy_blas_source"] = "threadpoolctl"
    else:
        info["numpy_blas_threads"] = _openblas_call("get_num_threads")
        info["numpy_blas_source"] = "read from OpenBLAS; threadpoolctl not installed"
    if torch is not None:
        n = threads or info["numpy_blas_threads"] or 2
        torch.set_num_threads(n)
        info["torch_threads"] = torch.get_num_threads()
    return info


# =============================================================================================
# Benchmarks: one function each, returning {contender: [seconds per unit per round]}
# =============================================================================================

CHAIN_REPEATS = 50          # [y*a, y+b, tanh(y), y*0.9] x 50 = 200 primitive ops
CHAIN_OPS = 4 * CHAIN_REPEATS
CHAIN_SHAPE = (8, 8)        # small on purpose: the cost is per-op bookkeeping, not arithmetic


def bench_op_chain(cfg: Config) -> Samples:
    """Per-op overhead: 200 elementwise ops on 8x8 float32, then .sum().backward(); seconds per op."""
    rng = np.random.default_rng(cfg.seed)
    x0 = rng.standard_normal(CHAIN_SHAPE, dtype=np.float32)
    a0 = rng.standard_normal(CHAIN_SHAPE, dtype=np.float32)
    b0 = rng.standard_normal(CHAIN_SHAPE, dtype=np.float32)

    # -- autograd_lite
    x, a, b = al.from_numpy(x0), al.tensor(a0, requires_grad=True), al.tensor(b0, requires_grad=True)

    def engine_grads() -> tuple[np.ndarray, np.ndarray]:
        y = x
        for _ in range(CHAIN_REPEATS):
            y = y * a
            y = y + b
            y = y.tanh()
            y = y * 0.9
        y.sum().backward()
        ga, gb = a.grad.array, b.grad.array
        a.grad = b.grad = None     # clear, so every step does the same work (no accumulation)
        return ga, gb

    # -- NumPy by hand: forward keeping what the backward needs, then the local derivatives in reverse
    an, bn = a0.copy(), b0.copy()

    def numpy_grads() -> tuple[np.ndarray, np.ndarray]:
        y = x0
        saved = []
        for _ in range(CHAIN_REPEATS):
            y_in = y
            t = np.tanh(y_in * an + bn)
            y = t * 0.9
            saved.append((y_in, t))
        y.sum()                              # the loss, as in the other contenders
        g = np.ones_like(y)                  # d sum / dy
        ga, gb = np.zeros_like(an), np.zeros_like(bn)
        for y_in, t in reversed(saved):
            g = g * 0.9                      # y*0.9
            g = g * (1 - t * t)              # tanh: 1 - tanh^2
            gb += g                          # y+b
            ga += g * y_in                   # y*a, w.r.t. a
            g = g * an                       # y*a, w.r.t. y
        return ga, gb

    steps: dict[str, StepFn] = {ENGINE: engine_grads, NUMPY: numpy_grads}

    # -- PyTorch eager
    if torch is not None:
        xt = torch.from_numpy(x0.copy())
        at = torch.tensor(a0, requires_grad=True)
        bt = torch.tensor(b0, requires_grad=True)

        def torch_grads() -> tuple[Any, Any]:
            y = xt
            for _ in range(CHAIN_REPEATS):
                y = y * at
                y = y + bt
                y = torch.tanh(y)
                y = y * 0.9
            y.sum().backward()
            ga, gb = at.grad, bt.grad
            at.grad = bt.grad = None
            return ga, gb

        steps[TORCH] = torch_grads

    check_same_grads("op chain", steps)
    return time_round_robin(steps, cfg, per_call_units=CHAIN_OPS)


MLP_SIZES = (784, 256, 256, 10)
MLP_LR = 0.01


def init_mlp(rng: np.random.Generator) -> list[np.ndarray]:
    """[W1, b1, W2, b2, W3, b3], He-initialised float32 (W is in x out, so a layer is x @ W + b)."""
    params = []
    for fan_in, fan_out in zip(MLP_SIZES[:-1], MLP_SIZES[1:], strict=True):
        params.append((rng.standard_normal((fan_in, fan_out)) * math.sqrt(2 / fan_in)).astype(np.float32))
        params.append((rng.standard_normal(fan_out) * 0.01).astype(np.float32))
    return params


def restore(params: list[np.ndarray], values: list[np.ndarray]) -> None:
    """Copy `values` into `params` in place (the contenders keep references to their arrays)."""
    for p, v in zip(params, values, strict=True):
        np.copyto(p, v)


def numpy_mlp_grads(x: np.ndarray, y: np.ndarray, params: list[np.ndarray]) -> tuple[float, list[np.ndarray]]:
    """Loss and hand-derived gradients of the 3-layer ReLU MLP with mean softmax cross-entropy."""
    w1, b1, w2, b2, w3, b3 = params
    n = x.shape[0]
    rows = np.arange(n)
    z1 = x @ w1 + b1
    h1 = np.maximum(z1, 0)
    z2 = h1 @ w2 + b2
    h2 = np.maximum(z2, 0)
    logits = h2 @ w3 + b3
    m = logits.max(axis=1, keepdims=True)            # subtract the max: exp never overflows
    e = np.exp(logits - m)
    s = e.sum(axis=1, keepdims=True)
    loss = -(logits[rows, y] - m[:, 0] - np.log(s[:, 0])).mean()
    # d loss / d logits = (softmax - onehot(y)) / N
    d = e / s
    d[rows, y] -= 1
    d /= n
    gw3, gb3 = h2.T @ d, d.sum(axis=0)
    d = (d @ w3.T) * (h2 > 0)                         # through ReLU: pass where the output was positive
    gw2, gb2 = h1.T @ d, d.sum(axis=0)
    d = (d @ w2.T) * (h1 > 0)
    gw1, gb1 = x.T @ d, d.sum(axis=0)
    return float(loss), [gw1, gb1, gw2, gb2, gw3, gb3]


def bench_mlp_step(cfg: Config, batch: int) -> Samples:
    """One SGD training step of an MLP 784-256-256-10 (forward, loss, backward, update, clear); seconds."""
    rng = np.random.default_rng(cfg.seed + batch)
    init = init_mlp(rng)
    x0 = rng.standard_normal((batch, MLP_SIZES[0]), dtype=np.float32)
    y0 = rng.integers(0, MLP_SIZES[-1], size=batch, dtype=np.int64)

    # -- autograd_lite, written as a user would
    al.manual_seed(cfg.seed)
    x, y = al.from_numpy(x0), al.from_numpy(y0)
    ep = [al.tensor(p, requires_grad=True) for p in init]

    def engine_loss() -> Any:
        w1, b1, w2, b2, w3, b3 = ep
        h = (x @ w1 + b1).relu()
        h = (h @ w2 + b2).relu()
        logits = h @ w3 + b3
        loss = al.nll_loss(logits.log_softmax(1), y)         # cross-entropy, as F.cross_entropy does
        loss.backward()
        return loss

    def engine_step() -> None:
        engine_loss()
        with al.no_grad():
            for p in ep:
                p.array -= MLP_LR * p.grad.array
                p.grad = None

    # -- NumPy by hand
    npp = [p.copy() for p in init]

    def numpy_step() -> None:
        _, grads = numpy_mlp_grads(x0, y0, npp)
        for p, g in zip(npp, grads, strict=True):
            p -= MLP_LR * g

    # Same math? Compare gradients (and loss) once, at the initial weights, before anything is updated.
    loss_e = engine_loss()
    loss_n, grads_n = numpy_mlp_grads(x0, y0, npp)
    assert np.allclose(loss_e.item(), loss_n, rtol=RTOL, atol=ATOL), (loss_e.item(), loss_n)
    compare_grads(f"MLP b{batch}", {ENGINE: [p.grad.array for p in ep], NUMPY: grads_n})
    for p in ep:
        p.grad = None

    steps: dict[str, StepFn] = {ENGINE: engine_step, NUMPY: numpy_step}
    # Every block starts again from the initial weights: thousands of SGD steps on one fixed batch would
    # otherwise memorise it and push the logits (and exp() of them) into a different numeric regime.
    resets: dict[str, Callable[[], None]] = {
        ENGINE: partial(restore, [p.array for p in ep], init),
        NUMPY: partial(restore, npp, init),
    }

    # -- PyTorch eager
    if torch is not None:
        torch.manual_seed(cfg.seed)
        xt, yt = torch.from_numpy(x0.copy()), torch.from_numpy(y0.copy())
        tp = [torch.tensor(p, requires_grad=True) for p in init]
        cross_entropy = torch.nn.functional.cross_entropy   # log_softmax + NLL, the same math

        def torch_loss() -> Any:
            w1, b1, w2, b2, w3, b3 = tp
            h = torch.relu(xt @ w1 + b1)
            h = torch.relu(h @ w2 + b2)
            loss = cross_entropy(h @ w3 + b3, yt)
            loss.backward()
            return loss

        def torch_step() -> None:
            torch_loss()
            with torch.no_grad():
                for p in tp:
                    p -= MLP_LR * p.grad
                    p.grad = None

        torch_loss()
        compare_grads(f"MLP b{batch}", {NUMPY: grads_n, TORCH: [p.grad for p in tp]})
        for p in tp:
            p.grad = None
        steps[TORCH] = torch_step
        resets[TORCH] = partial(restore, [p.detach().numpy() for p in tp], init)   # numpy() shares memory

    return time_round_robin(steps, cfg, resets=resets)


ADAM_LR, ADAM_BETAS, ADAM_EPS = 1e-3, (0.9, 0.999), 1e-8


def numpy_adam(params: list[np.ndarray], grads: list[np.ndarray], state: dict[str, Any]) -> None:
    """Adam by hand, in PyTorch's order of operations (bias corrections folded into step size and denom)."""
    state["step"] += 1
    b1, b2 = ADAM_BETAS
    bc1, bc2 = 1 - b1 ** state["step"], 1 - b2 ** state["step"]
    for p, g, m, v in zip(params, grads, state["m"], state["v"], strict=True):
        m += (g - m) * (1 - b1)
        v *= b2
        v += (1 - b2) * g * g
        denom = np.sqrt(v) / math.sqrt(bc2) + ADAM_EPS
        p -= (ADAM_LR / bc1) * (m / denom)


def bench_nn_adam_step(cfg: Config, batch: int) -> Samples:
    """One training step of nn.Sequential(Linear, ReLU, Linear, ReLU, Linear) with CrossEntropyLoss and Adam."""
    rng = np.random.default_rng(cfg.seed + 1000 + batch)
    init = init_mlp(rng)                                  # (in, out) weights: transposed for nn.Linear
    x0 = rng.standard_normal((batch, MLP_SIZES[0]), dtype=np.float32)
    y0 = rng.integers(0, MLP_SIZES[-1], size=batch, dtype=np.int64)
    layout = [p.T.copy() if p.ndim == 2 else p.copy() for p in init]   # PyTorch's (out, in)

    # -- autograd_lite's nn, written as a user would
    import nn
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    params = list(model.parameters())
    restore([p.array for p in params], layout)
    opt = nn.optim.Adam(params, lr=ADAM_LR, betas=ADAM_BETAS, eps=ADAM_EPS)
    loss_fn = nn.CrossEntropyLoss()
    x, y = al.from_numpy(x0), al.from_numpy(y0)

    def engine_step() -> None:
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    # -- NumPy by hand
    npp = [p.copy() for p in init]
    nstate: dict[str, Any] = {"step": 0, "m": [np.zeros_like(p) for p in npp], "v": [np.zeros_like(p) for p in npp]}

    def numpy_step() -> None:
        _, grads = numpy_mlp_grads(x0, y0, npp)
        numpy_adam(npp, grads, nstate)

    # Same math? Gradients once at the initial weights (transposed back to compare).
    loss_fn(model(x), y).backward()
    _, grads_n = numpy_mlp_grads(x0, y0, npp)
    engine_grads = [p.grad.array.T if p.ndim == 2 else p.grad.array for p in params]
    compare_grads(f"nn/Adam b{batch}", {ENGINE: engine_grads, NUMPY: grads_n})
    opt.zero_grad()

    steps: dict[str, StepFn] = {ENGINE: engine_step, NUMPY: numpy_step}
    resets: dict[str, Callable[[], None]] = {
        ENGINE: partial(restore, [p.array for p in params], layout),
        NUMPY: partial(restore, npp, init),
    }

    # -- PyTorch eager: torch.nn and torch.optim.Adam (single-tensor path, like ours)
    if torch is not None:
        torch.manual_seed(cfg.seed)
        tmodel = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256),
                                     torch.nn.ReLU(), torch.nn.Linear(256, 10))
        tparams = list(tmodel.parameters())
        with torch.no_grad():
            for tp, v in zip(tparams, layout, strict=True):
                tp.copy_(torch.from_numpy(v))
        topt = torch.optim.Adam(tparams, lr=ADAM_LR, betas=ADAM_BETAS, eps=ADAM_EPS, foreach=False)
        tloss = torch.nn.CrossEntropyLoss()
        xt, yt = torch.from_numpy(x0.copy()), torch.from_numpy(y0.copy())

        def torch_step() -> None:
            topt.zero_grad()
            tloss(tmodel(xt), yt).backward()
            topt.step()

        steps[TORCH] = torch_step
        resets[TORCH] = partial(restore, [tp.detach().numpy() for tp in tparams], layout)

    return time_round_robin(steps, cfg, resets=resets)


# ---------------------------------------------------------------------------------------------
# Convolution, LeNet-5, LSTM
# ---------------------------------------------------------------------------------------------

def numpy_conv2d(x: np.ndarray, w: np.ndarray, b: np.ndarray, pad: int) -> tuple[np.ndarray, np.ndarray]:
    """conv2d (stride 1, zero padding `pad`) by plain im2col: the output (N, O, Ho, Wo) and the columns.

    cols[n] is (C*kh*kw, Ho*Wo): row (c, i, j) holds channel c of sample n shifted by kernel offset (i, j),
    one column per output pixel. Every window is one strided view of the input (no copy), copied once;
    then a stack of N products W (O, C*kh*kw) @ cols[n] lands directly in the output's (N, O, Ho*Wo)
    layout. The columns are returned because the weight gradient needs them again.
    """
    n, c = x.shape[:2]
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))) if pad else x
    ho, wo = xp.shape[2] - kh + 1, xp.shape[3] - kw + 1
    windows = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))   # (N, C, Ho, Wo, kh, kw)
    cols = np.ascontiguousarray(windows.transpose(0, 1, 4, 5, 2, 3)).reshape(n, c * kh * kw, ho * wo)
    out = np.matmul(w.reshape(o, -1), cols)
    out += b[:, None]
    return out.reshape(n, o, ho, wo), cols


def numpy_conv2d_backward(g: np.ndarray, cols: np.ndarray, w: np.ndarray, x_shape: tuple[int, ...], pad: int,
                          input_grad: bool = True) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """(dx, dw, db) of numpy_conv2d from the output gradient g (N, O, Ho, Wo) and the forward's columns.

    db sums g over batch and pixels; dw = sum_n g[n] @ cols[n]^T; dcols[n] = W^T @ g[n], which col2im adds
    back to the windows the columns were read from: one vectorised add per kernel offset (kh*kw adds, no
    loop over pixels or samples; overlapping windows accumulate). dx is skipped for a network's input.
    """
    n, c, h, wd = x_shape
    o, _, kh, kw = w.shape
    ho, wo = g.shape[2:]
    gm = g.reshape(n, o, ho * wo)
    db = gm.sum(axis=(0, 2))
    dw = np.matmul(gm, cols.transpose(0, 2, 1)).sum(axis=0).reshape(w.shape)
    if not input_grad:
        return None, dw, db
    dcols = np.matmul(w.reshape(o, -1).T, gm).reshape(n, c, kh, kw, ho, wo)
    dxp = np.zeros((n, c, h + 2 * pad, wd + 2 * pad), dtype=g.dtype)
    for i in range(kh):
        for j in range(kw):
            dxp[:, :, i:i + ho, j:j + wo] += dcols[:, :, i, j]
    return (dxp[:, :, pad:pad + h, pad:pad + wd] if pad else dxp), dw, db


def numpy_max_pool2(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """2x2 max pooling, stride 2 (even H, W): the output and which of the 4 window elements is the max
    (0..3 row-major; the first on ties, as the engine and PyTorch choose). One strided view per window
    element: elementwise maxima over 4 arrays are far faster than max/argmax over a length-4 axis."""
    v = [a[:, :, i::2, j::2] for i in (0, 1) for j in (0, 1)]
    out = np.maximum(np.maximum(v[0], v[1]), np.maximum(v[2], v[3]))
    index = np.where(v[2] == out, 2, 3).astype(np.int8)
    for k in (1, 0):
        index[v[k] == out] = k
    return out, index


def numpy_max_pool2_backward(g: np.ndarray, index: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Route each output gradient to its window's arg-max (the other 3 elements get 0)."""
    d = np.empty(shape, dtype=g.dtype)
    for k in range(4):
        np.multiply(g, index == k, out=d[:, :, k // 2::2, k % 2::2])
    return d


def numpy_cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean softmax cross-entropy and its gradient w.r.t. the logits, (softmax - onehot(y)) / N."""
    n = logits.shape[0]
    rows = np.arange(n)
    m = logits.max(axis=1, keepdims=True)
    e = np.exp(logits - m)
    s = e.sum(axis=1, keepdims=True)
    loss = -(logits[rows, y] - m[:, 0] - np.log(s[:, 0])).mean()
    d = e / s
    d[rows, y] -= 1
    d /= n
    return float(loss), d


def torch_copy_params(params: list[Any], values: list[np.ndarray]) -> None:
    """Give PyTorch parameters the engine's initial values (same layouts: nn mirrors torch.nn)."""
    with torch.no_grad():
        for p, v in zip(params, values, strict=True):
            p.copy_(torch.from_numpy(v))


CONV1 = ((64, 1, 28, 28), (6, 1, 5, 5))     # LeNet-5's first conv (unpadded here), batch 64
CONV2 = ((64, 6, 12, 12), (16, 6, 5, 5))    # its second conv, on the 12x12 maps an unpadded conv1 + pool gives


def bench_conv2d(cfg: Config, x_shape: tuple[int, ...], w_shape: tuple[int, ...]) -> Samples:
    """conv2d forward + backward (stride 1, no padding, bias): gradients for the input (it requires grad,
    as inside a network), the weight and the bias, from a fixed random output gradient; seconds per step."""
    rng = np.random.default_rng(cfg.seed + 2000 + x_shape[1])
    bound = 1 / math.sqrt(math.prod(w_shape[1:]))                # PyTorch's init range for Conv2d
    x0 = rng.standard_normal(x_shape, dtype=np.float32)
    w0 = rng.uniform(-bound, bound, w_shape).astype(np.float32)
    b0 = rng.uniform(-bound, bound, w_shape[0]).astype(np.float32)
    out_shape = (x_shape[0], w_shape[0], x_shape[2] - w_shape[2] + 1, x_shape[3] - w_shape[3] + 1)
    g0 = rng.standard_normal(out_shape, dtype=np.float32)     # d loss / d output, what the next layer sends back

    # -- autograd_lite
    x, w, b = (al.tensor(v, requires_grad=True) for v in (x0, w0, b0))
    g = al.from_numpy(g0)

    def engine_grads() -> tuple[np.ndarray, ...]:
        al.conv2d(x, w, b).backward(g)
        grads = x.grad.array, w.grad.array, b.grad.array
        x.grad = w.grad = b.grad = None
        return grads

    # -- NumPy by hand: im2col, product; backward from the saved columns, col2im
    def numpy_grads() -> tuple[np.ndarray | None, ...]:
        _, cols = numpy_conv2d(x0, w0, b0, 0)
        return numpy_conv2d_backward(g0, cols, w0, x_shape, 0)

    steps: dict[str, StepFn] = {ENGINE: engine_grads, NUMPY: numpy_grads}

    # -- PyTorch eager
    if torch is not None:
        xt, wt, bt = (torch.tensor(v, requires_grad=True) for v in (x0, w0, b0))
        gt = torch.from_numpy(g0.copy())
        conv2d = torch.nn.functional.conv2d

        def torch_grads() -> tuple[Any, ...]:
            conv2d(xt, wt, bt).backward(gt)
            grads = xt.grad, wt.grad, bt.grad
            xt.grad = wt.grad = bt.grad = None
            return grads

        steps[TORCH] = torch_grads

    check_same_grads(f"conv2d {x_shape} * {w_shape}", steps, scaled=True)
    return time_round_robin(steps, cfg)


LENET_BATCH, LENET_LR = 64, 0.01


def numpy_lenet_grads(x: np.ndarray, y: np.ndarray, params: list[np.ndarray]) -> tuple[float, list[np.ndarray]]:
    """Loss and hand-derived gradients of LeNet-5 (the layout of `bench_lenet_step`'s model; Linear
    weights are (out, in), as nn.Linear's)."""
    cw1, cb1, cw2, cb2, w3, b3, w4, b4, w5, b5 = params
    n = x.shape[0]
    z1, cols1 = numpy_conv2d(x, cw1, cb1, 2)            # (N, 6, 28, 28)
    a1 = np.maximum(z1, 0)
    p1, i1 = numpy_max_pool2(a1)                        # (N, 6, 14, 14)
    z2, cols2 = numpy_conv2d(p1, cw2, cb2, 0)           # (N, 16, 10, 10)
    a2 = np.maximum(z2, 0)
    p2, i2 = numpy_max_pool2(a2)                        # (N, 16, 5, 5)
    f = p2.reshape(n, -1)
    h3 = np.maximum(f @ w3.T + b3, 0)
    h4 = np.maximum(h3 @ w4.T + b4, 0)
    loss, d = numpy_cross_entropy(h4 @ w5.T + b5, y)
    gw5, gb5 = d.T @ h4, d.sum(axis=0)
    d = (d @ w5) * (h4 > 0)
    gw4, gb4 = d.T @ h3, d.sum(axis=0)
    d = (d @ w4) * (h3 > 0)
    gw3, gb3 = d.T @ f, d.sum(axis=0)
    d = numpy_max_pool2_backward((d @ w3).reshape(p2.shape), i2, a2.shape) * (a2 > 0)
    d, gw2, gb2 = numpy_conv2d_backward(d, cols2, cw2, p1.shape, 0)
    d = numpy_max_pool2_backward(d, i1, a1.shape) * (a1 > 0)
    _, gw1, gb1 = numpy_conv2d_backward(d, cols1, cw1, x.shape, 2, input_grad=False)   # x needs none
    return loss, [gw1, gb1, gw2, gb2, gw3, gb3, gw4, gb4, gw5, gb5]


def bench_lenet_step(cfg: Config) -> Samples:
    """One SGD training step of LeNet-5 on a batch of 64 28x28 images (forward, cross-entropy, backward,
    update); seconds per step."""
    rng = np.random.default_rng(cfg.seed + 3000)
    x0 = rng.standard_normal((LENET_BATCH, 1, 28, 28), dtype=np.float32)
    y0 = rng.integers(0, 10, size=LENET_BATCH, dtype=np.int64)

    # -- autograd_lite's nn, written as a user would
    import nn
    al.manual_seed(cfg.seed)
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    params = list(model.parameters())
    init = [p.array.copy() for p in params]              # PyTorch's init, the same start for everyone
    opt = nn.optim.SGD(params, lr=LENET_LR)
    loss_fn = nn.CrossEntropyLoss()
    x, y = al.from_numpy(x0), al.from_numpy(y0)

    def engine_step() -> None:
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    # -- NumPy by hand: im2col convolutions, arg-max routing for the pools, the MLP part as in bench_mlp_step
    npp = [p.copy() for p in init]

    def numpy_step() -> None:
        _, grads = numpy_lenet_grads(x0, y0, npp)
        for p, g in zip(npp, grads, strict=True):
            p -= LENET_LR * g

    # Same math? Gradients once, at the initial weights.
    loss_fn(model(x), y).backward()
    grads = {ENGINE: [p.grad.array for p in params], NUMPY: numpy_lenet_grads(x0, y0, npp)[1]}
    opt.zero_grad()
    steps: dict[str, StepFn] = {ENGINE: engine_step, NUMPY: numpy_step}
    resets: dict[str, Callable[[], None]] = {
        ENGINE: partial(restore, [p.array for p in params], init),
        NUMPY: partial(restore, npp, init),
    }

    # -- PyTorch eager: torch.nn and torch.optim.SGD (single-tensor path, like ours)
    if torch is not None:
        tnn = torch.nn
        tmodel = tnn.Sequential(
            tnn.Conv2d(1, 6, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2),
            tnn.Conv2d(6, 16, 5), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Flatten(),
            tnn.Linear(400, 120), tnn.ReLU(), tnn.Linear(120, 84), tnn.ReLU(), tnn.Linear(84, 10))
        tparams = list(tmodel.parameters())
        torch_copy_params(tparams, init)
        topt = torch.optim.SGD(tparams, lr=LENET_LR, foreach=False)
        tloss = tnn.CrossEntropyLoss()
        xt, yt = torch.from_numpy(x0.copy()), torch.from_numpy(y0.copy())

        def torch_step() -> None:
            topt.zero_grad()
            tloss(tmodel(xt), yt).backward()
            topt.step()

        tloss(tmodel(xt), yt).backward()
        grads[TORCH] = [p.grad.numpy().copy() for p in tparams]
        topt.zero_grad()
        steps[TORCH] = torch_step
        resets[TORCH] = partial(restore, [p.detach().numpy() for p in tparams], init)

    compare_grads("LeNet-5", grads, scaled=True)
    return time_round_robin(steps, cfg, resets=resets)


LSTM_SEQ, LSTM_BATCH, LSTM_INPUT, LSTM_HIDDEN, LSTM_CLASSES = 50, 32, 32, 128, 10
LSTM_LR = 0.01


def numpy_sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * np.tanh(0.5 * x) + 0.5                  # never overflows, one transcendental


def numpy_lstm_grads(x: np.ndarray, y: np.ndarray, params: list[np.ndarray]) -> tuple[float, list[np.ndarray]]:
    """Loss and gradients (backpropagation through time, by hand) of a one-layer LSTM over x (T, B, I),
    a Linear head on the last hidden state and mean cross-entropy. Parameters in nn.LSTM's layout
    (gates i, f, g, o stacked in the rows of W_ih, W_hh) and order, then the head's weight and bias.

    As PyTorch's CPU LSTM does, the input's part of the gates is one product for all steps; only
    h W_hh^T stays in the loop. Backward keeps the gates' gradients of every step, so the weight
    gradients are again one product each after the loop.
    """
    w_ih, w_hh, b_ih, b_hh, w_out, b_out = params
    steps, batch, _ = x.shape
    hid = w_hh.shape[1]
    gx = (x.reshape(steps * batch, -1) @ w_ih.T + (b_ih + b_hh)).reshape(steps, batch, 4 * hid)
    hs = np.zeros((steps + 1, batch, hid), dtype=x.dtype)          # hs[t] = h before step t
    cs = np.zeros((steps + 1, batch, hid), dtype=x.dtype)
    acts = np.empty((steps, batch, 4 * hid), dtype=x.dtype)        # i, f, g, o after their nonlinearity
    tcs = np.empty((steps, batch, hid), dtype=x.dtype)             # tanh(c)
    for t in range(steps):
        a = acts[t]
        np.add(gx[t], hs[t] @ w_hh.T, out=a)
        a[:, :2 * hid] = numpy_sigmoid(a[:, :2 * hid])
        a[:, 2 * hid:3 * hid] = np.tanh(a[:, 2 * hid:3 * hid])
        a[:, 3 * hid:] = numpy_sigmoid(a[:, 3 * hid:])
        i, f, g, o = a[:, :hid], a[:, hid:2 * hid], a[:, 2 * hid:3 * hid], a[:, 3 * hid:]
        cs[t + 1] = f * cs[t] + i * g
        tcs[t] = np.tanh(cs[t + 1])
        hs[t + 1] = o * tcs[t]
    loss, d = numpy_cross_entropy(hs[steps] @ w_out.T + b_out, y)
    gw_out, gb_out = d.T @ hs[steps], d.sum(axis=0)
    dh = d @ w_out
    dc = np.zeros_like(dh)
    dgates = np.empty_like(acts)                                   # d loss / d pre-activation gates
    for t in range(steps - 1, -1, -1):
        a, tc = acts[t], tcs[t]
        i, f, g, o = a[:, :hid], a[:, hid:2 * hid], a[:, 2 * hid:3 * hid], a[:, 3 * hid:]
        dc += dh * o * (1 - tc * tc)
        dg = dgates[t]
        dg[:, :hid] = dc * g * i * (1 - i)
        dg[:, hid:2 * hid] = dc * cs[t] * f * (1 - f)
        dg[:, 2 * hid:3 * hid] = dc * i * (1 - g * g)
        dg[:, 3 * hid:] = dh * tc * o * (1 - o)
        dc *= f
        dh = dg @ w_hh
    dg2 = dgates.reshape(steps * batch, 4 * hid)
    gw_ih = dg2.T @ x.reshape(steps * batch, -1)
    gw_hh = dg2.T @ hs[:steps].reshape(steps * batch, hid)
    gb = dg2.sum(axis=0)
    return loss, [gw_ih, gw_hh, gb, gb.copy(), gw_out, gb_out]


def bench_lstm_step(cfg: Config) -> Samples:
    """One SGD training step of nn.LSTM(32, 128) over 50 steps of a batch of 32, a Linear head on the
    last output and cross-entropy (forward, backward through time, update); seconds per step."""
    rng = np.random.default_rng(cfg.seed + 4000)
    x0 = rng.standard_normal((LSTM_SEQ, LSTM_BATCH, LSTM_INPUT), dtype=np.float32)
    y0 = rng.integers(0, LSTM_CLASSES, size=LSTM_BATCH, dtype=np.int64)

    # -- autograd_lite's nn, written as a user would
    import nn
    al.manual_seed(cfg.seed)
    lstm, head = nn.LSTM(LSTM_INPUT, LSTM_HIDDEN), nn.Linear(LSTM_HIDDEN, LSTM_CLASSES)
    params = [*lstm.parameters(), *head.parameters()]
    init = [p.array.copy() for p in params]
    opt = nn.optim.SGD(params, lr=LSTM_LR)
    loss_fn = nn.CrossEntropyLoss()
    x, y = al.from_numpy(x0), al.from_numpy(y0)

    def engine_loss() -> Any:
        out, _ = lstm(x)
        return loss_fn(head(out[-1]), y)

    def engine_step() -> None:
        opt.zero_grad()
        engine_loss().backward()
        opt.step()

    # -- NumPy by hand
    npp = [p.copy() for p in init]

    def numpy_step() -> None:
        _, grads = numpy_lstm_grads(x0, y0, npp)
        for p, g in zip(npp, grads, strict=True):
            p -= LSTM_LR * g

    engine_loss().backward()
    grads = {ENGINE: [p.grad.array for p in params], NUMPY: numpy_lstm_grads(x0, y0, npp)[1]}
    opt.zero_grad()
    steps: dict[str, StepFn] = {ENGINE: engine_step, NUMPY: numpy_step}
    resets: dict[str, Callable[[], None]] = {
        ENGINE: partial(restore, [p.array for p in params], init),
        NUMPY: partial(restore, npp, init),
    }

    # -- PyTorch eager: torch.nn.LSTM (its CPU kernels: fused gate math, input products hoisted out of the loop)
    if torch is not None:
        tlstm = torch.nn.LSTM(LSTM_INPUT, LSTM_HIDDEN)
        thead = torch.nn.Linear(LSTM_HIDDEN, LSTM_CLASSES)
        tparams = [*tlstm.parameters(), *thead.parameters()]
        torch_copy_params(tparams, init)
        topt = torch.optim.SGD(tparams, lr=LSTM_LR, foreach=False)
        tloss = torch.nn.CrossEntropyLoss()
        xt, yt = torch.from_numpy(x0.copy()), torch.from_numpy(y0.copy())

        def torch_loss() -> Any:
            out, _ = tlstm(xt)
            return tloss(thead(out[-1]), yt)

        def torch_step() -> None:
            topt.zero_grad()
            torch_loss().backward()
            topt.step()

        torch_loss().backward()
        grads[TORCH] = [p.grad.numpy().copy() for p in tparams]
        topt.zero_grad()
        steps[TORCH] = torch_step
        resets[TORCH] = partial(restore, [p.detach().numpy() for p in tparams], init)

    compare_grads("LSTM", grads, scaled=True)
    return time_round_robin(steps, cfg, resets=resets)


# Gradients that are long sums (a conv's weight gradient adds N*Ho*Wo products; BPTT adds over 50 steps)
# come out of differently shaped BLAS calls in a different order, so their smallest entries can differ by
# more than ATOL while being equal in float32 terms: there atol is this fraction of the largest entry.
SCALED_ATOL, TORCH_SCALED_ATOL = 1e-5, 1e-4


def compare_grads(what: str, grads: dict[str, list[Any]], scaled: bool = False) -> None:
    """Compare every contender's gradients with NumPy's: the engine's must agree (assert), PyTorch's
    only loosely (a warning). `scaled`: atol relative to each gradient's largest entry (SCALED_ATOL)."""
    ref = [np.asarray(g) for g in grads[NUMPY]]
    for name, got in grads.items():
        if name == NUMPY:
            continue
        got = [g.numpy() if torch is not None and isinstance(g, torch.Tensor) else np.asarray(g) for g in got]
        rtol, atol = (TORCH_RTOL, TORCH_ATOL) if name == TORCH else (RTOL, ATOL)
        for i, (g, r) in enumerate(zip(got, ref, strict=True)):
            if scaled:
                atol = (TORCH_SCALED_ATOL if name == TORCH else SCALED_ATOL) * float(np.abs(r).max())
            ok = g.shape == r.shape and np.allclose(g, r, rtol=rtol, atol=atol)
            if name == ENGINE:
                assert g.dtype == r.dtype == np.float32, f"{what}: gradient {i} is {g.dtype}, NumPy's {r.dtype}"
                assert ok, f"{what}: engine gradient {i} differs from NumPy's by {np.abs(g - r).max()}"
            elif not ok:
                print(f"WARNING: {what}: {name} gradient {i} differs from NumPy's by {np.abs(g - r).max():.3g}",
                      file=sys.stderr)


def check_same_grads(what: str, steps: dict[str, StepFn], scaled: bool = False) -> None:
    """Run each contender's step once and compare the returned gradients with NumPy's (`compare_grads`)."""
    compare_grads(what, {name: list(fn()) for name, fn in steps.items()}, scaled)


# =============================================================================================
# The registry, targets, and the table
# =============================================================================================

@dataclasses.dataclass(frozen=True)
class Target:
    text: str                                          # shown in the table, e.g. "<= 5 µs/op"
    met: Callable[[dict[str, float], dict[str, float]], bool]   # (medians in display units, ratios) -> ok
    needs: str = NUMPY                                 # the contender it is judged against: "n/a" without it


@dataclasses.dataclass(frozen=True)
class Benchmark:
    key: str
    title: str
    run: Callable[[Config], Samples]
    unit: str
    scale: float                                       # seconds -> display unit
    target: Target | None = None
    # Heavier steps (several ms to tens of ms): fewer rounds of longer blocks, so that a block still holds
    # a few steps and the benchmark a few seconds. Both scale the mode's (or --rounds') settings.
    rounds_scale: float = 1.0
    block_scale: float = 1.0

    def config(self, cfg: Config) -> Config:
        """cfg with this benchmark's rounds and block length; rounds stay a multiple of 6 (at least 6), so
        the rotation stays balanced."""
        if self.rounds_scale == 1 and self.block_scale == 1:
            return cfg
        rounds = max(6, round(cfg.rounds * self.rounds_scale / 6) * 6)
        return dataclasses.replace(cfg, rounds=rounds, block_s=cfg.block_s * self.block_scale)


# Judged only when PyTorch is installed (the status says n/a otherwise).
TORCH_1_5X = Target("<= 1.5x PyTorch", lambda _m, ratio: ratio[TORCH] <= 1.5, needs=TORCH)

BENCHMARKS: list[Benchmark] = [
    # The per-op target is 5 µs where hand-written NumPy takes 1.3 µs/op (the reference run): judged as
    # the ratio, 5 / 1.3 = 3.85x, because absolute times on a shared machine drift with its load and clock.
    Benchmark("op_chain", f"{CHAIN_OPS}-op chain 8x8, fwd+bwd", bench_op_chain, "µs/op", 1e6,
              Target("<= 3.85x NumPy (5 µs at 1.3)", lambda _m, ratio: ratio[NUMPY] <= 5.0 / 1.3)),
    Benchmark("mlp_b16", "MLP 784-256-256-10 SGD step, b16", partial(bench_mlp_step, batch=16), "ms/step", 1e3,
              Target("<= 1.4x NumPy", lambda _m, ratio: ratio[NUMPY] <= 1.4)),
    Benchmark("mlp_b128", "MLP 784-256-256-10 SGD step, b128", partial(bench_mlp_step, batch=128), "ms/step",
              1e3, Target("<= 1.1x NumPy", lambda _m, ratio: ratio[NUMPY] <= 1.1)),
    Benchmark("nn_adam_b16", "nn Linear/ReLU/CE + Adam step, b16", partial(bench_nn_adam_step, batch=16),
              "ms/step", 1e3),
    Benchmark("nn_adam_b128", "nn Linear/ReLU/CE + Adam step, b128", partial(bench_nn_adam_step, batch=128),
              "ms/step", 1e3),
    Benchmark("conv1", "conv2d 64x1x28x28 * 6x1x5x5, fwd + dx dW db", partial(bench_conv2d, x_shape=CONV1[0],
              w_shape=CONV1[1]), "ms/step", 1e3, TORCH_1_5X),
    Benchmark("conv2", "conv2d 64x6x12x12 * 16x6x5x5, fwd + dx dW db", partial(bench_conv2d, x_shape=CONV2[0],
              w_shape=CONV2[1]), "ms/step", 1e3, TORCH_1_5X),
    Benchmark("lenet_step", "LeNet-5 nn + SGD step, b64", bench_lenet_step, "ms/step", 1e3, TORCH_1_5X,
              rounds_scale=5 / 7, block_scale=2),
    Benchmark("lstm_step", "nn.LSTM 32-128, seq 50, b32 + SGD step", bench_lstm_step, "ms/step", 1e3,
              rounds_scale=4 / 7, block_scale=4),
]


def summarize(bench: Benchmark, samples: Samples) -> dict[str, Any]:
    """Medians, spreads and engine/other ratios of one benchmark's samples, plus its target status."""
    med = {c: statistics.median(s) * bench.scale for c, s in samples.items()}
    spread = {}
    for c, s in samples.items():
        q1, _, q3 = statistics.quantiles(s, n=4) if len(s) >= 2 else (s[0], s[0], s[0])
        spread[c] = (q3 - q1) / 2 / statistics.median(s)   # half the IQR, relative to the median
    ratio = {c: paired_ratio(samples[ENGINE], samples[c]) for c in samples if c != ENGINE}
    status = None
    if bench.target is not None:
        if bench.target.needs not in samples:
            status = "n/a"
        else:
            status = "PASS" if bench.target.met(med, ratio) else "MISS"
    # "median" is in `unit`; "samples_s" keeps every round's raw seconds per unit for later analysis.
    return {"title": bench.title, "unit": bench.unit, "median": med, "half_iqr_rel": spread, "ratio": ratio,
            "target": bench.target.text if bench.target else None, "status": status,
            "rounds": len(samples[ENGINE]), "samples_s": samples}


def print_table(rows: list[dict[str, Any]]) -> None:
    """One line per benchmark: every contender's median (± half the IQR), the ratios, the target."""
    def cell(row: dict[str, Any], c: str) -> str:
        if c not in row["median"]:
            return NO_TORCH if c == TORCH and torch is None else "-"
        return f"{row['median'][c]:.3g} ±{row['half_iqr_rel'][c] * 100:.0f}%"

    def ratio(row: dict[str, Any], c: str) -> str:
        return f"{row['ratio'][c]:.2f}x" if c in row["ratio"] else "n/a"

    def load(row: dict[str, Any]) -> str:
        return "?" if row.get("other_load_cpus") is None else f"{row['other_load_cpus']:.2f}"

    header = ["benchmark", "unit", LABELS[ENGINE], LABELS[NUMPY], LABELS[TORCH],
              "engine/NumPy", "engine/PyTorch", "target", "", "other load"]
    body = [[r["title"], r["unit"], cell(r, ENGINE), cell(r, NUMPY), cell(r, TORCH),
             ratio(r, NUMPY), ratio(r, TORCH), r["target"] or "", r["status"] or "", load(r)] for r in rows]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]

    def fmt(line: list[str]) -> str:
        return "  ".join(s.ljust(w) if i < 2 or i in (7, 8) else s.rjust(w)
                         for i, (s, w) in enumerate(zip(line, widths, strict=True))).rstrip()

    print(fmt(header))
    print("  ".join("-" * w for w in widths))
    for line in body:
        print(fmt(line))


def environment(threads: dict[str, Any], cfg: Config, mode: str) -> dict[str, Any]:
    """Everything needed to interpret (or reproduce) the figures: versions, threads, timing settings."""
    return {
        "python": platform.python_version(), "platform": platform.platform(),
        "numpy": np.__version__, "autograd_lite": getattr(al, "__version__", "?"),
        "torch": torch.__version__ if torch is not None else None,
        **threads, "mode": mode, "rounds": cfg.rounds, "block_s": cfg.block_s, "settle_s": cfg.settle_s,
        **{k: os.environ.get(k) for k in ("OPENBLAS_THREAD_TIMEOUT", "GOMP_SPINCOUNT", "OMP_NUM_THREADS")},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few short rounds: a smoke run of a few seconds")
    parser.add_argument("--json", metavar="PATH", type=Path, help="also write the figures to PATH as JSON")
    # One thread by default: the targets' reference figures (NumPy 2.1 ms/step at batch 128) were taken so,
    # and on 2 vCPUs a second BLAS thread left spinning slows whatever runs next (see the top of the file).
    parser.add_argument("--threads", type=int, default=1,
                        help="threads for NumPy's BLAS and PyTorch (default: 1, the reference conditions)")
    parser.add_argument("--rounds", type=int, help="round-robin rounds per benchmark (overrides the mode; "
                        "the heavier steps scale it by their rounds_scale)")
    parser.add_argument("--only", nargs="+", choices=[b.key for b in BENCHMARKS], help="run only these")
    args = parser.parse_args(argv)

    cfg = QUICK if args.quick else FULL
    if args.rounds:
        cfg = dataclasses.replace(cfg, rounds=args.rounds)
    allocator = setup_allocator()
    env = environment(setup_threads(args.threads), cfg, "quick" if args.quick else "full")
    env["allocator"] = allocator
    print(f"autograd_lite {env['autograd_lite']} | NumPy {env['numpy']} | "
          f"PyTorch {env['torch'] or '(not installed)'} | Python {env['python']} | {env['cpu_count']} CPUs")
    print(f"NumPy BLAS threads: {env['numpy_blas_threads'] or 'unknown'} ({env['numpy_blas_source']}); "
          f"torch.get_num_threads(): {env.get('torch_threads', 'n/a')}; OPENBLAS_THREAD_TIMEOUT="
          f"{env['OPENBLAS_THREAD_TIMEOUT']}, GOMP_SPINCOUNT={env['GOMP_SPINCOUNT']}; allocator: {allocator}")
    print(f"{env['mode']} run: {cfg.rounds} interleaved rounds of ~{cfg.block_s * 1e3:g} ms blocks per contender; "
          f"figures are medians ± half the IQR; ratios are medians of per-round ratios;\n"
          f"'other load' = CPUs kept busy by other processes meanwhile (of {env['cpu_count']}; high = noisy figures)\n")

    rows = []
    t_start = time.perf_counter()
    for bench in BENCHMARKS:
        if args.only and bench.key not in args.only:
            continue
        bench_cfg = bench.config(cfg)
        before = cpu_snapshot()
        samples = bench.run(bench_cfg)
        load = other_load(before, cpu_snapshot())
        rows.append({"key": bench.key, **summarize(bench, samples), "other_load_cpus": load,
                     "block_s": bench_cfg.block_s})
    print_table(rows)
    tuned = [r for r in rows if r["rounds"] != cfg.rounds or r["block_s"] != cfg.block_s]
    for r in tuned:
        print(f"{r['key']}: {r['rounds']} rounds of ~{r['block_s'] * 1e3:g} ms blocks (a heavier step)")
    print(f"\n({time.perf_counter() - t_start:.1f} s)")

    if args.json:
        args.json.write_text(json.dumps({"environment": env, "benchmarks": rows}, indent=2, ensure_ascii=False))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
