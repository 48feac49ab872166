"""The issue's deterministic case with a real `kill -9`: the engine imports a Salesforce task into SIA,
SIA commits it, and the engine is killed before it saves the link; the rep then edits the Salesforce
task; the restarted engine leaves exactly one SIA task carrying the edit, files no 409, and makes no
second Salesforce task (R4.6/F8).

SIA's `drop_after_commit` fault (its control plane) holds the window open: every batch is committed
and its answer dropped, so the engine can never record it - then the engine is killed."""

from __future__ import annotations

import signal
import time

from tests.processes.world import World, settle


def test_F8_killed_after_sia_committed_the_import_then_the_rep_edits_salesforce(tmp_path):
    with World(tmp_path, f"sqlite:///{tmp_path / 'state.db'}") as w:
        w.connect_users(1)
        [ann] = w.users
        sf_id = ann.sf.Task.create({"Subject": "Call Ada", "Description": "first words"})["id"]
        fault = w.http.post(
            f"{w.sia_url}/__admin/faults",
            json={"kind": "drop_after_commit", "method": "POST", "path": "/tasks/batch"},
        ).json()
        log = tmp_path / "engine.log"
        proc = w.start_engine("--interval", "0.5", log=log)
        deadline = time.monotonic() + 60
        while not w.sides(ann)[0] and time.monotonic() < deadline:
            time.sleep(0.1)
        [orphan] = w.sides(ann)[0]  # SIA committed the import ...
        proc.send_signal(signal.SIGKILL)  # ... and the engine dies without knowing
        proc.wait()
        w.http.delete(f"{w.sia_url}/__admin/faults/{fault['id']}").raise_for_status()

        ann.sf.Task.update(sf_id, {"Description": "edited after the crash"})
        report = w.run_once()
        assert report["totals"]["errors"] == 0, report
        sia, sf = w.sides(ann)
        assert [(t["id"], t["details"]) for t in sia] == [(orphan["id"], "edited after the crash")]
        assert [r["Id"] for r in sf] == [sf_id]  # the SIA task was not pushed back as a second one
        assert settle(w)[-1] == 0
