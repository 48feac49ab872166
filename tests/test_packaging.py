"""Packaging that fits another project: `pip install tasksync-harness[engine]` in a fresh virtualenv gives
an importable engine without the mocks' dependencies (Flask, Faker, lark, trustme), and the pytest
plugin it registers stays harmless there.

pip may need a package index (it installs the engine's dependencies); without one the test skips and
says so. `TASKSYNC_OFFLINE=1` skips it up front; `-m "not network"` deselects it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "tasksync_common",
    "tasksync_pytest",
    "mock_core",
    "mock_salesforce",
    "mock_sia",
    "sync",
    "sandbox",
)
# What a project that only runs the engine imports. (A check that no `mock_*` module gets loaded joins
# once sync/cli.py and sync/state/store.py import nothing from the mocks; today they load mock_core's
# pure parts: Clock re-export, db, errors, faults, journal.)
ENGINE_MODULES = (
    "tasksync_common.clock",
    "tasksync_common.subject_template",
    "sync.domain",
    "sync.mapping",
    "sync.planner",
    "sync.engine",
    "sync.state",
    "sync.adapters.salesforce",
    "sync.adapters.sia",
    "sync.adapters.memory",
    "sync.cli",
)
MOCK_ONLY = ("flask", "faker", "lark", "trustme")
NO_INDEX = re.compile(
    r"Failed to establish a new connection|Temporary failure in name resolution|Name or service not known"
    r"|Network is unreachable|ConnectTimeout|Read timed out|No matching distribution found"
    r"|Could not find a version that satisfies",
)

PROBE = """
import importlib, importlib.util, json, sys
modules = sys.argv[1].split(",")
for name in modules:
    importlib.import_module(name)
found = [m for m in sys.argv[2].split(",") if importlib.util.find_spec(m) is not None]
print(json.dumps({"imported": modules, "importable": found}))
"""


def pip_install(python: Path, *requirements: str) -> None:
    """pip install into the fresh virtualenv; skip (saying why) when no package index answers."""
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *requirements],
        capture_output=True,
        text=True,
        timeout=240,
    )
    if install.returncode != 0:
        output = install.stdout + install.stderr
        if NO_INDEX.search(output):
            pytest.skip(f"pip could not reach a package index for {requirements}: {output[-400:]}")
        pytest.fail(f"pip install {' '.join(requirements)} failed:\n{output[-3000:]}")


def copy_source(target: Path) -> Path:
    """The project as a source tree (no .venv, no build leftovers), so pip builds outside the worktree."""
    target.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, target / name)
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, target / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    return target


@pytest.mark.network
def test_the_engine_extra_installs_without_flask_faker_lark_or_trustme(tmp_path):
    if os.environ.get("TASKSYNC_OFFLINE"):
        pytest.skip("TASKSYNC_OFFLINE is set: installing into a fresh virtualenv needs a package index")
    source = copy_source(tmp_path / "src")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    pip_install(python, f"{source}[engine]")

    probe = subprocess.run(
        [str(python), "-c", PROBE, ",".join(ENGINE_MODULES), ",".join(MOCK_ONLY)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,  # not the source tree: the installed package must be the one imported
    )
    assert probe.returncode == 0, probe.stderr
    seen = json.loads(probe.stdout)
    assert seen["imported"] == list(ENGINE_MODULES)
    pulled = seen["importable"]
    assert pulled == [], f"the engine extra pulled in the mocks' dependencies: {pulled}"
    tasksync = env_dir / "bin" / "tasksync"
    cli = subprocess.run([str(tasksync), "--help"], capture_output=True, text=True, timeout=60)
    assert cli.returncode == 0, cli.stderr
    assert "Usage: tasksync" in cli.stdout

    # pytest loads every installed pytest11 plugin, ours included: with only [engine] it must load,
    # register no mock fixtures, and say what to install.
    pip_install(python, "pytest")
    (tmp_path / "their_tests").mkdir()
    (tmp_path / "their_tests" / "test_engine_only.py").write_text("def test_nothing():\n    pass\n")
    run = subprocess.run(
        [str(python), "-m", "pytest", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path / "their_tests",
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "tasksync-harness fixtures: mocks off (pip install 'tasksync-harness[mocks]'" in run.stdout
    assert "1 passed" in run.stdout
