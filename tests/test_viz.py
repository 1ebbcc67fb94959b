"""Pictures of the graph: the DOT structure matches what was recorded; rendering, steps, modules, text."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
import tracemalloc
import weakref
from pathlib import Path

import numpy as np
import pytest

import autograd_lite as al
import nn
from autograd_lite import viz


def small_graph() -> tuple[al.Tensor, al.Tensor, al.Tensor, al.Tensor]:
    x = al.tensor([[1.0, 2.0], [3.0, 4.0]], name="x")
    w = al.tensor([[0.5, -1.0], [0.25, 2.0]], requires_grad=True, name="w")
    b = al.tensor([0.1, -0.2], requires_grad=True, name="b")
    loss = ((x @ w + b).tanh() * 0.5).sum()
    return x, w, b, loss


def nodes(source: str, prefix: str) -> list[str]:
    """Names of the DOT nodes whose id starts with `prefix` (t: tensors, op: ops, b: backward)."""
    return re.findall(rf"^\s*({prefix}\d+) \[", source, flags=re.M)


def edges(source: str) -> list[tuple[str, str]]:
    return re.findall(r"^\s*(\w+) -> (\w+)", source, flags=re.M)


def test_forward_graph_structure_matches_the_recording() -> None:
    x, w, b, loss = small_graph()
    src = viz.draw_graph(loss).source
    # Tensors: x, w, b, and the outputs of matmul, add, tanh, mul, sum.
    assert len(nodes(src, "t")) == 8
    assert len(nodes(src, "op")) == 5
    # Each op has one edge per tensor input and one to its output: matmul 2+1, add 2+1, tanh, mul, sum 1+1.
    assert len(edges(src)) == 3 + 3 + 2 + 2 + 2
    for shape in ("(2, 2) float32", "(2,) float32", "() float32"):
        assert shape in src
    assert "mul(·, 0.5)" in src and "\nx\n" not in src and "label=\"x\n" in src.replace("label=<", 'label="')


def test_edges_follow_data_flow() -> None:
    x, w, b, loss = small_graph()
    src = viz.draw_graph(loss).source
    e = edges(src)
    sources = {a for a, _ in e}
    targets = {c for _, c in e}
    # Tensors are numbered in topological order: x (an input) first, the loss last.
    # Leaves only send, the output only receives.
    assert "t0" in sources and "t0" not in targets and "label=\"x\n" in src.split("t0 [", 1)[1][:20]
    last = f"t{len(nodes(src, 't')) - 1}"
    assert last in targets and last not in sources


def test_gradients_appear_only_after_backward() -> None:
    x, w, b, loss = small_graph()
    assert "grad [" not in viz.draw_graph(loss).source
    loss.backward(retain_graph=True)
    src = viz.draw_graph(loss).source
    assert src.count("grad [") == 2                      # w and b, the leaves that require grad
    assert "grad [" not in viz.draw_graph(loss, show_grad=False).source


def test_values_small_in_full_large_summarised() -> None:
    small = al.tensor([1.5, -2.0], requires_grad=True)
    big = al.tensor(np.arange(100.0).reshape(10, 10), requires_grad=True)
    src = viz.draw_graph((small * 2).sum() + big.sum(), show_data=True).source
    assert "[ 1.5 -2. ]" in src
    assert "min 0  mean 49.5  max 99" in src and "0.  1.  2." not in src


def test_names_from_params_and_modules() -> None:
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    loss = model(al.randn(5, 3)).sum()
    src = viz.draw_graph(loss, params=dict(model.named_parameters())).source
    for name in ("0.weight", "0.bias", "2.weight", "2.bias"):
        assert name in src


def test_group_modules_draws_a_cluster_per_submodule() -> None:
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    loss = nn.MSELoss()(model(al.randn(5, 3)), al.randn(5, 2))
    src = viz.draw_graph(loss, group_modules=model).source
    labels = [a or b for a, b in re.findall(r'subgraph cluster_\d+ \{\s*graph \[[^\]]*?label=(?:"([^"]*)"|(\w+))', src)]
    assert set(labels) >= {"Sequential", "0 (Linear)", "1 (ReLU)", "2 (Linear)", "MSELoss"}
    collapsed = viz.draw_graph(loss, group_modules=model, collapse=2).source
    assert len(nodes(collapsed, "m")) == 3                # one node per layer of the Sequential
    assert "0.weight (4, 3)" in collapsed
    assert len(nodes(collapsed, "op")) < len(nodes(src, "op"))


def test_backward_view_has_one_vjp_per_op_and_accumulate_grad_per_leaf() -> None:
    x, w, b, loss = small_graph()
    src = viz.draw_graph(loss, view="backward").source
    assert src.count("AccumulateGrad") == 2
    for name in ("SumBackward0", "MulBackward0", "TanhBackward0", "AddBackward0", "MmBackward0"):
        assert name in src
    # Gradient flows from each VJP to the VJP of each input that needs one: sum->mul->tanh->add->{matmul, b},
    # matmul->w.  (x needs no gradient, so no edge.)
    assert len(edges(src)) == 6
    both = viz.draw_graph(loss, view="both").source
    assert "cluster_forward" in both and "cluster_backward" in both


def test_backward_steps_follow_backward_order_and_change_nothing() -> None:
    x, w, b, loss = small_graph()
    steps = list(viz.backward_steps(loss))
    assert len(steps) == 5
    names = [caption.split(": ")[1].split(" ")[0] for caption, _ in steps]
    assert names == ["SumBackward0", "MulBackward0", "TanhBackward0", "AddBackward0", "MmBackward0"]
    assert w.grad is None and b.grad is None              # nothing written to .grad
    # The highlighted op of each picture is the one named in its caption.
    for caption, g in steps:
        highlighted = re.findall(r'^\s*op\d+ \[label="?([^"\]]*?)"? color="#e03131"', g.source, flags=re.M)
        assert highlighted == [caption.split("inputs of ")[1].split("; its rule")[0]], (caption, highlighted)
    # The last picture carries the true leaf gradients; a real backward afterwards is unchanged.
    loss.backward()
    w_grad = np.array2string(w.grad.array, precision=3, suppress_small=True, separator=" ", max_line_width=40)
    assert "grad " + w_grad in steps[-1][1].source
    x2, w2, b2, loss2 = small_graph()
    loss2.backward()
    np.testing.assert_array_equal(w.grad.array, w2.grad.array)
    np.testing.assert_array_equal(b.grad.array, b2.grad.array)


def test_backward_steps_keep_every_gradient_once_known() -> None:
    # w's gradient is final after the matmul step; later pictures must still show it.
    x = al.tensor([[1.0, 2.0]], name="x")
    w = al.tensor([[0.5], [-1.0]], requires_grad=True, name="w")
    b = al.tensor([0.3], requires_grad=True, name="b")
    loss = ((x @ w).tanh() + b).exp().sum()
    steps = list(viz.backward_steps(loss))
    names = [c.split(": ")[1].split(" ")[0] for c, _ in steps]
    first = names.index("MmBackward0")
    for caption, g in steps[first:]:
        w_label = g.source.split("label=\"w\n", 1)[1].split("\"", 1)[0]
        assert "grad" in w_label, caption
    b_first = names.index("AddBackward0")
    for caption, g in steps[b_first:]:
        assert "grad" in g.source.split("label=\"b\n", 1)[1].split("\"", 1)[0], caption


def chain(n: int) -> al.Tensor:
    """y = x * 1.0 * 1.0 ... : n ops, n backward steps."""
    y = al.tensor(1.0, requires_grad=True, name="x")
    for _ in range(n):
        y = y * 1.0
    return y


def test_backward_steps_memory_is_linear_and_pictures_are_drawn_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    # Snapshotting every known gradient at every step is quadratic: it took 1.8 GB (and 6 s) before the first
    # picture of this chain. Linear state is a few MB; 48 MB leaves room for any reasonable bookkeeping.
    y = chain(10_000)
    drawn = []
    draw = viz.draw_graph
    monkeypatch.setattr(viz, "draw_graph", lambda *a, **k: drawn.append(k["highlight"]) or draw(*a, **k))
    tracemalloc.start()
    try:
        start = time.perf_counter()
        steps = viz.backward_steps(y, max_nodes=50)
        first = [next(steps) for _ in range(3)]
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 48 * 2**20, f"peak {peak / 2**20:.0f} MB before the third picture of a 10^4-op chain"
    assert elapsed < 5, f"{elapsed:.1f} s"
    assert len(drawn) == 3                               # drawn one at a time, as asked for
    for k, (caption, g) in enumerate(first, 1):
        assert caption.startswith(f"step {k}/10000: MulBackward0 ")
        assert len(nodes(g.source, "t")) == 50           # max_nodes bounds each picture
        assert "more tensors not drawn (max_nodes=50)" in g.source
        highlighted = re.findall(r'^\s*op\d+ \[label="?([^"\]]*?)"? color="#e03131"', g.source, flags=re.M)
        assert highlighted == ["mul(·, 1)"]            # the step's op is near the output, so it is drawn
    # each step knows the gradients of the tensors it reached: the output and k tensors below it
    assert first[2][1].source.count("grad 1.") == 4


def test_backward_steps_first_picture_of_a_10_5_op_chain() -> None:
    # In a child process with its address space capped at 2 GB, so a quadratic regression fails with a
    # MemoryError in seconds (the quadratic version needed ~180 GB here) instead of exhausting the machine.
    code = textwrap.dedent("""
        import time
        try:
            import resource
            resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30))
        except (ImportError, ValueError, OSError):
            pass
        import autograd_lite as al
        from autograd_lite import viz
        y = al.tensor(1.0, requires_grad=True)
        for _ in range(100_000):
            y = y * 1.0
        start = time.perf_counter()
        caption, g = next(viz.backward_steps(y))
        print(f"{time.perf_counter() - start:.3f}")
        print(caption)
        print(g.source)
    """)
    repo = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (repo, os.environ.get("PYTHONPATH")) if p),
           # one BLAS thread: each thread reserves address space, which the cap counts
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", code], cwd=repo, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    elapsed, caption, source = done.stdout.split("\n", 2)
    assert caption.startswith("step 1/100000: MulBackward0 ")
    assert len(nodes(source, "t")) == 500                 # the default max_nodes bounds the picture
    assert float(elapsed) < 4, f"{elapsed} s to the first picture"


def test_text_summary() -> None:
    x, w, b, loss = small_graph()
    expected = "\n".join([
        "%0 = x                   (2, 2) float32",
        "%1 = w  [requires grad]  (2, 2) float32",
        "%2 = matmul(%0, %1)      (2, 2) float32",
        "%3 = b  [requires grad]  (2,) float32",
        "%4 = add(%2, %3)         (2, 2) float32",
        "%5 = tanh(%4)            (2, 2) float32",
        "%6 = mul(%5, 0.5)        (2, 2) float32",
        "%7 = sum(%6)             () float32",
    ])
    assert viz.summary(loss) == expected


def test_op_attributes_in_labels() -> None:
    t = al.randn(3, 4, requires_grad=True)
    out = t.sum(dim=1, keepdim=True).amax() + t[:, 1].sum() + t.log_softmax(dim=0).mean()
    src = viz.draw_graph(out).source
    assert "sum(dim=1, keepdim=True)" in src and "getitem[:, 1]" in src and "log_softmax(dim=0)" in src
    x = al.randn(1, 2, 5, 5, requires_grad=True)
    src = viz.draw_graph(al.max_pool2d(x, 2).sum() + al.max_pool2d(x, 3, stride=2, padding=1).sum()).source
    assert "max_pool(kernel=(2, 2), stride=(2, 2))" in src                      # settings, not an index array
    assert "max_pool(kernel=(3, 3), stride=(2, 2), padding=(1, 1))" in src


def test_dot_source_is_deterministic() -> None:
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    loss = model(al.randn(5, 3)).sum()
    first = viz.draw_graph(loss, group_modules=model).source
    assert viz.draw_graph(loss, group_modules=model).source == first
    loss2 = model(al.randn(5, 3)).sum()              # a new graph of the same shape: same DOT
    assert viz.draw_graph(loss2, group_modules=model).source == first
    assert "cluster_0" in first


def test_dot_source_is_the_same_in_every_process() -> None:
    # Python salts str hashes per process: nothing may depend on the order of a set of names
    import os
    import subprocess
    import sys
    code = ("import autograd_lite as al, nn\nfrom autograd_lite import viz\nal.manual_seed(0)\n"
            "m = nn.Sequential(nn.Linear(2, 3), nn.Tanh(),\n"
            "                  nn.Sequential(nn.Linear(3, 3), nn.ReLU()), nn.Linear(3, 2))\n"
            "print(viz.draw_graph(m(al.ones(2, 2)).sum(), group_modules=m).source)")
    sources = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout for seed in (1, 2, 3, 4)}
    assert len(sources) == 1


def test_deep_graph_draws_iteratively_and_max_nodes_truncates() -> None:
    x = al.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0
    full = viz.draw_graph(y, max_nodes=20_000).source
    assert len(nodes(full, "op")) == 10_000
    cut = viz.draw_graph(y, max_nodes=50).source
    assert len(nodes(cut, "t")) == 50
    assert "more tensors not drawn (max_nodes=50)" in cut
    assert len(viz.summary(y).splitlines()) == 10_001


def issue_graph() -> tuple[al.Tensor, al.Tensor, al.Tensor, al.Tensor]:
    """The example of the issue on drawing after backward: h is used twice, h * h."""
    x = al.tensor([1.0, 2.0], requires_grad=True, name="x")
    w = al.tensor(3.0, requires_grad=True)
    h = (x * w).tanh()
    return x, w, h, (h * h).sum()


def test_drawing_after_a_plain_backward_shows_all_but_the_freed_values() -> None:
    x, w, h, loss = issue_graph()
    loss.backward()                                   # no retain_graph: the graph's arrays are freed
    assert loss.grad_fn.inputs is None                # (the engine's own record is released)
    src = viz.draw_graph(loss, show_data=True).source
    assert re.findall(r"^\s*op\d+ \[label=(\w+)", src, flags=re.M) == ["mul", "tanh", "mul", "sum"]
    # The leaves and the loss are held: their values and gradients are drawn; the intermediates' values are gone.
    assert f'label="x\n(2,) float32\nrequires grad\n[1. 2.]\ngrad {viz._values(x.grad.array)}"' in src
    assert f'label="() float32\nrequires grad\n3.\ngrad {viz._values(w.grad.array)}"' in src
    assert f'label="output\n() float32\n{viz._values(loss.array)}"' in src
    assert src.count('label="(2,) float32\n(value freed by backward)"') == 3      # x * w, h, h * h
    # Tensors are numbered in topological order (x, w, x * w, h, h * h, loss): h * h draws two edges from h.
    assert edges(src).count(("t3", "op4")) == 2 and ("t4", "op5") in edges(src)
    # Without values, the picture is the one drawn from a graph kept with retain_graph=True, in both views.
    kept = issue_graph()
    kept[3].backward(retain_graph=True)
    for view in ("forward", "backward", "both"):
        assert viz.draw_graph(loss, view=view).source == viz.draw_graph(kept[3], view=view).source, view


def test_summary_and_next_functions_after_backward_are_as_before() -> None:
    def graph():
        a = al.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, name="a")
        v = al.tensor([0.5, -1.0], requires_grad=True)
        data = al.tensor([2.0, 3.0])                               # needs no gradient
        m = (a @ v).reshape(1, 2)                                   # MvBackward0, then UnsqueezeBackward0
        y = (2.0 - m) ** v + (m * data).clamp(v, 9.0)               # RsubBackward1, PowBackward1, ClampBackward0
        return y.sum()

    def walk(fn):        # the graph below fn, by PyTorch's names, as PyTorch's autograd tutorial walks it
        return None if fn is None else (fn.name(), tuple(walk(f) for f, _ in fn.next_functions))

    loss, kept = graph(), graph()
    before, listing = walk(loss.grad_fn), viz.summary(loss)
    assert "MvBackward0" in str(before) and "UnsqueezeBackward0" in str(before) and "PowBackward1" in str(before)
    top = [f for f, _ in loss.grad_fn.next_functions]
    loss.backward()
    assert walk(loss.grad_fn) == before and viz.summary(loss) == listing
    assert [f for f, _ in loss.grad_fn.next_functions] == top       # the same nodes, not copies
    kept.backward(retain_graph=True)
    assert viz.summary(kept) == listing


def test_a_second_backward_still_raises_and_steps_say_how_to_see_them() -> None:
    x, w, h, loss = issue_graph()
    loss.backward()
    viz.draw_graph(loss)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()
    with pytest.raises(RuntimeError, match=r"backward_steps.*freed.*retain_graph=True.*before backward"):
        next(viz.backward_steps(loss))
    x, w, h, loss = issue_graph()
    assert "saves" in viz.draw_graph(loss, show_saved=True).source
    loss.backward()
    assert "saves" not in viz.draw_graph(loss, show_saved=True).source      # nothing is kept for backward now


def test_backward_still_frees_the_intermediate_arrays() -> None:
    # A chain of ops on 1 MB arrays: after a plain backward, the intermediate tensors (and their arrays) are gone;
    # only the structure stays, which costs bytes, not megabytes.
    x = al.tensor(np.ones(2**18, dtype=np.float32), requires_grad=True)
    tracemalloc.start()
    try:
        y, refs = x, []
        for _ in range(8):
            y = y * 1.5
            refs.append(weakref.ref(y))
        mask = al.tensor(np.ones(2**18, dtype=np.float32))   # a leaf that needs no gradient, held by nothing else
        refs.append(weakref.ref(mask))
        loss = (y * mask).sum()
        del y, mask
        held = tracemalloc.get_traced_memory()[0]
        loss.backward()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert all(r() is None for r in refs)
    assert held - after > 8.5 * 2**20, f"only {(held - after) / 2**20:.1f} MB freed"
    src = viz.draw_graph(loss, columns=1).source
    assert src.count("(262144,) float32") == 11               # x, eight products, the mask, mask * y
    assert len(edges(src)) == 2 * 10 + 1


def test_keep_grads_shows_the_gradients_retain_grad_would_give() -> None:
    def graph():
        x = al.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True, name="x")
        w = al.tensor([[0.3, 0.1], [-0.2, 0.4]], requires_grad=True, name="w")
        h1 = x @ w
        h2 = h1.tanh()
        h3 = h2 * h2
        h4 = h3 + x
        return [h1, h2, h3, h4, h4.sum()]

    retained = graph()
    for t in retained:
        t.retain_grad()
    retained[-1].backward(retain_graph=True)
    kept = graph()
    with viz.keep_grads():
        kept[-1].backward()                                   # plain: its graph is freed
    for t, t2 in zip(retained, kept):
        np.testing.assert_array_equal(viz.KEPT_GRADS[t2.grad_fn], t.grad.array)
        assert t2.grad is None                                # no .grad where none was asked for
    src = viz.draw_graph(kept[-1]).source
    assert src == viz.draw_graph(retained[-1]).source          # the same gradients drawn, on every tensor
    assert src.count("grad [") == 2 + 4 and "grad 1." in src
    assert "\ngrad " not in viz.draw_graph(kept[-1], show_grad=False).source


def test_keep_grads_changes_no_grad_and_nests() -> None:
    x, w, h, loss = issue_graph()
    loss.backward()
    x2, w2, h2, loss2 = issue_graph()
    with viz.keep_grads():
        loss2.backward()
    np.testing.assert_array_equal(x2.grad.array, x.grad.array)
    np.testing.assert_array_equal(w2.grad.array, w.grad.array)
    assert x2.grad.dtype == x.grad.dtype
    z = al.tensor([1.0, 2.0], requires_grad=True)
    y = z + 1.0                                               # add hands y's gradient array on to z's .grad
    with viz.keep_grads():
        (y * y).sum().backward()
    kept = viz.KEPT_GRADS[y.grad_fn].copy()
    np.testing.assert_array_equal(kept, z.grad.array)
    z.grad.array[...] = 7.0                                   # an in-place update of a .grad changes no kept one
    np.testing.assert_array_equal(viz.KEPT_GRADS[y.grad_fn], kept)
    with viz.keep_grads():
        with viz.keep_grads():
            pass
        a = issue_graph()[3]
        a.backward()                                          # after the inner block: still kept
    b = issue_graph()[3]
    b.backward()                                              # after both: as before
    assert a.grad_fn in viz.KEPT_GRADS and b.grad_fn not in viz.KEPT_GRADS
    with pytest.raises(KeyError), viz.keep_grads():
        raise KeyError("a failure inside the block")
    c = issue_graph()[3]
    c.backward()
    assert c.grad_fn not in viz.KEPT_GRADS                    # restored on an exception too
    before = len(viz.KEPT_GRADS)
    del a, kept
    import gc

    gc.collect()
    assert len(viz.KEPT_GRADS) < before                        # they go with the graph


def test_missing_dot_names_the_package_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    x, w, b, loss = small_graph()
    g = viz.draw_graph(loss)
    monkeypatch.setenv("PATH", "")
    with pytest.raises(viz.GraphvizNotFoundError, match="apt-get install graphviz.*brew install graphviz.*conda"):
        g.pipe(format="svg")
    assert "digraph" in g.source                          # the DOT source needs no install


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's `dot` program is not installed")
def test_renders_real_svg(tmp_path) -> None:
    x, w, b, loss = small_graph()
    loss.backward(retain_graph=True)
    svg = viz.draw_graph(loss, show_data=True, view="both").pipe(format="svg").decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "matmul" in svg and "AccumulateGrad" in svg
    path = viz.draw_graph(loss).render(tmp_path / "g", format="png", cleanup=True)
    assert (tmp_path / "g.png").stat().st_size > 1000 and path.endswith("g.png")


GALLERY = Path(__file__).resolve().parent.parent / "docs" / "gallery" / "make_gallery.py"


def gallery():
    """docs/gallery/make_gallery.py, imported: its `main` and its models."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_gallery", GALLERY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's `dot` program is not installed")
