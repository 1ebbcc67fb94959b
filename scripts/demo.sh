#!/bin/sh
# The demo from a fresh clone: a virtual environment in .venv with the package, then examples/demo.py.
set -eu
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install -q -e '.[examples]'
.venv/bin/python examples/demo.py "$@"
