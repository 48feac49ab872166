"""The living-documentation page, checked on a tiny feature set run through pytester (cheap).

Also proves that an unbound step fails the run instead of being skipped.
"""

from __future__ import annotations

import textwrap

FEATURE = """\
Feature: Pocket calculator
  A calculator a reviewer can read about.

  Rule: Adding two numbers gives their sum

    @R9.1
    Example: Two and two
      Given the calculator shows 2
      When 2 is added
      Then the calculator shows 4

    @R9.1 @R9.1a
    Scenario Outline: Adding to <start>
      Given the calculator shows <start>
      When <more> is added
      Then the calculator shows <sum>

      Examples:
        | start | more | sum |
        | 1     | 1    | 2   |
        | 5     | 1    | 7   |

  Rule: Unknown keys are refused

    @R9.2
    Example: A key nobody wired
      Given the calculator shows 1
      When the square-root key is pressed
      Then the calculator shows 1
"""

STEPS = """\
import pytest
from pytest_bdd import given, parsers, scenarios, then, when

scenarios("calculator.feature")


@given(parsers.parse("the calculator shows {value:d}"), target_fixture="shown")
def shows(value):
    return value


@when(parsers.parse("{value:d} is added"), target_fixture="shown")
def add(shown, value):
    return shown + value


@then(parsers.parse("the calculator shows {value:d}"))
def check(shown, value):
    assert shown == value, f"the calculator shows {shown}, not {value}"
"""


def run_tiny_suite(pytester):
    pytester.makefile(".feature", calculator=FEATURE)
    pytester.makepyfile(test_calculator=STEPS)
    pytester.makeini(
        textwrap.dedent("""\
        [pytest]
        markers =
            R9.1: rule
            R9.1a: rule
            R9.2: rule
        """)
    )
    report = pytester.path / "out" / "acceptance.html"
    result = pytester.runpytest_inprocess(
        "-p", "reporting", "--strict-markers", f"--acceptance-html={report}"
    )
    return result, report.read_text(encoding="utf-8")


def test_the_page_shows_features_rules_examples_tags_and_results(pytester):
    result, page = run_tiny_suite(pytester)
    result.assert_outcomes(passed=2, failed=2)

    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert "Feature: Pocket calculator" in page
    assert "A calculator a reviewer can read about." in page
    # Feature -> Rule -> Example, in file order
    first_rule = page.index("Rule: Adding two numbers gives their sum")
    second_rule = page.index("Rule: Unknown keys are refused")
    examples = [page.index("Example: Two and two"), page.index("Scenario Outline: Adding to")]
    assert first_rule < examples[0] < examples[1] < second_rule
    assert second_rule < page.index("Example: A key nobody wired")
    # rule ids as tags, and the coverage table
    for tag in ("@R9.1", "@R9.1a", "@R9.2"):
        assert f"<span class='tag'>{tag}</span>" in page
    assert "Rules and the Examples that prove them" in page
    # each outline row with its values and result; the failing row's message and failing step
    assert "start = 1, more = 1, sum = 2" in page and "start = 5, more = 1, sum = 7" in page
    assert "the calculator shows 6, not 7" in page
    assert "<li class='failed'><span class='kw'>Then</span> the calculator shows 7" in page
    assert page.count("class='badge passed'>passed</span>") >= 2
    assert "class='badge failed'>failed</span>" in page


def test_an_unbound_step_fails_the_run(pytester):
    result, page = run_tiny_suite(pytester)
    result.stdout.fnmatch_lines(["*StepDefinitionNotFoundError*square-root key*"])
    assert "the square-root key is pressed" in page
    assert "StepDefinitionNotFoundError" in page
