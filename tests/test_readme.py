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


def test_main_job_runs(data_dir):
    from click.testing import CliRunner

    from frontline.cli.main import cli

    block = re.search(r"```bash\n(.*?)```", README, re.S).group(1).splitlines()
    main_job = shlex.split(block[0].split("&& ")[-1])
    assert main_job[0] == "FRONTLINE_DATA_DIR=../shared/data"
    assert main_job[1].endswith("frontline")
    result = CliRunner().invoke(cli, ["-q", "--data-dir", str(data_dir), *main_job[2:],
                                      "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 + 10  # header + Jan..Oct 2024
    assert lines[-1].startswith("2024-10,2024-09-30,2024-10-27,")
