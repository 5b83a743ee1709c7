"""JupyterLab really opens the notebooks: each one runs in a real Chromium, without errors.

JupyterLab is started with the launch command of ``notebooks/README.md``, exactly as
written there (run by ``bash`` from the repository's root; the port, token and headless
options come from a throw-away config folder, not from the command line). For every
``notebooks/*.ipynb`` Debian's Chromium (driven by Playwright, no browser download) opens
the notebook, runs all cells with JupyterLab's own command, and the test asserts that no
error output appears and that at least one chart rendered as an image; a notebook that
calls ``frontline.explore`` must show its interactive map with features, a date slider,
and the area under the pointer in the info box. A screenshot of each notebook is kept in
``artifacts/screenshots/<name>.png`` (gitignored; CI keeps it as an artefact), also when
the notebook fails.

Environment variables:

``FRONTLINE_NOTEBOOK_DIR``
    Folder of notebooks to open instead of the repository's ``notebooks/``; JupyterLab then
    serves its parent folder, started by the test itself (not the README's command).
``FRONTLINE_NOTEBOOK_TIMEOUT``
    Seconds allowed for one notebook's cells to run (default 600).
``FRONTLINE_CHROMIUM``
    Chromium executable (default: ``chromium`` on ``PATH``, Debian's package).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from ._jupyterlab import (
    CHROMIUM_ARGS,
    JupyterLabServer,
    cell_problems,
    chromium_executable,
    hover_a_feature,
    leaflet_report,
    open_notebook,
    run_all_cells,
    screenshot,
    shutdown_kernel,
    wait_for_images,
)

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
OTHER_DIR = os.environ.get("FRONTLINE_NOTEBOOK_DIR")
NOTEBOOK_DIR = Path(OTHER_DIR or REPO / "notebooks").resolve()
SCREENSHOT_DIR = REPO / "artifacts" / "screenshots"
RUN_TIMEOUT = float(os.environ.get("FRONTLINE_NOTEBOOK_TIMEOUT", "600"))
OPEN_TIMEOUT = 90.0  # page load, kernel start, idle
IMAGE_TIMEOUT = 15.0

NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb")) if NOTEBOOK_DIR.is_dir() else []


def readme_launch_command() -> str:
    """The one ``... jupyter lab ...`` line of notebooks/README.md's bash block."""
    text = (REPO / "notebooks" / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    lines = [line.strip() for block in blocks for line in block.splitlines()
             if "jupyter lab" in line]
    assert len(lines) == 1, f"notebooks/README.md should give one launch command: {lines}"
    return lines[0]


def test_readme_launch_command_is_the_documented_one():
    command = readme_launch_command()
    assert command == "FRONTLINE_DATA_DIR=../shared/data jupyter lab notebooks/"


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    state = tmp_path_factory.mktemp("jupyterlab")
    if OTHER_DIR:
        server = JupyterLabServer(NOTEBOOK_DIR.parent, state)
    else:
        # notebooks/README.md's command as written, from the repository's root: JupyterLab
        # serves notebooks/ and the kernel starts there with a relative FRONTLINE_DATA_DIR.
        server = JupyterLabServer(REPO / "notebooks", state, launch=readme_launch_command(),
                                  cwd=REPO)
        assert server.command() == ["bash", "-c", readme_launch_command()]
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
        interactive = "frontline.explore(" in notebook.read_text(encoding="utf-8")
        leaflet = hover = None
        if interactive:
            page.wait_for_selector(".jp-OutputArea-output .leaflet-overlay-pane path",
                                   timeout=IMAGE_TIMEOUT * 1000)
            leaflet = leaflet_report(page)
            hover = hover_a_feature(page)
            widget = page.locator(".jp-OutputArea-output:has(.leaflet-container)").first
            widget.screenshot(path=str(SCREENSHOT_DIR / f"{notebook.stem}_explore.png"))
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
    if interactive:
        assert leaflet["maps"] == 1, leaflet
        assert leaflet["features"][0] > 0, f"the interactive map shows no features: {leaflet}"
        assert leaflet["sliders"] >= 1 and leaflet["slider_labels"], leaflet
        assert any("km²" in text for text in hover), (
            f"pointing at an area did not say its size: {hover}")
