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
