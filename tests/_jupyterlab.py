"""Drive a headless JupyterLab with Debian's Chromium (helpers for ``test_jupyterlab.py``).

The server runs in a throw-away Jupyter configuration: its own config, runtime, settings
and workspace folders, autosave off (running cells must never write outputs into the
repository's notebooks), no news or update checks (CI has no business calling out), and
every notebook cell attached to the DOM (``windowingMode: none``) so that outputs below
the fold are really rendered. ``window.jupyterapp`` is exposed so the test can run
JupyterLab's own commands and read the notebook model, not just scrape the page.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

#: Chromium flags for a container: no sandbox (root, no user namespaces), no GPU, no
#: shared-memory files (``/dev/shm`` is small in containers), and no traffic of its own.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# User settings for the throw-away JupyterLab (file name -> settings).
_LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
        "windowingMode": "none",
        "scrollPastEnd": False,
    },
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


def chromium_executable() -> str | None:
    """Debian's Chromium, or ``$FRONTLINE_CHROMIUM``."""
    return os.environ.get("FRONTLINE_CHROMIUM") or shutil.which("chromium")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class JupyterLabServer:
    """A headless ``jupyter lab`` serving ``root_dir`` on a free local port.

    Parameters
    ----------
    root_dir : Path
        The folder JupyterLab serves; notebook paths are relative to it.
    state_dir : Path
        An empty folder for the server's configuration, settings, workspaces and log.
    """

    def __init__(self, root_dir: Path, state_dir: Path, *, launch: str | None = None,
                 cwd: Path | None = None):
        self.root_dir = Path(root_dir).resolve()
        self.state_dir = Path(state_dir)
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.log_path = self.state_dir / "jupyterlab.log"
        self.process: subprocess.Popen | None = None
        #: A shell command run as written (e.g. notebooks/README.md's), in ``cwd``; the
        #: server options then come from a config file in the throw-away config folder.
        self.launch = launch
        self.cwd = Path(cwd) if cwd is not None else None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def notebook_url(self, relpath: str) -> str:
        # ``reset`` starts from an empty workspace, so the previous notebook's tab (and
        # kernel) is not restored when the next one opens.
        return f"{self.base_url}/lab/tree/{relpath}?reset&token={self.token}"

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        # CI exports MPLBACKEND=Agg for the plot tests; a kernel inheriting it would draw
        # nothing, so let ipykernel choose its inline backend.
        env.pop("MPLBACKEND", None)
        data_dir = env.get("FRONTLINE_DATA_DIR")
        if self.launch is not None:
            # The command sets FRONTLINE_DATA_DIR itself, as a user's shell would; its
            # ``jupyter`` is this Python's.
            env.pop("FRONTLINE_DATA_DIR", None)
            env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        elif data_dir:
            # Kernels start in the notebook's folder: a relative path would move.
            env["FRONTLINE_DATA_DIR"] = str(Path(data_dir).resolve())
        for var, sub in [
            ("JUPYTER_CONFIG_DIR", "config"),
            ("JUPYTER_RUNTIME_DIR", "runtime"),
            ("JUPYTERLAB_SETTINGS_DIR", "settings"),
            ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
            ("IPYTHONDIR", "ipython"),
        ]:
            folder = self.state_dir / sub
            folder.mkdir(parents=True, exist_ok=True)
            env[var] = str(folder)
        for name, values in _LAB_SETTINGS.items():
            path = self.state_dir / "settings" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values), encoding="utf-8")
        if self.launch is not None:
            config = {"ServerApp": {"ip": "127.0.0.1", "port": self.port, "port_retries": 0,
                                    "open_browser": False,
                                    "allow_root": hasattr(os, "geteuid") and os.geteuid() == 0},
                      "IdentityProvider": {"token": self.token},
                      "LabApp": {"expose_app_in_browser": True, "news_url": None,
                                 "check_for_updates_class": "jupyterlab.NeverCheckForUpdate"}}
            (self.state_dir / "config" / "jupyter_server_config.json").write_text(
                json.dumps(config), encoding="utf-8")
        return env

    def command(self) -> list[str]:
        if self.launch is not None:
            return ["bash", "-c", self.launch]
        cmd = [
            sys.executable, "-m", "jupyter", "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root_dir}",
            "--ServerApp.open_browser=False",
            "--LabApp.expose_app_in_browser=True",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        return cmd

    def start(self, timeout: float = 90.0) -> None:
        """Start the server and wait until its REST API answers."""
        env = self._env()
        log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self._log = log
        self.process = subprocess.Popen(
            self.command(), env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True, cwd=self.cwd,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"jupyter lab exited with code {self.process.returncode} before answering:"
                    f"\n{self.log_tail()}"
                )
            try:
                reply = requests.get(
                    f"{self.base_url}/api/status", params={"token": self.token}, timeout=2
                )
                if reply.status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(
            f"jupyter lab did not answer on port {self.port} within {timeout:.0f} s:"
            f"\n{self.log_tail()}"
        )

    def stop(self, timeout: float = 20.0) -> None:
        """Shut down through the API (kernels included), then signal if still running."""
        proc = self.process
        if proc is None:
            return
        if proc.poll() is None:
            try:
                requests.post(
                    f"{self.base_url}/api/shutdown",
                    headers={"Authorization": f"token {self.token}"}, timeout=5,
                )
            except requests.RequestException:
                pass
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                # The server leads its own session: signal it and any kernel left behind.
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=10)
        self._log.close()
        self.process = None

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])


