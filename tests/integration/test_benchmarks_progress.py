"""`python -m benchmarks` says what it is doing while it runs (progress lines), not only the figures."""

from __future__ import annotations

import subprocess
import sys


def test_benchmarks_print_progress_lines():
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--sizes", "30,60", "--no-memory"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    steps = [line for line in lines if line.lstrip().startswith("[") and " s] " in line]
    assert [s.split("] ", 1)[1] for s in steps][:3] == [
        "N=30: seeding 30 Salesforce tasks",
        "N=30: import pass",
        "N=30: imported 30/30",
    ]
    assert any("N=60: push pass" in s for s in steps)
    # the table: each pass side by side at both sizes, with Salesforce calls against the floor
    table = done.stdout[done.stdout.index("pass ") :]
    assert "N=30" in table.splitlines()[0] and "N=60" in table.splitlines()[0]
    import_calls = next(line for line in table.splitlines()[::-1] if line.startswith("import"))
    assert "1/1;" in import_calls
