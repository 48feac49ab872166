"""The feature suite catches a broken rule.

Map Salesforce `Low` priority into SIA (breaking R2.3a) and the named scenario fails; without the
break the same scenario passes. See it with `.venv/bin/pytest -v tests/test_features_catch_regressions.py`.

Runs only the two rows of that Scenario Outline, in-process mode, in a fresh pytest process each
(pytester's subprocess run), the break applied by a tiny plugin loaded with `-p`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

FEATURE_TESTS = Path(__file__).resolve().parent / "test_features.py"
NAMED = "test_setting_low_in_salesforce_keeps_the_sales_insight_actions_priority[inprocess-high]"
BREAK_R23A = """
def pytest_configure(config):
    from sync import rules

    # The regression: Salesforce "Low" now reaches SIA as "normal" (R2.3a: leave it as it was).
    rules.PRIORITY_SF_TO_SIA["Low"] = "normal"
"""


def run_low_priority_scenarios(pytester: pytest.Pytester, *extra: str) -> pytest.RunResult:
    pytester.makepyfile(break_r23a=BREAK_R23A)
    return pytester.runpytest_subprocess(
        str(FEATURE_TESTS),
        "--mode=inprocess",
        "-k",
        "setting_low_in_salesforce",
        "-q",
        "-rf",
        "-p",
        "no:cacheprovider",
        f"--rootdir={FEATURE_TESTS.parent.parent}",
        *extra,
    )


def test_the_low_priority_scenarios_pass_as_the_engine_stands(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(pytester.path))
    result = run_low_priority_scenarios(pytester)
    result.assert_outcomes(passed=2)


def test_mapping_salesforce_low_into_sia_fails_the_named_scenario(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(pytester.path))
    result = run_low_priority_scenarios(pytester, "-p", "break_r23a")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.re_match_lines([rf"FAILED .*{re.escape(NAMED)}"])