def test_gallery_script_draws_every_picture(tmp_path) -> None:
    script = GALLERY
    paths = gallery().main(["--out", str(tmp_path)])
    assert len(paths) >= 6
    for p in paths:
        assert p.read_text().lstrip().startswith("<?xml")
    # every picture the gallery page shows is one the script makes
    page = (script.parent / "README.md").read_text()
    for shown in re.findall(r"\]\(([\w]+\.svg)\)", page):
        assert (tmp_path / shown).exists(), shown
    player = (tmp_path / "mlp_step_through.html").read_text()        # the step-through page, linked there too
    assert player.startswith("<!DOCTYPE html>") and "mlp_step_through.html" in page


def test_one_edge_per_operand_use_and_operand_roles_where_order_matters() -> None:
    a = al.tensor([1.0, 2.0], requires_grad=True, name="a")
    b = al.tensor([3.0, 4.0], requires_grad=True, name="b")
    e = edges(al.draw_graph((a * a).sum()).source)
    assert e.count(("t0", "op1")) == 2          # a * a: two uses of a, two edges (their gradients add up)
    src = al.draw_graph((a - b).sum() + (b / a).sum()).source
    lines = [line.strip() for line in src.splitlines() if "->" in line]
    labelled = [line for line in lines if line.endswith(('label=" x" fontsize=9]', 'label=" y" fontsize=9]'))]
    assert len(labelled) == 4                   # sub and div each label their x and y
    w = al.randn(2, 3, requires_grad=True)
    layer = nn.Linear(3, 2)
    src = al.draw_graph(layer(w).sum() + (w @ w.T).sum()).source
    for role in ("input", "weight", "bias", "x", "y"):
        assert f'label=" {role}"' in src
    assert al.draw_graph is viz.draw_graph       # where users look for it, as the graph-drawing issue said


