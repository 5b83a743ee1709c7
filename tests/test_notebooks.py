"""Every notebook in notebooks/ runs top to bottom on the real data (nbclient, python3).

Cells run in notebooks/ (the notebooks read ``../data/published_figures.csv``) with
``FRONTLINE_DATA_DIR`` given relative to the repository's root, as the README's launch
command gives it; the ``assert`` cells inside the notebooks
check the numbers they show, so an error in any cell fails the test. Notebooks are
committed without outputs, and running them here never writes to them.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
EXPECTED = ["01_monthly_gains", "02_pokrovsk", "03_trends", "04_sources", "05_2025_26"]
#: Seconds one notebook may take (each runs in well under 90 s on 2 cores).
TIMEOUT = float(os.environ.get("FRONTLINE_NOTEBOOK_TIMEOUT", "600"))


def test_the_notebooks_are_there_without_outputs():
    import nbformat

    assert [p.stem for p in NOTEBOOKS] == EXPECTED
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        first = notebook.cells[0]
        assert first.cell_type == "markdown" and "FRONTLINE_DATA_DIR" in first.source, (
            f"{path.name}: the first cell must say what it answers and which data it needs")
        assert "What it answers" in first.source
        last = notebook.cells[-1]
        assert last.cell_type == "markdown" and last.source.startswith("## What we found"), (
            f"{path.name}: the last cell must say in words what was found")
        assert len(last.source.split()) > 40
        # the data directory comes from the repository, not from the kernel's folder
        assert "frontline.notebook_data_dir()" in notebook.cells[1].source
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, (
                    f"{path.name} is committed with outputs: clear them "
                    "(jupyter nbconvert --clear-output --inplace)")
        assert any("assert " in c.source for c in notebook.cells if c.cell_type == "code")


@pytest.mark.realdata
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, data_dir, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    # As notebooks/README.md's launch command gives it: relative to the repository's root
    # (the kernel runs in notebooks/, where the same relative path would point elsewhere).
    repo = NOTEBOOK_DIR.parent
    monkeypatch.setenv("FRONTLINE_DATA_DIR", os.path.relpath(Path(data_dir).resolve(), repo))
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel draws inline
    notebook = nbformat.read(path, as_version=4)
    before = path.read_bytes()
    client = NotebookClient(notebook, timeout=TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    started = time.perf_counter()
    client.execute()  # raises CellExecutionError on the first failing cell
    seconds = time.perf_counter() - started
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
    warnings = [o["text"] for c in notebook.cells if c.cell_type == "code" for o in c.outputs
                if o.output_type == "stream" and o.name == "stderr" and "Warning" in o["text"]]
    assert not warnings, f"{path.name} shows warnings: {warnings}"
    images = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs
              if "image/png" in o.get("data", {})]
    assert images, f"{path.name} drew no chart"
    assert path.read_bytes() == before, f"running {path.name} modified it on disk"
    print(f"{path.name}: {seconds:.1f} s")
