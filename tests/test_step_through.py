"""viz.step_through and its player (player.py): frames and captions as data, the page, the page in a browser."""

from __future__ import annotations

import html
import io
import os
import re
import shutil
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import autograd_lite as al
import nn
from autograd_lite import viz

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's `dot` is not installed (the OS package `graphviz`)")
pytestmark = needs_dot


def two_uses() -> tuple[al.Tensor, al.Tensor, al.Tensor, al.Tensor]:
    """loss = sum(tanh(x * w) * tanh(x * w)), with h = tanh(x * w) used twice by one op."""
    x = al.tensor([1.0, 2.0], requires_grad=True, name="x")
    w = al.tensor(0.5, requires_grad=True, name="w")
    h = (x * w).tanh()
    h.name = "h"
    return x, w, h, (h * h).sum()


def branches() -> tuple[al.Tensor, al.Tensor]:
    """y = a * 2 feeds two ops (exp and sin), so its gradient arrives in two steps."""
    a = al.tensor([0.5, -1.0, 2.0], requires_grad=True, name="a")
    y = a * 2
    y.name = "y"
    return a, (y.exp() + y.sin()).sum()


def recorded_ops(root: al.Tensor) -> int:
    tensors, _, _ = viz._walk((root,), 10**9)
    return sum(1 for t in tensors if t.grad_fn is not None)


def test_one_frame_per_op_forward_and_per_rule_application_backward() -> None:
    _, _, _, loss = two_uses()
    st = viz.step_through(loss)
    forward = [f for f in st.frames if "fwd" in f]
    backward = [f for f in st.frames if "bwd" in f]
    assert len(forward) == recorded_ops(loss) == 4
    assert len(backward) == len(list(viz.backward_steps(loss))) == 4
    assert len(st) == len(st.captions) == 8
    assert [f["fwd"] for f in forward] == [1, 2, 3, 4] and st.frames[:4] == forward   # forward first
    # Forward: each op appears after its inputs; the leaves are there from the start.
    assert st.appear["t0"] == st.appear["t1"] == 0
    assert sorted(v for k, v in st.appear.items() if k.startswith("op")) == [1, 2, 3, 4]
    assert st.captions[0] == "Forward 1/4: mul gives (2,) = [0.5, 1]."
    assert st.captions[1] == "Forward 2/4: tanh gives h (2,) = [0.4621, 0.7616]."
    assert st.captions[3].startswith("Forward 4/4: sum gives output () = 0.7936")


def test_backward_captions_quote_the_table_and_the_numbers() -> None:
    x, w, h, loss = two_uses()
    st = viz.step_through(loss)
    backward = st.captions[4:]
    names = [c.split(" runs ")[0] for c in backward]
    assert names == ["Backward 1/4: SumBackward0", "Backward 2/4: MulBackward0", "Backward 3/4: TanhBackward0",
                     "Backward 4/4: MulBackward0"]
    for caption, op in zip(backward, ["sum", "mul", "tanh", "mul"]):
        for code in viz.rule_text(op):
            assert code in caption, (op, caption)
    tanh = backward[2]
    assert "to x: g * (1 - out * out) (1 - tanh^2)" in tanh
    # the numbers that went into tanh's rule, and what its input got: g (1 - out^2)
    h_value = np.tanh(np.array([0.5, 1.0]))
    g = 2 * h_value
    assert f"g = [{g[0]:.4g}, {g[1]:.4g}], out = [{h_value[0]:.4g}, {h_value[1]:.4g}]" in tanh
    got = g * (1 - h_value ** 2)
    assert f"mul's result (2,) gets [{got[0]:.4g}, {got[1]:.4g}]" in tanh
    # h * h: both uses add up in one step, and the caption says so
    assert "h (2,) gets" in backward[1] and "(all 2 added up)" in backward[1]
    # the last step reaches the leaves, with their names
    assert "x (2,) gets" in backward[3] and "w () gets" in backward[3]


def test_partial_gradients_are_marked_until_every_use_has_sent_its_part() -> None:
    a, loss = branches()
    st = viz.step_through(loss)
    captions = "\n".join(st.captions)
    assert captions.count("(1 of 2, partial)") == 1 and captions.count("(all 2 added up)") == 1
    # y's gradient: after the first of exp/sin, partial (1 of 2); after the second, complete
    y_title = next(k for k, v in st.grads.items() if any("partial" in c for c in st.captions) and len(v) >= 2
                   and v[0][2:] == [1, 2])
    changes = st.grads[y_title]
    assert [c[2:] for c in changes[:2]] == [[1, 2], [2, 2]]
    y = 2 * np.array([0.5, -1.0, 2.0])
    first, second = changes[0][1][0], changes[1][1][0]
    parts = {f"grad {viz._values(np.exp(y).astype(np.float32), 'grad')}",
             f"grad {viz._values(np.cos(y).astype(np.float32), 'grad')}"}
    assert first in parts                                 # one of the two contributions
    assert second == f"grad {viz._values((np.exp(y) + np.cos(y)).astype(np.float32), 'grad')}"   # their sum