def test_labels_read_as_pytorch_and_without_noise() -> None:
    x = al.randn(1, 1, 6, 6, requires_grad=True)
    assert viz.op_label(nn.Conv2d(1, 2, 3)(x).grad_fn) == "conv"                     # defaults are not shown
    assert viz.op_label(nn.Conv2d(1, 2, 3, padding=1, stride=2)(x).grad_fn) == "conv(stride=2, padding=1)"
    assert viz.op_label(nn.Conv2d(1, 2, 3, padding=(1, 2))(x).grad_fn) == "conv(padding=(1, 2))"
    assert viz._values(np.array([-0.0, -1e-9, 2.5, -3.0])) == "[ 0.   0.   2.5 -3. ]"   # no negative zeros
    big = al.tensor(np.linspace(-1.0, 1.0, 100), requires_grad=True)
    (big * big).sum().backward()
    src = al.draw_graph(big, show_data=True).source
    assert "|value| " in src and "|grad| " in src and "|x|" not in src             # whose norm it is


def test_model_summary_lists_layers_with_activation_shapes_and_parameter_counts() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch (the test-only oracle) is not installed")

    def lenet(m):
        return m.Sequential(m.Conv2d(1, 6, 5, padding=2), m.Tanh(), m.AvgPool2d(2), m.Conv2d(6, 16, 5), m.Tanh(),
                            m.AvgPool2d(2), m.Flatten(), m.Linear(400, 120), m.Tanh(), m.Linear(120, 84), m.Tanh(),
                            m.Linear(84, 10))

    ours, theirs = lenet(nn), lenet(torch.nn)
    table = viz.summary(ours, al.randn(2, 1, 28, 28))
    assert table == viz.model_summary(ours, al.randn(2, 1, 28, 28))
    x = torch.randn(2, 1, 28, 28)
    for layer in theirs:              # every layer's output shape and parameter count, as PyTorch computes them
        x = layer(x)
        count = sum(p.numel() for p in layer.parameters())
        row = next(line for line in table.splitlines() if line.strip().startswith(type(layer).__name__)
                   and f"{list(x.shape)}" in line)
        assert row.rstrip().endswith(f"{count:,}")
    total = sum(p.numel() for p in theirs.parameters())
    assert f"Total params: {total:,}" in table and f"Trainable params: {total:,}" in table
    assert "[2, 6, 14, 14]" in table and "[2, 16, 5, 5]" in table        # 28 -> 14 -> 10 -> 5
    assert not any(h for m in ours.modules() for h in (m._forward_hooks, m._forward_pre_hooks))   # removed


