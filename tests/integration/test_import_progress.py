"""`Hooks.progress`: a large first import reports its progress page by page (what `tasksync run` shows
as a bar on a terminal), with Salesforce's own count as the total."""

from __future__ import annotations

import io

from sandbox.harness import Harness
from sync.adapters.salesforce import SalesforceAdapter
from sync.engine import Engine, EngineSettings, Hooks
from sync.progress import ImportProgress


def test_a_paged_first_import_reports_progress_per_page():
    with Harness() as h:
        h.org.seed(600, 1, owner=h.sf_user_id)  # all made "now": inside the 24-hour window
        calls: list[tuple[str, int, int | None]] = []
        engine = Engine(
            sia=h.sia_client,
            salesforce_factory=lambda c: SalesforceAdapter(
                c["username"], c["password"], c["security_token"], page_size=200
            ),
            state=h.state,
            clock=h.clock,
            settings=EngineSettings(stream_import_above=100),
            hooks=Hooks(progress=lambda *args: calls.append(args)),
        )
        h.enable_sync()
        report = engine.run_pass()
        assert sum(report.users[0].created.values()) == 600
        assert calls == [(h.user_id, 200, 600), (h.user_id, 400, 600), (h.user_id, 600, 600)]


def test_the_progress_bar_follows_the_hook():
    out = io.StringIO()
    bar = ImportProgress(out)
    bar("usr_2", 200, 600)
    bar("usr_2", 600, 600)
    bar.close()
    assert "importing usr_2" in out.getvalue() and "600/600" in out.getvalue()


def _run_tasksync(h: Harness, state_db: str, *extra: str, tty: bool) -> tuple[int, str, str]:
    """`tasksync run --once` as a process against the harness's servers; stderr on a terminal if `tty`."""
    import os
    import pty
    import subprocess
    import sys

    cmd = [
        sys.executable,
        "-m",
        "sync",
        "run",
        "--once",
        "--sia-url",
        h.sia_url,
        "--service-token",
        h.sia.service_token,
        "--salesforce-url",
        h.sf_url,
        "--ca-bundle",
        h.ca_path,
        "--state-db",
        state_db,
        *extra,
    ]
    if not tty:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        return done.returncode, done.stdout, done.stderr
    leader, follower = pty.openpty()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=follower, text=True)
    os.close(follower)
    out = proc.stdout.read()
    proc.wait(timeout=120)
    err = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal's other end closed
            break
        if not chunk:
            break
        err += chunk
    os.close(leader)
    return proc.returncode, out, err.decode(errors="replace")


def test_tasksync_run_shows_the_import_bar_only_on_a_terminal_and_not_with_json(tmp_path):
    with Harness(mode="servers") as h:
        h.org.seed(30, 1, owner=h.sf_user_id)
        h.enable_sync()
        code, out, err = _run_tasksync(h, f"sqlite:///{tmp_path / 'a.db'}", tty=True)
        assert code == 0, out + err
        assert f"importing {h.user_id}" in err and "30/30" in err, out + err  # the bar, on the terminal
        assert "importing" not in out  # the report on stdout stays clean
        code, out, err = _run_tasksync(h, f"sqlite:///{tmp_path / 'b.db'}", "--json", tty=True)
        assert code == 0 and "importing" not in err
        code, out, err = _run_tasksync(h, f"sqlite:///{tmp_path / 'c.db'}", tty=False)
        assert code == 0 and "importing" not in err
