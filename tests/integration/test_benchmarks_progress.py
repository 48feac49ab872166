"""`python -m benchmarks` says what it is doing while it runs (progress lines), not only the figures."""

from __future__ import annotations

import subprocess
import sys


def test_benchmarks_print_progress_lines():
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "30"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    steps = [line for line in lines if line.lstrip().startswith("[") and " s] " in line]
    assert [s.split("] ", 1)[1] for s in steps][:3] == [
        "seeding 30 Salesforce tasks",
        "first sync: importing 30 tasks into SIA",
        "imported 30/30",
    ]
    assert any("second pass: pushing 30 SIA tasks" in s for s in steps)
    assert "first sync import : SF calls 1 / floor 1" in done.stdout