# --------------------------------------------------------------- in-page JavaScript

#: The opened notebook's state: is the app up, is the notebook the current widget, the
#: kernel's status, and the text of any modal dialog in the way.
JS_OPEN_STATE = """
(path) => {
  const app = window.jupyterapp;
  const dialog = document.querySelector('.jp-Dialog');
  const state = {app: !!app, found: false, kernel: null, ready: false,
                 dialog: dialog ? dialog.innerText : null};
  if (!app || !app.shell) return state;
  const w = app.shell.currentWidget;
  if (!w || !w.context || w.context.path !== path || !w.sessionContext) return state;
  state.found = true;
  state.ready = w.context.isReady && w.sessionContext.isReady;
  const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
  state.kernel = kernel ? kernel.status : null;
  return state;
}
"""

#: Run every cell with JupyterLab's own command; the promise's outcome lands on window.
JS_RUN_ALL = """
() => {
  window.__frontlineRun = {done: false, result: null, error: null};
  window.jupyterapp.commands.execute('notebook:run-all-cells').then(
    (result) => { window.__frontlineRun = {done: true, result: result, error: null}; },
    (err) => { window.__frontlineRun = {done: true, result: null, error: String(err)}; });
  return true;
}
"""

#: Progress of the run and, per code cell, what the notebook model holds.
JS_RUN_STATE = """
() => {
  const w = window.jupyterapp.shell.currentWidget;
  const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
  const prompts = Array.from(document.querySelectorAll('.jp-InputArea-prompt'));
  const cells = [];
  w.content.widgets.forEach((cell, index) => {
    const model = cell.model;
    if (model.type !== 'code') return;
    const outputs = [];
    for (let i = 0; i < model.outputs.length; i++) {
      const out = model.outputs.get(i).toJSON();
      outputs.push({type: out.output_type, name: out.name || null,
                    ename: out.ename || null, evalue: out.evalue || null,
                    text: out.text ? [].concat(out.text).join('') : null,
                    mimes: out.data ? Object.keys(out.data) : []});
    }
    cells.push({index: index, source: model.sharedModel.getSource(),
                executionCount: model.executionCount, outputs: outputs});
  });
  return {run: window.__frontlineRun, kernel: kernel ? kernel.status : null,
          pending: prompts.filter((p) => p.innerText.includes('*')).length, cells: cells};
}
"""

#: What the user sees: error outputs, tracebacks on stderr, and rendered images.
JS_DOM_REPORT = """
() => {
  const texts = (sel) => Array.from(document.querySelectorAll(sel)).map((e) => e.innerText);
  const imgs = Array.from(document.querySelectorAll(
    '.jp-OutputArea-output img, .jp-RenderedImage img'));
  return {
    errors: texts('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"], '
                  + '.jp-RenderedText[data-mime-type="application/vnd.jupyter.error"]'),
    stderr_tracebacks: texts(
      '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
    ).filter((t) => t.includes('Traceback')),
    images: imgs.map((i) => ({complete: i.complete, width: i.naturalWidth,
                              height: i.naturalHeight})),
  };
}
"""

#: Height of the notebook's scrolled content, to size a screenshot showing all of it.
JS_CONTENT_HEIGHT = """
() => {
  const w = window.jupyterapp.shell.currentWidget;
  const scroller = w.content.node.querySelector('.jp-WindowedPanel-outer') || w.content.node;
  return scroller.scrollHeight;
}
"""

#: The interactive maps (ipyleaflet) on the page: drawn features, sliders, the info box.
JS_LEAFLET_REPORT = """
() => {
  const maps = Array.from(document.querySelectorAll('.jp-OutputArea-output .leaflet-container'));
  return {
    maps: maps.length,
    features: maps.map((m) => m.querySelectorAll('.leaflet-overlay-pane path').length),
    sliders: document.querySelectorAll('.jp-OutputArea-output .widget-slider').length,
    slider_labels: Array.from(document.querySelectorAll(
      '.jp-OutputArea-output .widget-readout')).map((e) => e.innerText),
    info: Array.from(document.querySelectorAll(
      '.jp-OutputArea-output .leaflet-control .widget-html-content')).map((e) => e.innerText),
  };
}
"""

