"""Every notebook in notebooks/ runs top to bottom in a fresh kernel (nbclient).

Only success is checked, not that the outputs match the stored ones byte for byte. A failure names the
notebook and the failing cell (its index, source and traceback).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

_missing = [tool for tool in ("nbclient", "nbformat", "ipykernel") if importlib.util.find_spec(tool) is None]
if _missing:
    pytest.skip(f"{', '.join(_missing)} not installed (pip install nbclient ipykernel nbformat), so the "
                f"notebooks were not executed", allow_module_level=True)

if shutil.which("dot") is None:
    pytest.skip("Graphviz's `dot` is not installed (the OS package `graphviz`), and the notebooks draw graphs",
                allow_module_level=True)

import nbformat  # noqa: E402 - only once we know it is installed
from nbclient import NotebookClient  # noqa: E402
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
TIMEOUT = 120                  # seconds: for any one cell (nbclient's timeout) and for the whole notebook
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS, f"no notebooks found in {ROOT / 'notebooks'}"


def _failing_cell(nb: nbformat.NotebookNode) -> int | None:
    """The index of the cell that raised (execution stops there, so it is the first with an error)."""
    for index, cell in enumerate(nb.cells):
        if any(out.get("output_type") == "error" for out in cell.get("outputs", [])):
            return index
    return None


def _mnist_available() -> bool:
    """Can a notebook's `MNIST(download=True)` work: are the files where it looks by default
    ($AUTOGRAD_LITE_DATA, else the user cache), or else does a mirror answer, to download them from?
    CI has no network: scripts/test.sh points AUTOGRAD_LITE_DATA at the files kept beside the clone."""
    from nn.data import mnist

    if any(all((folder / name).is_file() for name in mnist.MD5) for folder in mnist.folders(mnist.default_root())):
        return True
    for url in mnist.MIRRORS:
        try:
            socket.create_connection((urlsplit(url).hostname, 443), timeout=5).close()
            return True
        except OSError:
            pass
    return False


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if "MNIST(" in path.read_text(encoding="utf-8") and not _mnist_available():
        pytest.skip("the MNIST files are not available and no mirror answers to download them from: set "
                    "AUTOGRAD_LITE_DATA to the folder holding the original MNIST .gz files (scripts/test.sh does "
                    "this when ../shared/data/mnist exists)")
    # The kernel inherits this environment: import this checkout's packages even when not installed, and
    # use one BLAS thread (the arrays are tiny; extra threads only contend with other work on the machine).
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(var, os.environ.get(var, "1"))

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
        index = _failing_cell(nb)
        where = f"cell {index} (counting from 0, markdown included)" if index is not None else "a cell"
        pytest.fail(f"{path.name}: {where} failed:\n{_ANSI.sub('', str(error))}", pytrace=False)
    elapsed = time.perf_counter() - start
    assert elapsed < TIMEOUT, f"{path.name} took {elapsed:.0f} s to run; the budget is {TIMEOUT} s per notebook"
