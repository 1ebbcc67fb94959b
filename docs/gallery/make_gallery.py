"""Draws the gallery of computation graphs in docs/gallery/ (SVG files), from real models run here.

    python docs/gallery/make_gallery.py [--out DIR]

Every picture is produced by `autograd_lite.viz` from a graph recorded by running the model, never drawn
by hand; rerun this script after changing the drawing code. Needs Graphviz's `dot` program.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import autograd_lite as al
import nn
from autograd_lite import viz


class LeNet5(nn.Module):
    """LeNet-5 for 28x28 digits: two 5x5 convolutions with pooling, then three fully connected layers."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84),
                                        nn.ReLU(), nn.Linear(84, 10))

    def forward(self, x: al.Tensor) -> al.Tensor:
        return self.classifier(self.features(x))


def mlp(out: Path) -> list[str]:
    al.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 2))
    x = al.tensor([[0.5, -1.0], [1.5, 0.25]], name="x")
    y = al.tensor([1, 0])
    loss = nn.CrossEntropyLoss()(model(x), y)
    loss.name = "loss"
    loss.backward(retain_graph=True)
    viz.draw_graph(loss, group_modules=model, show_data=True).render(out / "mlp", format="svg", cleanup=True)
    viz.draw_graph(loss, params=dict(model.named_parameters()), view="both").render(
        out / "mlp_forward_backward", format="svg", cleanup=True)
    player = viz.step_through(loss, params=dict(model.named_parameters()), group_modules=model)
    screenshot(player.save(out / "mlp_step_through.html"), out / "mlp_step_through.png",
               frame=next(i for i, f in enumerate(player.frames, 1) if "bwd" in f) + 1)
    steps = list(viz.backward_steps(loss, params=dict(model.named_parameters())))
    for k in (1, len(steps) // 2, len(steps)):
        steps[k - 1][1].render(out / f"mlp_backward_step{k}", format="svg", cleanup=True)
    big = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    loss = nn.CrossEntropyLoss()(big(al.randn(32, 784)), al.randint(0, 10, (32,)))
    viz.draw_graph(loss, group_modules=big, collapse=2).render(out / "mlp_collapsed", format="svg", cleanup=True)
    return ["mlp", "mlp_forward_backward", f"mlp_backward_step{len(steps) // 2}", "mlp_collapsed"]


def screenshot(page: Path, png: Path, frame: int) -> None:
    """A picture of the step-through page at `frame`, taken in headless Chromium (Debian's `chromium` and
    `chromium-driver`, driven by Selenium); skipped, saying so, where they are not installed."""
    import os
    import shutil

    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        print("Selenium is not installed: no screenshot of the step-through (pip install selenium)")
        return
    if not (shutil.which("chromium") and os.path.exists("/usr/bin/chromedriver")):
        print("headless Chromium is not installed: no screenshot of the step-through (apt-get install chromium "
              "chromium-driver)")
        return
    os.environ["SE_AVOID_STATS"] = "true"
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=900,1500", "--hide-scrollbars"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.get(page.resolve().as_uri())
        driver.find_element("id", "fit").click()                  # the whole picture in the window
        for _ in range(frame - 1):
            driver.find_element("id", "next").click()
        driver.save_screenshot(str(png))
    finally:
        driver.quit()


def lenet(out: Path) -> list[str]:
    al.manual_seed(2)
    model = LeNet5()
    x = al.randn(2, 1, 28, 28)
    x.name = "images"
    loss = nn.CrossEntropyLoss()(model(x), al.tensor([3, 7]))
    loss.name = "loss"
    viz.draw_graph(loss, group_modules=model).render(out / "lenet", format="svg", cleanup=True)
    viz.draw_graph(loss, group_modules=model, collapse=3).render(out / "lenet_collapsed", format="svg",
                                                                 cleanup=True)
    return ["lenet", "lenet_collapsed"]


def lstm_step(out: Path) -> list[str]:
    al.manual_seed(1)
    cell = nn.LSTMCell(3, 2)
    x = al.randn(1, 3)
    h0, c0 = al.zeros(1, 2), al.zeros(1, 2)
    h0.name, c0.name, x.name = "h0", "c0", "x"
    h, c = cell(x, (h0, c0))
    viz.draw_graph(h.sum(), group_modules=cell).render(out / "lstm_step", format="svg", cleanup=True)
    lstm = nn.LSTM(4, 8)                              # five steps of the fused cell, wrapped into columns
    x = al.randn(5, 1, 4)
    x.name = "x"
    output, _ = lstm(x)
    viz.draw_graph(output.sum(), group_modules=lstm).render(out / "lstm_unrolled", format="svg", cleanup=True)
    return ["lstm_step", "lstm_unrolled"]


def higher_order(out: Path) -> list[str]:
    x = al.tensor(1.5, requires_grad=True, name="x")
    y = (x * x * x).sin()
    y.name = "y"
    (dy,) = al.grad(y, x, create_graph=True)      # dy/dx, itself a graph of x
    dy.name = "dy/dx"
    viz.draw_graph(dy, show_data=True).render(out / "higher_order", format="svg", cleanup=True)
    return ["higher_order"]


def main(argv: list[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    np.set_printoptions(precision=3)
    names = mlp(args.out) + lenet(args.out) + lstm_step(args.out) + higher_order(args.out)
    paths = [args.out / f"{n}.svg" for n in names]
    for p in paths + [args.out / "mlp_step_through.html"]:
        print(f"wrote {p}")
    return paths


if __name__ == "__main__":
    main()