def test_collapsed_layers_show_the_activation_shapes_between_them() -> None:
    model = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5),
                          nn.Tanh(), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(400, 10))
    loss = model(al.randn(2, 1, 28, 28)).sum()
    src = al.draw_graph(loss, group_modules=model, collapse=2).source
    shapes = re.findall(r"m\d+ -> m\d+ \[label=\" (\([^)]*\))\"", src)
    assert shapes == ["(2, 6, 28, 28)", "(2, 6, 28, 28)", "(2, 6, 14, 14)", "(2, 16, 10, 10)", "(2, 16, 10, 10)",
                      "(2, 16, 5, 5)", "(2, 400)"]                                   # 28 -> 14 -> 10 -> 5


def test_compact_mode_draws_scalars_as_micrograd_does() -> None:
    a = al.tensor(2.0, requires_grad=True, name="a")
    b = al.tensor(-3.0, requires_grad=True, name="b|x")
    d = (a * b + a).tanh()
    d.backward(retain_graph=True)
    src = al.draw_graph(d, compact=True).source
    grad_a = (1 - np.tanh(-4.0) ** 2) * (-3.0 + 1)
    assert f'label="{{ a | data 2.0000 | grad {grad_a:.4f} }}"' in src
    assert 'label="{ b\\|x | data -3.0000 | grad' in src          # record characters in a name are escaped
    assert "() float32" not in src and src.count("shape=record") == 5
    assert "() float32" in al.draw_graph(d).source                  # the full labels stay the default


