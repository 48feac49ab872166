"""Every example in the README runs as written: each fenced ```python and ```sh block is found here and
either run (the Python ones executed, the shell ones run by bash against real processes) or named in
`COVERED_ELSEWHERE` with the test that runs it. A new block that is neither fails `test_every_block_is_run`.

Shell examples run from a scratch directory holding a link to this checkout's `.venv`, so relative
paths (`.venv/bin/...`, `sqlite:///walkthrough-state.db`) mean what they say; the fixed ports of the
examples (8443, 8001) are swapped for free ones so a running `make run` does not clash.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
VENV = ROOT / ".venv"

# Blocks run by other tests (key: a line of the block -> why and where).
COVERED_ELSEWHERE = {
    "make run    # the sandbox": "`make run` runs until Ctrl-C: tests/test_sandbox.py runs it end to end; "
    "`make test` is this suite",
    "make acceptance                 # in-process mocks": "tests/test_features.py runs the features "
    "in both modes",
    "def log_a_call(subject):": "tests/test_pytest_plugin.py runs the 'Use it in your own tests' example "
    "as written in a throw-away project with only the installed plugin",
    "tasksync db upgrade                      # once": "a fleet on your own hosts (placeholder URLs): "
    "tests/fleet/test_fleet_cli.py runs db upgrade, enqueue --user and fleet-status --json; "
    "tests/fleet/test_fleet.py runs workers and enqueue --all through sandbox/fleet.py",
}


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), flags=re.S)


def _block(language: str, marker: str) -> str:
    found = [b for b in blocks(language) if marker in b]
    assert len(found) == 1, f"one ```{language} block with {marker!r} expected in the README"
    return found[0]


RUN_HERE = {
    "python": ["@mock_salesforce", "salesforce_session("],
    "sh": [".venv/bin/python -m sandbox --help", ".venv/bin/mock-sia serve --port 8001 &"],
}


def test_every_block_is_run():
    for language in ("python", "sh"):
        for block in blocks(language):
            known = RUN_HERE[language] + list(COVERED_ELSEWHERE)
            assert any(marker in block for marker in known), f"a README example no test runs:\n{block}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _scratch(tmp_path: Path) -> Path:
    (tmp_path / ".venv").symlink_to(VENV)
    return tmp_path


def test_the_in_process_example_runs():
    namespace: dict = {}
    exec(compile(_block("python", "@mock_salesforce"), "README.md", "exec"), namespace)
    tests = [name for name in namespace if name.startswith("test_")]
    assert tests, "the README example should define test functions"
    for name in tests:
        namespace[name]()


def test_the_standalone_server_example_runs_and_the_server_cleans_up(capsys):
    port = _free_port()
    server = subprocess.Popen(
        [str(VENV / "bin" / "mock-salesforce"), "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        printed = ""
        while "trust this CA certificate" not in printed:
            line = server.stdout.readline()
            assert line, f"mock-salesforce serve printed no CA file:\n{printed}"
            printed += line
        ca = re.search(r"trust this CA certificate: (\S+)", printed).group(1)
        example = _block("python", "salesforce_session(").replace(
            "https://localhost:8443", f"https://localhost:{port}"
        )
        example = example.replace("/path/to/printed/ca.pem", ca)
        exec(compile(example, "README.md", "exec"), {})
        assert capsys.readouterr().out.strip() == "0"  # an empty org: the query ran
        assert Path(ca).exists()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert not Path(ca).parent.exists(), "the throw-away CA folder is removed when the server stops"


def test_the_sandbox_help_example_runs(tmp_path):
    done = subprocess.run(
        ["bash", "-e", "-c", _block("sh", "-m sandbox --help")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "--sf-port" in done.stdout and "--sia-port" in done.stdout


def test_the_standalone_walkthrough_runs_and_imports(tmp_path):
    sf_port, sia_port = _free_port(), _free_port()
    script = _block("sh", ".venv/bin/mock-sia serve --port 8001 &")
    script = script.replace("8443", str(sf_port)).replace("8001", str(sia_port))
    scratch = _scratch(tmp_path)
    log = scratch / "walkthrough.log"
    # Output to a file, not a pipe: a server left behind by a failing step cannot hold the test up, and
    # the whole process group is ended whatever happens.
    with log.open("w") as out_file:
        proc = subprocess.Popen(
            ["bash", "-e", "-c", script],
            cwd=scratch,
            stdout=out_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            returncode = proc.wait(timeout=240)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
    out = log.read_text()
    assert returncode == 0, out
    assert re.search(r"created\s+SIA 5, Salesforce 0", out), out  # the pass imported the 5 seeded tasks
    assert "1 user(s) with sync on" in out
    assert re.search(r"user usr_\d+: ok since \S+; 5 linked task\(s\), 0 open error\(s\)", out), out
    assert (scratch / "walkthrough-state.db").exists()
    time.sleep(0.5)
    for port in (sf_port, sia_port):  # `kill %1 %2` stopped both servers
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, f"a server still listens on {port}"


def test_no_link_leaves_the_repository():
    for doc in [README, ROOT / "features" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = doc.read_text()
        for target in re.findall(r"\]\(([^)]+)\)", text) + re.findall(r"`(\.\./[^`]+)`", text):
            if target.startswith(("http://", "https://", "#")):
                continue
            resolved = (doc.parent / target.split("#")[0]).resolve()
            assert resolved.is_relative_to(ROOT) and resolved.exists(), f"{doc.name} links to {target}"
        assert "../shared" not in text, f"{doc.name} mentions a path outside the repository"
