"""Issue 9: a large steady-state pass runs page by page (`sync.paged`, memory O(page)) with the same
results and the same API calls as the pass at once - against both mocks in-process (real
simple-salesforce, real HTTP, real SQLite). A small `stream_pass_above` sends a few hundred tasks down
the paged path; pages of 7 groups and batches of 25 make every page boundary cut across batches."""

from __future__ import annotations

from dataclasses import dataclass, field

from sandbox.harness import Harness
from sync.engine import EngineSettings

N_SF, N_SIA = 90, 110
SIA_FIELDS = ("name", "status", "priority", "due_date", "details")
SF_FIELDS = ("Subject", "Status", "Priority", "ActivityDate", "Description")


@dataclass
class Outcome:
    passes: list[dict] = field(default_factory=list)
    sia: list[tuple] = field(default_factory=list)
    sf: list[tuple] = field(default_factory=list)
    links: int = 0
    plans: list[int] = field(default_factory=list)  # rows each plan of a paged pass saw


def sia_batch(h, ops):
    for start in range(0, len(ops), 200):
        response = h.sia_api("POST", "/tasks/batch", json={"operations": ops[start : start + 200]})
        assert response.status_code == 200, response.text
        assert all(r["status"] < 300 for r in response.json()["results"]), response.text


def digest(report) -> dict:
    u = report.users[0]
    assert report.error is None and u.stopped is None, (report.error, u.stopped)
    return {
        "created": u.created,
        "updated": u.updated,
        "deleted": u.deleted,
        "skipped": u.skipped,
        "conflicts": sorted((c["field"], c["winner"]) for c in u.conflicts),
        "errors": sorted(e["code"] for e in u.errors),
        "alerts": [(a["kind"], a["would_delete"], a["linked"]) for a in u.alerts],
        "unlinked": len(u.unlinked),
        "api_calls": u.api_calls,
    }


def scenario(settings: EngineSettings) -> Outcome:
    out = Outcome()
    with Harness(settings=settings) as h:
        h.engine.hooks.planned = lambda _uid, sia, sf: out.plans.append(sia + sf)

        def step(**delta):
            h.clock.advance(**(delta or {"minutes": 1}))
            out.passes.append(digest(h.run_pass()))

        h.org.seed(N_SF, seed=7, owner=h.sf_user_id)
        h.clock.advance(minutes=1)
        h.enable_sync()
        step()  # the first import (never paged here: `stream_import_above` is the default)
        step()  # the look-back re-read
        # An error retried every pass (F7, R2.3): High is no Salesforce Priority for a while.
        h.org.configure_picklist("Priority", values=["Normal", "Low"], restricted=True, high=[])
        ops = [{"op": "create", "data": {"name": f"push {i:03d}", "details": f"d{i}"}} for i in range(N_SIA)]
        ops[5]["data"]["priority"] = "high"
        sia_batch(h, ops)
        step()  # the push: 110 SIA rows, 109 creates, 1 error
        step()  # the echo: both sides read back
        step()  # the retry of the error, still failing

        sf = h.salesforce()
        links = sorted(h.state.links(h.user_id), key=lambda link: link.sf_id)
        # R4.3 a conflict pair: one field changed on both sides; SIA edits 45 names (pushes), Salesforce
        # 20 descriptions and statuses (pulls); a deletion each way (R4.1, R4.2).
        pair = links[0]
        sia_batch(h, [{"op": "update", "id": pair.sia_id, "data": {"details": "edited in SIA"}}])
        sia_batch(
            h,
            [
                {
                    "op": "update",
                    "id": link.sia_id,
                    "data": {"name": f"renamed {link.sia_id}", "details": "from SIA"},
                }
                for link in links[10:55]
            ],
        )
        sia_batch(h, [{"op": "delete", "id": link.sia_id} for link in links[55:58]])
        h.clock.advance(seconds=5)
        sf.Task.update(pair.sf_id, {"Description": "edited in Salesforce"})
        for link in links[60:80]:
            sf.Task.update(link.sf_id, {"Description": f"pulled {link.sf_id}", "Status": "Completed"})
        for link in links[80:83]:
            sf.Task.delete(link.sf_id)
        h.org.configure_picklist("Priority", values=["High", "Normal", "Low"], high=["High"])
        step()  # the changes both ways, and the retry lands
        step()  # their echo

        # F16: 120 of ~190 linked Salesforce tasks purged before any pass saw them; R1.4: one reassigned.
        other = h.org.create_user({"Username": "bob@example.com"})
        links = sorted((k for k in h.state.links(h.user_id) if k.live), key=lambda link: link.sf_id)
        sf.Task.update(links[-1].sf_id, {"OwnerId": other["Id"]})
        gone = [link.sf_id for link in links[:120]]
        for start in range(0, len(gone), 200):
            sf.restful(
                "composite/sobjects",
                method="DELETE",
                params={"ids": ",".join(gone[start : start + 200]), "allOrNone": "false"},
            )
        h.org.purge_recycle_bin()
        step(hours=7)  # the reconciliation sweep is due: the deletions are held, the reassigned unlinked
        h.engine.settings.allow_mass_delete = True
        step()  # confirmed: they go ahead
        h.engine.settings.allow_mass_delete = False
        step()
        step()  # idle

        out.sia = sorted(tuple(t.get(f) for f in SIA_FIELDS) for t in h.sia_tasks())
        out.sf = sorted(tuple(r.get(f) for f in SF_FIELDS) for r in h.sf_tasks())
        out.links = sum(1 for link in h.state.links(h.user_id) if link.live)
    return out


def test_paged_pass_has_the_results_and_calls_of_the_pass_at_once():
    """Same final tasks on both sides, same reports and API calls pass by pass: a conflict pair, a
    deletion each way, an error retried until it lands, a held mass deletion then confirmed, a reassigned
    task unlinked - while no plan of the paged pass sees more than a page (7 groups, <= 2 rows each)."""
    at_once = scenario(EngineSettings(stream_pass_above=None, batch_size=25))
    paged = scenario(EngineSettings(stream_pass_above=40, pass_page_size=7, batch_size=25))

    assert at_once.plans == []  # never paged
    assert len(paged.plans) > 50 and max(paged.plans) <= 14
    for i, (a, p) in enumerate(zip(at_once.passes, paged.passes, strict=True)):
        assert a == p, f"pass {i + 1}:\n at once {a}\n paged   {p}"
    assert paged.sia == at_once.sia and paged.sf == at_once.sf and paged.links == at_once.links
    # The scenario did what it says (so that equality above means something).
    passes = at_once.passes
    assert passes[2]["created"]["salesforce"] == N_SIA - 1 and passes[2]["errors"] == [
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    ]
    assert passes[4]["errors"] == ["INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"]
    changes = passes[5]
    assert changes["conflicts"] == [("details", "salesforce")] and changes["errors"] == []
    assert changes["deleted"] == {"sia": 3, "salesforce": 3} and changes["created"]["salesforce"] == 1
    assert changes["updated"]["salesforce"] >= 45 and changes["updated"]["sia"] >= 20
    held, confirmed = passes[7], passes[8]
    assert held["alerts"] and held["alerts"][0][1] == 120 and held["deleted"]["sia"] == 0
    assert held["unlinked"] == 1
    assert confirmed["deleted"]["sia"] == 120 and confirmed["alerts"] == []
    assert (
        passes[-1]["created"] == passes[-1]["updated"] == passes[-1]["deleted"] == {"sia": 0, "salesforce": 0}
    )
