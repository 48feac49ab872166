"""The feature suite catches a broken rule.

Map Salesforce `Low` priority into SIA (breaking R2.3a) and the named scenario fails; without the
break the same scenario passes.

Runs only the two rows of that Scenario Outline, in-process, through pytester (same process, so
the patch on the engine's rule table is what the scenarios exercise).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sync import rules

FEATURE_TESTS = Path(__file__).resolve().parent / "test_features.py"
NAMED = "test_setting_low_in_salesforce_keeps_the_sales_insight_actions_priority[inprocess-high]"


def run_low_priority_scenarios(pytester) -> pytest.RunResult:
    return pytester.runpytest_inprocess(
        str(FEATURE_TESTS), "--mode=inprocess", "-k", "setting_low_in_salesforce", "-q", "-rf",
        "-p", "no:cacheprovider",
    )


def test_the_low_priority_scenarios_pass_as_the_engine_stands(pytester):
    result = run_low_priority_scenarios(pytester)
    result.assert_outcomes(passed=2)


def test_mapping_salesforce_low_into_sia_fails_the_named_scenario(pytester, monkeypatch):
    # The regression: Salesforce "Low" now reaches SIA as "normal" (R2.3a says: leave it as it was).
    monkeypatch.setitem(rules.PRIORITY_SF_TO_SIA, "Low", "normal")
    result = run_low_priority_scenarios(pytester)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.re_match_lines([rf"FAILED .*{re.escape(NAMED)}"])