JS_SHUTDOWN_KERNEL = """
async () => {
  const w = window.jupyterapp.shell.currentWidget;
  if (w && w.sessionContext) { await w.sessionContext.shutdown(); }
  return true;
}
"""


def wait_until(page, js, arg, done, *, timeout: float, what: str, on_state=None):
    """Poll ``js`` in the page until ``done(state)``; raise ``TimeoutError`` naming ``what``."""
    deadline = time.monotonic() + timeout
    state = None
    while time.monotonic() < deadline:
        state = page.evaluate(js, arg) if arg is not None else page.evaluate(js)
        if on_state is not None:
            on_state(state)
        if done(state):
            return state
        time.sleep(0.25)
    raise TimeoutError(f"{what}: not done after {timeout:.0f} s; last state: {state}")


def open_notebook(page, server: JupyterLabServer, relpath: str, *, timeout: float) -> None:
    """Open ``relpath`` and wait until its kernel is idle.

    A kernel-selection dialog (notebook without kernelspec) is accepted with the default
    kernel; any other dialog is an error.
    """
    page.goto(server.notebook_url(relpath), wait_until="domcontentloaded",
              timeout=timeout * 1000)

    def handle_dialog(state):
        text = state.get("dialog")
        if not text:
            return
        if "Select Kernel" in text:
            page.click(".jp-Dialog .jp-mod-accept")
        else:
            raise AssertionError(f"JupyterLab showed a dialog opening {relpath}: {text!r}")

    wait_until(
        page, JS_OPEN_STATE, relpath,
        lambda s: s["found"] and s["ready"] and s["kernel"] == "idle" and not s["dialog"],
        timeout=timeout, what=f"opening {relpath} with an idle kernel", on_state=handle_dialog,
    )


def run_all_cells(page, *, timeout: float) -> dict:
    """Run all cells and wait until the run is over; return the final run state."""
    page.evaluate(JS_RUN_ALL)
    return wait_until(
        page, JS_RUN_STATE, None,
        lambda s: s["run"]["done"] and s["kernel"] == "idle" and s["pending"] == 0,
        timeout=timeout, what="running all cells",
    )


def wait_for_images(page, *, timeout: float) -> dict:
    """Give rendered images time to decode; return the DOM report."""
    deadline = time.monotonic() + timeout
    while True:
        report = page.evaluate(JS_DOM_REPORT)
        if all(img["complete"] for img in report["images"]) or time.monotonic() > deadline:
            return report
        time.sleep(0.2)


def screenshot(page, path: Path, *, width: int = 1400, max_height: int = 16000) -> None:
    """Save the whole notebook: hide the side bar and grow the viewport to its content."""
    page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
    height = int(page.evaluate(JS_CONTENT_HEIGHT)) + 200
    page.set_viewport_size({"width": width, "height": max(900, min(height, max_height))})
    page.wait_for_timeout(300)
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)


def shutdown_kernel(page) -> None:
    """Stop the notebook's kernel now rather than when the server goes down."""
    page.evaluate(JS_SHUTDOWN_KERNEL)


def cell_problems(state: dict) -> list[str]:
    """Errors, stderr tracebacks and cells that never ran, from the notebook model."""
    problems = []
    for cell in state["cells"]:
        where = f"cell {cell['index']}"
        for out in cell["outputs"]:
            if out["type"] == "error":
                problems.append(f"{where}: {out['ename']}: {out['evalue']}")
            elif out["type"] == "stream" and out["name"] == "stderr" and "Traceback" in (
                out["text"] or ""
            ):
                problems.append(f"{where}: traceback on stderr: {out['text'][-500:]}")
        if cell["source"].strip() and cell["executionCount"] is None:
            problems.append(f"{where} did not run: {cell['source'][:80]!r}")
    return problems


def leaflet_report(page) -> dict:
    """What the interactive maps on the page show (see ``JS_LEAFLET_REPORT``)."""
    return page.evaluate(JS_LEAFLET_REPORT)


def hover_a_feature(page, *, timeout: float = 20.0, tries: int = 6) -> list[str]:
    """Point at the drawn areas of the first map one after another until the info box
    says what is under the pointer (the kernel answers the hover); return its text.
    """
    paths = page.locator(".jp-OutputArea-output .leaflet-container "
                         ".leaflet-overlay-pane path")
    paths.first.scroll_into_view_if_needed()
    for index in range(min(paths.count(), tries)):
        paths.nth(index).hover(force=True)
        deadline = time.monotonic() + timeout / tries
        while time.monotonic() < deadline:
            info = leaflet_report(page)["info"]
            if any("km²" in text for text in info):
                return info
            time.sleep(0.25)
    return leaflet_report(page)["info"]