def test_step_captions_quote_the_rule_from_the_table() -> None:
    from autograd_lite import engine, ops

    assert viz.rule_text("tanh") == ["g * (1 - out * out)"] and viz.rule_text("mul") == ["g * y", "g * x"]
    for name, prim in vars(ops).items():                       # every primitive of the table has its rule text
        if isinstance(prim, engine.Primitive) and not name.startswith("_"):
            assert viz.rule_text(prim.name), prim.name
    x = al.tensor([1.0, 2.0], requires_grad=True)
    captions = [c for c, _ in viz.backward_steps((x * x).tanh().sum())]
    assert captions[1].endswith("TanhBackward0 sends gradients to the inputs of tanh; its rule from the table: "
                                "g * (1 - out * out)")
    assert captions[2].endswith("its rules from the table: g * y, g * x")


def test_recurrent_cells_name_their_gates_as_pytorch_documents_them() -> None:
    x, h0, c0 = al.randn(1, 3), al.zeros(1, 2), al.zeros(1, 2)
    h, c = nn.LSTMCell(3, 2)(x, (h0, c0))
    src = viz.draw_graph(h.sum()).source
    for gate in ("i", "f", "g", "o"):                         # i = sigmoid(...), g = tanh(...): the docs' equations
        assert src.count(f'label="{gate}\n(1, 2) float32"') == 1, gate
    assert h.name is None and c.name is None and "name=" not in repr(h)     # what the step returns prints as before
    h = nn.GRUCell(3, 2)(x, h0)
    src = viz.draw_graph(h.sum()).source
    for gate in ("r", "z", "n"):
        assert src.count(f'label="{gate}\n(1, 2) float32"') == 1, gate
    # nn.LSTM runs the fused cell: its operands by their roles, each step's states by time step
    out, (h_n, c_n) = nn.LSTM(3, 2)(al.randn(3, 1, 3))
    src = viz.draw_graph(out.sum(), columns=1).source
    for role in ("input_gates", "hidden_gates", "cx"):
        assert src.count(f'label=" {role}"') == 3, role
    for t in range(3):                           # (the last c_t reaches only c_n, not drawn here)
        assert f'label="h_{t}\n' in src and (t == 2 or f'label="c_{t}\n' in src)
    assert out.name is None and h_n.name is None and c_n.name is None
    out, _ = nn.GRU(3, 2, num_layers=2)(al.randn(2, 1, 3))
    assert 'label="h_1_l1\n' in viz.draw_graph(out.sum()).source          # a layer's steps say which layer


