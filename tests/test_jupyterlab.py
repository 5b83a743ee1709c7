"""JupyterLab really opens the notebooks: each one runs in a real Chromium, without errors.

For every ``notebooks/*.ipynb`` a headless JupyterLab serves the repository, Debian's
Chromium (driven by Playwright, no browser download) opens the notebook, runs all cells
with JupyterLab's own command, and the test asserts that no error output appears and that
at least one chart rendered as an image. A screenshot of each notebook is kept in
``artifacts/screenshots/<name>.png`` (gitignored; CI keeps it as an artefact), also when
the notebook fails.

Environment variables:

``FRONTLINE_NOTEBOOK_DIR``
    Folder of notebooks to open (default: the repository's ``notebooks/``). JupyterLab
    serves its parent folder.
``FRONTLINE_NOTEBOOK_TIMEOUT``
    Seconds allowed for one notebook's cells to run (default 600).
``FRONTLINE_CHROMIUM``
    Chromium executable (default: ``chromium`` on ``PATH``, Debian's package).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ._jupyterlab import (
    CHROMIUM_ARGS,
    JupyterLabServer,
    cell_problems,
    chromium_executable,
    open_notebook,
    run_all_cells,
    screenshot,
    shutdown_kernel,
    wait_for_images,
)

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = Path(os.environ.get("FRONTLINE_NOTEBOOK_DIR") or REPO / "notebooks").resolve()
SCREENSHOT_DIR = REPO / "artifacts" / "screenshots"
RUN_TIMEOUT = float(os.environ.get("FRONTLINE_NOTEBOOK_TIMEOUT", "600"))
OPEN_TIMEOUT = 90.0  # page load, kernel start, idle
IMAGE_TIMEOUT = 15.0

NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb")) if NOTEBOOK_DIR.is_dir() else []


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    server = JupyterLabServer(NOTEBOOK_DIR.parent, tmp_path_factory.mktemp("jupyterlab"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:
        pytest.fail(f"playwright is not installed ({err}): pip install -e '.[dev]'")
    executable = chromium_executable()
    if not executable or not Path(executable).exists():
        pytest.fail(
            "Chromium not found: install Debian's package (apt-get install chromium, as "
            ".ci/run does) or set FRONTLINE_CHROMIUM to its executable"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.mark.parametrize(
    "notebook",
    NOTEBOOKS or [pytest.param(None, id="no-notebooks")],
    ids=lambda path: path.stem if path else "no-notebooks",
)
def test_notebook_runs_in_jupyterlab(notebook, request):
    if notebook is None:
        pytest.fail(
            f"no notebooks (*.ipynb) in {NOTEBOOK_DIR}: issue 4 requires notebooks/01_… "
            "to 04_…; set FRONTLINE_NOTEBOOK_DIR to test another folder"
        )
    server = request.getfixturevalue("jupyterlab")
    browser = request.getfixturevalue("browser")
    relpath = notebook.relative_to(server.root_dir).as_posix()
    before = notebook.read_bytes()
    js_errors = []

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.on("pageerror", lambda err: js_errors.append(str(err)))
    try:
        open_notebook(page, server, relpath, timeout=OPEN_TIMEOUT)
        state = run_all_cells(page, timeout=RUN_TIMEOUT)
        dom = wait_for_images(page, timeout=IMAGE_TIMEOUT)
        # Before any assertion, so that a failing notebook leaves its picture too.
        screenshot(page, SCREENSHOT_DIR / f"{notebook.stem}.png")
        shutdown_kernel(page)
    except Exception as err:
        raise AssertionError(
            f"{relpath}: {err}\nbrowser errors: {js_errors}\n"
            f"server log:\n{server.log_tail()}"
        ) from err
    finally:
        page.close()

    problems = cell_problems(state)
    assert not problems, f"{relpath} failed in JupyterLab:\n" + "\n".join(problems)
    assert not dom["errors"], f"{relpath} shows error output: {dom['errors']}"
    assert not dom["stderr_tracebacks"], (
        f"{relpath} shows a traceback on stderr: {dom['stderr_tracebacks']}"
    )
    assert state["run"]["error"] is None, f"run-all failed: {state['run']['error']}"
    rendered = [img for img in dom["images"] if img["width"] > 0 and img["height"] > 0]
    assert rendered, (
        f"{relpath} rendered no chart as an image (images found: {dom['images']})"
    )
    assert notebook.read_bytes() == before, f"running {relpath} modified the file on disk"
