"""The rule ids of the spec, the tags on the scenarios and the rule catalogue (features/README.md)
stay in step: every rule is proven by a scenario, and the catalogue lists exactly those scenarios.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pytest_bdd.parser import FeatureParser

ROOT = Path(__file__).resolve().parent.parent
FEATURES = ROOT / "features"
SPEC = ROOT.parent / "shared" / "spec" / "reminder-task-sync.md"
RULE_ID = re.compile(r"^R\d+\.\d+[a-z]?$")


def tagged_scenarios() -> dict[str, set[tuple[str, str]]]:
    """rule id -> {(feature file name, scenario name)}."""
    out: dict[str, set[tuple[str, str]]] = {}
    for path in sorted(FEATURES.glob("*.feature")):
        feature = FeatureParser(str(FEATURES), path.name).parse()
        for scenario in feature.scenarios.values():
            for tag in scenario.tags:
                out.setdefault(tag, set()).add((path.name, scenario.name))
    return out


def spec_rule_ids() -> set[str]:
    """The rule ids of the spec (the shared spec when present, else the ones the catalogue lists)."""
    if SPEC.exists():
        return set(re.findall(r"\*\*(R\d+\.\d+[a-z]?) ", SPEC.read_text(encoding="utf-8")))
    return set(re.findall(r"^\*\*(R\d+\.\d+[a-z]?)\*\*", (FEATURES / "README.md").read_text(), re.M))


def test_every_rule_id_of_the_spec_is_proven_by_a_scenario() -> None:
    tags = tagged_scenarios()
    ids = spec_rule_ids()
    assert len(ids) >= 32
    assert sorted(ids - set(tags)) == []
    assert sorted(t for t in tags if t not in ids and RULE_ID.match(t)) == [], "tags naming no spec rule"


@pytest.mark.parametrize("rule_id", sorted(spec_rule_ids()))
def test_the_rule_catalogue_lists_the_rule_and_its_scenarios(rule_id: str) -> None:
    catalogue = (FEATURES / "README.md").read_text(encoding="utf-8")
    sections = re.split(r"^\*\*(R\d+\.\d+[a-z]?)\*\*", catalogue, flags=re.M)
    body = dict(zip(sections[1::2], sections[2::2], strict=True)).get(rule_id)
    assert body is not None, f"{rule_id} is missing from features/README.md"
    assert re.match(r" — \*(documented|decided|documented \+ decided)\*", body), body[:80]
    listed = set(re.findall(r"^- `([^`]+\.feature)` — (.+)$", body, flags=re.M))
    assert listed == tagged_scenarios()[rule_id]