def lenet_loss() -> tuple[nn.Module, al.Tensor]:
    """The gallery's LeNet-5 on one 28x28 image: the deep, sequential graph that has to fit a page."""
    al.manual_seed(0)
    model = gallery().LeNet5()
    return model, nn.CrossEntropyLoss()(model(al.randn(1, 1, 28, 28)), al.tensor([3]))


def test_deep_graphs_wrap_into_columns_between_modules_small_ones_stay_one_column() -> None:
    model, loss = lenet_loss()
    src = viz.draw_graph(loss, group_modules=model, params=dict(model.named_parameters())).source
    assert src.count("[shape=point style=invis]") == 2 and 'label=LeNet5 labelloc=t' in src     # two columns
    # one cut, between the two Sequentials: the only edge from one column to the other is the activation
    crossing = [line.strip() for line in src.splitlines() if "constraint=false" in line]
    assert len(crossing) == 1
    a, b = re.match(r"(\w+) -> (\w+)", crossing[0]).groups()
    assert 'label="(1, 16, 5, 5) float32"' in src.split(f"\t{a} [", 1)[1].split("\n", 1)[0]
    assert 'label="reshape(shape=(1, 400))"' in src.split(f"\t{b} [", 1)[1].split("\n", 1)[0]
    single = viz.draw_graph(loss, group_modules=model, columns=1).source
    assert "constraint" not in single and "invis" not in single and "label=LeNet5" in single   # its frame, as before
    assert viz.draw_graph(loss, group_modules=model, collapse=3).source.count("constraint=false") == 1
    # graphs that fit a screen as they are keep today's picture
    mlp = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 2))
    small = nn.CrossEntropyLoss()(mlp(al.randn(2, 2)), al.tensor([1, 0]))
    a, b, c = (al.tensor(v, requires_grad=True) for v in (2.0, -3.0, 10.0))
    for root, kwargs in ((small, {"group_modules": mlp, "show_data": True}), (small, {}), (a * b + c, {})):
        assert viz.draw_graph(root, **kwargs).source == viz.draw_graph(root, columns=1, **kwargs).source
    assert viz.draw_graph(a * b + c, columns=2).source.count("constraint=false") >= 1      # unless asked
    assert "constraint" not in viz.draw_graph(loss, rankdir="LR").source                   # a layout of your own
    with pytest.raises(ValueError, match="columns must be at least 1"):
        viz.draw_graph(loss, columns=0)


