"""Checkpoint benchmark: `nn.load` of an ~88 MB checkpoint against NumPy reading the same bytes, and what
`nn.load` does with /dev/zero and a FIFO.

Run from the repository root (Linux: it reads /proc and sets resource limits):

    python benchmarks/bench_checkpoint.py               # ~88 MB of float32 tensors, 5 runs each
    python benchmarks/bench_checkpoint.py --mb 500 --runs 3
    python benchmarks/bench_checkpoint.py --cold         # from disk: the file is dropped from the page cache

Each measurement runs in a fresh Python process, so that its peak resident memory is its own: "peak" is the
process's peak RSS (VmHWM) after the call minus its RSS just before it, as a multiple of the file size.
The file was just written, so it is read from the page cache, unless --cold drops it from the cache before each
run. `np.fromfile` of the whole file is the "disk speed" reference: the least any loader has to do, read every
byte into fresh memory once.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Run in a child process: argv = root, what ("load" or "fromfile"), path, "cold" or "warm". Prints seconds, peak
# bytes and the outcome.
CHILD = r"""
import os, sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np
import nn

def status(field):  # bytes; VmHWM is the peak RSS of this program (ru_maxrss would include the parent's at fork)
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(field + ":"))

what, path, cold = sys.argv[2], sys.argv[3], sys.argv[4] == "cold"
assert nn.__file__.startswith(sys.argv[1]), nn.__file__
if cold:  # drop this file's pages from the page cache (they are clean: save fsyncs), so it is read from disk
    fd = os.open(path, os.O_RDONLY)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)
before = status("VmRSS")
start = time.perf_counter()
try:
    out = nn.load(path) if what == "load" else np.fromfile(path, np.uint8)
    outcome = "ok"
except BaseException as e:
    outcome = f"{type(e).__name__}: {e}"
seconds = time.perf_counter() - start
peak = status("VmHWM") - before
print(seconds, peak, outcome, sep="\n")
"""


def run_child(what: str, path: str, timeout: float, limit_bytes: int | None = None,
              cold: bool = False) -> tuple[float, int, str]:
    def limit() -> None:  # so that a loader reading /dev/zero fails with MemoryError instead of filling the machine
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))

    try:
        done = subprocess.run([sys.executable, "-c", CHILD, ROOT, what, path, "cold" if cold else "warm"],
                              capture_output=True, text=True, timeout=timeout,
                              preexec_fn=limit if limit_bytes else None)
    except subprocess.TimeoutExpired:
        return timeout, 0, f"still running after {timeout:g} s (killed)"
    if done.returncode != 0:
        return 0.0, 0, f"child exited with {done.returncode}: {done.stderr.strip()[-300:]}"
    seconds, peak, outcome = done.stdout.strip().split("\n", 2)
    return float(seconds), int(peak), outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=88, help="checkpoint size in MB (default 88)")
    parser.add_argument("--runs", type=int, default=5, help="processes per measurement (default 5)")
    parser.add_argument("--cold", action="store_true", help="read from disk, not from the page cache")
    args = parser.parse_args()
    sys.path.insert(0, ROOT)
    import autograd_lite as al
    import nn

    rng = np.random.default_rng(0)
    state = {}
    for i in range(max(1, round(args.mb * 1e6 / (4 * 1025 * 1024)))):  # a model's state dict: 1024x1024 layers
        state[f"layer{i}.weight"] = al.tensor(rng.standard_normal((1024, 1024), dtype=np.float32))
        state[f"layer{i}.bias"] = al.tensor(rng.standard_normal(1024, dtype=np.float32))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "ckpt.safetensors")
        nn.save(state, path)
        size = os.path.getsize(path)
        print(f"checkpoint: {len(state)} float32 tensors (1024x1024 weights and their biases), {size / 1e6:.1f} MB, "
              f"read from {'disk' if args.cold else 'the page cache'}, {args.runs} runs each (median, min)")
        for what, label in [("fromfile", "np.fromfile (disk speed)"), ("load", "nn.load")]:
            results = [run_child(what, path, timeout=120, cold=args.cold) for _ in range(args.runs)]
            bad = [outcome for _, _, outcome in results if outcome != "ok"]
            if bad:
                print(f"  {label:26} failed: {bad[0]}")
                continue
            times = [t for t, _, _ in results]
            peaks = [p / size for _, p, _ in results]
            print(f"  {label:26} {statistics.median(times) * 1e3:8.1f} ms (min {min(times) * 1e3:.1f}), "
                  f"{size / statistics.median(times) / 1e9:.2f} GB/s, "
                  f"peak memory {statistics.median(peaks):.2f}x the file size")

        fifo = os.path.join(tmp, "fifo")
        os.mkfifo(fifo)
        for label, target, timeout in [("nn.load('/dev/zero')", "/dev/zero", 60), ("nn.load(a FIFO)", fifo, 5)]:
            seconds, peak, outcome = run_child("load", target, timeout, limit_bytes=4 << 30)
            print(f"{label}: {outcome}\n  after {seconds * 1e3:.1f} ms, peak memory {peak / 1e6:.0f} MB "
                  f"(child limited to 4 GiB of address space)")


if __name__ == "__main__":
    main()
