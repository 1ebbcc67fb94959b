#!/bin/sh
# The whole test suite from a fresh clone: a virtual environment in .venv with the package and its dev
# tools, Graphviz's `dot` (installed with apt-get when missing and we are root), then lint and tests.
set -eu
cd "$(dirname "$0")/.."
if ! command -v dot >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "Installing Graphviz (the OS package 'graphviz', for rendering graphs)..."
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null
    else
        echo "Note: Graphviz's 'dot' is not installed, so tests that render SVG will be skipped." \
             "Install the OS package 'graphviz' (see README)." >&2
    fi
fi
# Headless Chromium and its driver, for the tests that open the step-through page in a real browser (Debian's
# packages; Selenium is pointed at /usr/bin/chromedriver, so it never downloads a browser or a driver).
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "Installing headless Chromium (the OS packages 'chromium' and 'chromium-driver', for the browser tests)..."
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver \
            >/dev/null) || echo "Note: Chromium could not be installed; the browser tests will be skipped." >&2
    else
        echo "Note: Chromium is not installed, so the browser tests will be skipped." \
             "Install the OS packages 'chromium' and 'chromium-driver' (see README)." >&2
    fi
fi
export SE_AVOID_STATS=true
# MNIST for the notebooks that use it: CI keeps the original files beside the clone, outside the repository.
if [ -z "${AUTOGRAD_LITE_DATA:-}" ] && [ -d ../shared/data/mnist ]; then
    AUTOGRAD_LITE_DATA="$(cd ../shared/data/mnist && pwd)"
    export AUTOGRAD_LITE_DATA
fi
python3 -m venv .venv
.venv/bin/pip install -q -e '.[dev]'
# PyTorch's CPU build, the oracle of the parity tests (a test-only extra, never needed by the library). Where
# it cannot be installed (no wheel for this Python, no network), those tests are skipped and say why.
if ! .venv/bin/python -c 'import torch' >/dev/null 2>&1; then
    echo "Installing PyTorch (CPU build), the tests' oracle..."
    .venv/bin/pip install -q --retries 1 --timeout 30 -e '.[oracle]' \
        --extra-index-url https://download.pytorch.org/whl/cpu \
        || echo "Note: PyTorch could not be installed; the tests that compare with it will be skipped." >&2
fi
.venv/bin/ruff check .
.venv/bin/python -m pytest -q