def test_it_changes_no_gradient() -> None:
    x, w, h, loss = two_uses()
    viz.step_through(loss)
    assert x.grad is None and w.grad is None               # nothing written to .grad
    loss.backward()
    x2, w2, _, loss2 = two_uses()
    loss2.backward()
    assert np.array_equal(x.grad.array, x2.grad.array) and np.array_equal(w.grad.array, w2.grad.array)
    # ...and the step-through's last gradients are backward's
    st = viz.step_through(two_uses()[3])
    assert st.grads["t0"][-1][1] == ["grad " + viz._values(x2.grad.array, "grad")]


def test_the_page_is_self_contained_and_shows_in_jupyter(tmp_path: Path) -> None:
    _, _, _, loss = two_uses()
    st = viz.step_through(loss)
    page = st.html()
    assert "http://" not in page and "https://" not in page                     # no resource from anywhere
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=|@import|url\(", page)
    assert page.count("<svg") == 1 and page.count("<script>") == 1
    for caption in st.captions:
        assert caption.replace("</", "<\\/") in page or html.escape(caption) in page or caption in page
    path = st.save(tmp_path / "backprop")
    assert path.name == "backprop.html" and path.read_text(encoding="utf-8") == page
    shown = st._repr_html_()
    assert shown.startswith("<iframe srcdoc=") and html.escape(page, quote=True) in shown


def test_errors_and_truncation() -> None:
    with pytest.raises(RuntimeError, match="step_through: the tensor does not require grad"):
        viz.step_through(al.tensor([1.0, 2.0]).sum())
    with pytest.raises(TypeError, match="step_through: expected a Tensor"):
        viz.step_through(np.ones(3))
    y = al.tensor(1.0, requires_grad=True)
    for _ in range(300):
        y = y * 1.0
    st = viz.step_through(y, max_nodes=40)
    assert len([f for f in st.frames if "fwd" in f]) == 40      # the ops that made the 40 tensors drawn
    assert len([f for f in st.frames if "bwd" in f]) == 40
    assert "Only the 40 tensors nearest the output are drawn (max_nodes=40); 261 more" in st.note
    assert st.note in st.html()


def test_modules_and_names() -> None:
    al.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    loss = nn.functional.cross_entropy(model(al.randn(5, 3)), al.tensor([0, 1, 1, 0, 1]))
    st = viz.step_through(loss, params=dict(model.named_parameters()), group_modules=model)
    assert len([f for f in st.frames if "fwd" in f]) == 5
    assert "0.weight (4, 3) gets its gradient" in st.captions[-1]       # large tensors: no numbers
    assert "to w (0.weight): _linear_rule_w (dW = g^T x" in st.captions[-1]
    assert "cluster" in st.svg and "0 (Linear)" in st.svg


def chain(n: int, size: int) -> al.Tensor:
    y = al.tensor(np.ones(size, dtype=np.float32), requires_grad=True)
    for _ in range(n):
        y = y * 1.0
    return y.sum()


@pytest.mark.parametrize("size", [1, 256])
@pytest.mark.parametrize("player", ["step_through", "backward_steps"])
def test_memory_is_a_small_multiple_of_the_graph(size: int, player: str) -> None:
    # The graph's own size: what recording it allocated. Both keep each gradient as it changed (about one array
    # per tensor) and draw only what they show: a small multiple of the graph, never graph x steps (the first
    # version of backward_steps took 1.8 GB here, for a graph of a few MB).
    viz.table_rules("mul")                       # (ops.py's table, read once per process: not the graph's cost)
    tracemalloc.start()
    try:
        y = chain(10_000, size)
        graph = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        start = time.perf_counter()
        if player == "step_through":
            shown = len(viz.step_through(y, max_nodes=50))
        else:
            steps = viz.backward_steps(y, max_nodes=50)
            shown = len([next(steps) for _ in range(3)])
        peak = tracemalloc.get_traced_memory()[1] - graph
        elapsed = time.perf_counter() - start
    finally:
        tracemalloc.stop()
    print(f"{player}, elements {size}: graph {graph / 2**20:.1f} MB, peak {peak / 2**20:.1f} MB above it "
          f"({peak / graph:.2f}x), {elapsed:.2f} s")
    assert peak < 3 * graph, f"{player} took {peak / 2**20:.1f} MB for a graph of {graph / 2**20:.1f} MB"
    assert shown == (2 * 50 if player == "step_through" else 3)


# ---------------------------------------------------------------------------------------------
# In a real browser: headless Chromium driven by Selenium
# ---------------------------------------------------------------------------------------------

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def browser() -> Any:
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.skip(f"headless Chromium is not installed ({CHROMIUM}, {CHROMEDRIVER}): the OS packages `chromium` "
                    "and `chromium-driver` (scripts/test.sh installs them where it can)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="Selenium is not installed (pip install selenium)")
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_AVOID_STATS"] = "true"             # Selenium Manager: no statistics, no downloads
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1000,900"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def visible(driver: Any, title: str) -> bool:
    return driver.execute_script(
        "const g = [...document.querySelectorAll('g.node')].find(n => n.querySelector('title').textContent === "
        "arguments[0]); return getComputedStyle(g).visibility === 'visible';", title)


def node_texts(driver: Any, title: str) -> list[str]:
    return driver.execute_script(
        "const g = [...document.querySelectorAll('g.node')].find(n => n.querySelector('title').textContent === "
        "arguments[0]); return [...g.querySelectorAll(':scope > text:not(.badge)')].map(t => t.textContent);", title)


def test_in_a_real_browser(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _, _, _, loss = two_uses()
    st = viz.step_through(loss)
    path = st.save(tmp_path / "backprop.html")
    browser.get(path.as_uri())
    caption = lambda: browser.find_element(By.ID, "caption").text     # noqa: E731
    counter = lambda: browser.find_element(By.ID, "counter").text     # noqa: E731
    output = max(st.appear, key=lambda k: (st.appear[k], k))          # the last op's result

    # Frame 1: the first op has run; the output has not.
    assert caption() == st.captions[0] and counter() == "frame 1 of 8"
    assert visible(browser, "t0") and visible(browser, "op2") and not visible(browser, "t5")
    assert not visible(browser, output)
    # "next" shows frame 2.
    browser.find_element(By.ID, "next").click()
    assert caption() == st.captions[1] and counter() == "frame 2 of 8"
    # The slider, moved with the keyboard as a user would: to the end, then one back.
    slider = browser.find_element(By.ID, "slider")
    slider.send_keys(Keys.END)
    assert caption() == st.captions[-1] and counter() == "frame 8 of 8"
    slider.send_keys(Keys.ARROW_LEFT)
    assert caption() == st.captions[-2]
    # The arrow keys on the page; "prev" back to the first backward frame.
    browser.find_element(By.ID, "caption").click()
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT)
    assert caption() == st.captions[-1]
    for _ in range(3):
        browser.find_element(By.ID, "prev").click()
    assert caption() == st.captions[4] and caption().startswith("Backward 1/4: SumBackward0")
    assert visible(browser, output)                                    # backward: everything is there
    active = browser.execute_script("return [...document.querySelectorAll('g.node.active')]"
                                    ".map(g => g.querySelector('title').textContent)")
    assert active == [st.frames[4]["op"]]
    assert node_texts(browser, output)[-1] == "grad 1."                 # the seed has arrived...
    assert node_texts(browser, "t3")[-1] == ""                          # ...h's gradient not yet
    browser.find_element(By.ID, "next").click()                         # MulBackward0: h gets both uses
    assert node_texts(browser, "t3")[-1] == st.grads["t3"][0][1][0]
    assert st.grads["t3"][0][1][0].startswith("grad [0.924 1.523]")
    badge = browser.execute_script("return [...document.querySelectorAll('text.badge')].map(b => b.textContent)"
                                   ".filter(Boolean)")
    assert badge == ["all 2 added"]
    # A screenshot that is not blank: the picture and the controls are drawn.
    from matplotlib.image import imread

    pixels = imread(io.BytesIO(browser.get_screenshot_as_png()), format="png")
    colours = np.unique((pixels[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 20 and (pixels[..., :3] < 0.5).mean() > 0.005, "the screenshot is blank"


def test_partial_mark_in_a_real_browser(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    _, loss = branches()
    st = viz.step_through(loss)
    browser.get(st.save(tmp_path / "branches.html").as_uri())
    partial = next(i for i, c in enumerate(st.captions) if "(1 of 2, partial)" in c)
    for _ in range(partial):
        browser.find_element(By.ID, "next").click()
    assert browser.find_element(By.ID, "caption").text == st.captions[partial]
    badges = browser.execute_script("return [...document.querySelectorAll('text.badge')].map(b => b.textContent)"
                                    ".filter(Boolean)")
    assert badges == ["1 of 2"]
    # play runs to the end on its own
    browser.find_element(By.ID, "play").click()
    deadline = time.time() + 20
    while browser.find_element(By.ID, "counter").text != f"frame {len(st)} of {len(st)}" and time.time() < deadline:
        time.sleep(0.2)
    assert browser.find_element(By.ID, "caption").text == st.captions[-1]
    assert browser.find_element(By.ID, "play").text == "play"           # and stops there
