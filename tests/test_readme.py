"""The README's commands and example are true."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def test_python_example_runs(data_dir, tmp_path, monkeypatch, capsys):
    code = re.search(r"```python\n(.*?)```", README, re.S).group(1)
    code = code.replace('"../shared/data"', repr(str(data_dir)))
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "2024-08" in out and "476.87" in out
    assert (tmp_path / "gained_lost.geojson").stat().st_size > 1000


def test_ci_runs_the_readme_test_command():
    block = re.search(r"```bash\n(.*?)```", README, re.S).group(1).splitlines()
    test_command = block[1].split("runs: ", 1)[1].strip()
    ci = (Path(__file__).parents[1] / ".ci" / "run").read_text()
    assert test_command in ci.splitlines()
    assert "FRONTLINE_DATA_DIR" in ci


def test_main_job_runs(data_dir, monkeypatch):
    """The first command as a user on a fresh machine types it: no data directory, so
    frontline fetches into its (empty, temporary) cache -- here from the local mirror the
    README's next line names, since this machine has no internet."""
    from click.testing import CliRunner

    from frontline.cli import cli

    block = re.search(r"```bash\n(.*?)```", README, re.S).group(1).splitlines()
    main_job = shlex.split(block[0].split("&& ")[-1])
    assert main_job[0] == ".venv/bin/frontline" and "FRONTLINE_DATA_DIR" not in block[0]
    assert "FRONTLINE_MIRROR=../shared/data" in README and "No data and no network" in README
    monkeypatch.delenv("FRONTLINE_DATA_DIR", raising=False)
    monkeypatch.setenv("FRONTLINE_MIRROR", str(data_dir))
    result = CliRunner().invoke(cli, ["-q", *main_job[1:], "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1 + 10  # header + Jan..Oct 2024
    assert lines[-1].startswith("2024-10,2024-09-30,2024-10-27,")


def test_no_data_and_no_network_says_so(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from frontline.cli import cli

    monkeypatch.delenv("FRONTLINE_DATA_DIR", raising=False)
    import requests

    def offline(*args, **kwargs):
        raise requests.exceptions.ConnectionError("Failed to resolve 'raw.githubusercontent.com'")

    monkeypatch.setattr(requests.Session, "send", offline)  # as on a machine with no network
    result = CliRunner().invoke(cli, ["-q", "monthly", "--start", "2024-08", "--end",
                                      "2024-08"])
    assert result.exit_code == 1
    assert "No data and no network" in result.stderr
    assert "FRONTLINE_DATA_DIR=../shared/data" in result.stderr
    assert "Traceback" not in result.output