def _svg_size(graph: viz.Graph) -> tuple[float, float]:
    svg = graph.pipe(format="svg").decode()
    width, height = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups()
    return float(width), float(height)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's `dot` program is not installed")
def test_lenet_and_an_unrolled_lstm_fit_a_page_with_fonts_unchanged() -> None:
    # One column, LeNet-5 was 666 x 2523 pt (at 72 dpi: 1 pt a pixel), the LSTM 836 x 3497: a page or a
    # screen showed them shrunk to a third. Wrapped, both sides stay under 1600 pt at full size.
    model, loss = lenet_loss()
    params = dict(model.named_parameters())
    for collapse in (False, 3):
        graph = viz.draw_graph(loss, group_modules=model, params=params, collapse=collapse)
        width, height = _svg_size(graph)
        assert width <= 1600 and height <= 1600, (collapse, width, height)
        assert 'font-size="10.00"' in graph.pipe(format="svg").decode()          # the labels' size, not shrunk
    one_column = _svg_size(viz.draw_graph(loss, group_modules=model, params=params, columns=1))
    assert one_column[1] > 2000
    lstm = nn.LSTM(4, 8)
    out, _ = lstm(al.randn(5, 1, 4))
    width, height = _svg_size(viz.draw_graph(out.sum(), group_modules=lstm, params=dict(lstm.named_parameters())))
    assert width <= 1650 and height <= 1650, (width, height)
