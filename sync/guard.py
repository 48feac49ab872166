"""F16 mass-delete guard (vdirsyncer `StorageEmpty`): hold a pass's deletions inferred from absence."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sync.actions import Action, DeleteInSia

if TYPE_CHECKING:
    from sync.engine import EngineSettings
    from sync.report import UserReport

SIA = "sia"


def mass_delete_held(
    s: EngineSettings,
    linked: int,
    actions: list[Action],
    start: str | None,
    ur: UserReport,
    purged: dict[str, str],
) -> set[int]:
    """F16 (vdirsyncer StorageEmpty): the actions (by `id()`) whose deletions are held in this pass.

    Only deletions *inferred from absence* are guarded: a linked id the linked-id check (R3.4) or
    the reconciliation sweep did not find. An empty answer there can mean a wrong scope, a
    permission change or an outage. Deletions a system states explicitly - Salesforce rows with
    `IsDeleted`, SIA tombstones - always propagate, as documented (R4.1, R4.2, R4.4).
    Inferred deletions are held when they reach `mass_delete_min` tasks and more than
    `mass_delete_share` of the user's linked tasks (all of them: Salesforce "looks empty"). An
    alert goes into the report; the check runs again next pass and proceeds once the operator
    confirms (`allow_mass_delete`) or the condition is gone. R3.4: on a previously-enabled start
    they are not held either - that is documented behaviour (a failed read never plans
    deletions: it stops the user before planning).
    """
    if not s.mass_delete_guard or s.allow_mass_delete or not purged:
        return set()
    doomed = [
        a for a in actions if isinstance(a, DeleteInSia) and a.link is not None and a.link.sf_id in purged
    ]
    found: dict[str, int] = {}
    for a in doomed:
        how = (a.how_found or "").split(":")[0].split(" (")[0]
        found[how] = found.get(how, 0) + 1
    if not holds(s, linked, len(doomed), found, start, ur):
        return set()
    return {id(a) for a in doomed}


def holds(
    s: EngineSettings, linked: int, n: int, found: dict[str, int], start: str | None, ur: UserReport
) -> bool:
    """F16: whether `n` deletions into SIA inferred from absence (out of `linked` live links; `found`:
    how many by each way of finding them) are held in this pass; when held, the alert is reported.
    The paged pass (`sync.paged`) asks this with counts, before it plans any page."""
    if not s.mass_delete_guard or s.allow_mass_delete or not n:
        return False
    into = SIA
    if start == "previously_enabled":
        return False  # R3.4
    if n < s.mass_delete_min or n <= s.mass_delete_share * linked:
        return False
    source = "Salesforce" if into == SIA else "SIA"
    kind = "side_empty" if n >= linked else "share"
    detail = (
        f"all of them: {source} looks empty"
        if kind == "side_empty"
        else f"more than {s.mass_delete_share:.0%} of them"
    )
    ur.alerts.append(
        {
            "alert": "mass_delete",
            "rule": "F16",
            "kind": kind,
            "into": into,
            "would_delete": n,
            "linked": linked,
            "how_found": found,
            "message": (
                f"{n} of {linked} linked tasks are gone from {source} without a deletion it "
                f"reported, and would be deleted in {into} ({detail}); held - confirm with "
                "--allow-mass-delete, or they go ahead once the condition is gone"
            ),
        }
    )
    return True
