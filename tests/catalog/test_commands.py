"""``flows check`` and ``flows graph`` as the CLI runs them: exit code and printed lines."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.catalog.commands import run_check, run_graph
from bot.catalog.loader import CONTENT_DIR, FLOWS_DIR


@pytest.fixture
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """Copies of flows/ and content/, with the working directory at their parent."""
    monkeypatch.chdir(tmp_path)
    return (
        Path(shutil.copytree(FLOWS_DIR, tmp_path / "flows")),
        Path(shutil.copytree(CONTENT_DIR, tmp_path / "content")),
    )


def test_check_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_check(None, None) == 0
    assert re.fullmatch(
        r"flows check: OK \(3 flows, 22 steps, 1 locale; reading grade of \d+ strings of 8\+ "
        r"words: median \d\.\d, 90th percentile \d\.\d\)\n",
        capsys.readouterr().out,
    )


def test_check_prints_each_problem_and_a_count(
    dirs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    flow = dirs[0] / "kneecheck.yaml"
    flow.write_text(flow.read_text().replace("to: behind_muscle", "to: behind_knee"))
    assert run_check(*dirs) == 1
    assert capsys.readouterr().out.splitlines() == [
        "flows/kneecheck.yaml: steps[location].next[0].to: 'behind_knee' names no step or outcome",
        "flows/kneecheck.yaml: steps[behind_muscle]: step 'behind_muscle' cannot be reached "
        "from start 'consent'",
        "flows check: 2 problems",
    ]


def test_check_reports_load_errors_as_problems(
    dirs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    flow = dirs[0] / "kneecheck.yaml"
    flow.write_text(flow.read_text().replace("start: consent", "start: consent\nstart: x"))
    assert run_check(*dirs) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("flows/kneecheck.yaml: cannot read YAML: ")
    assert "duplicate key 'start'" in lines[0]
    assert lines[1:] == ["flows check: 1 problem"]


def test_graph_prints_mermaid(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_graph("kneecheck", None, None) == 0
    assert capsys.readouterr().out.startswith("flowchart TD\n")


def test_graph_of_an_unknown_flow(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_graph("kneeckeck", None, None) == 1
    assert capsys.readouterr().err == (
        "flows graph: no flow 'kneeckeck' (flows: checkin, followup, kneecheck)\n"
    )
