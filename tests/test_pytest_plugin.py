"""The pytest plugin as another project meets it: a throw-away project with no conftest, only the
installed `tasksync-harness` (its `pytest11` entry point), run by pytest in a subprocess."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"

# "Their" test module: plain simple-salesforce and requests code, plugin fixtures, the mock_sia decorator.
THEIR_TESTS = '''
import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from mock_sia import ANN_TOKEN, mock_sia


def log_a_call(subject):
    """Code under test: it builds its own client, as production code does."""
    sf = Salesforce(username="admin@example.com", password="password", security_token="token")
    return sf.Task.create({"Subject": subject, "Status": "Completed"})["id"]


def test_simple_salesforce_code_runs_unchanged_against_the_org(sf_org, sf_client, tasksync_clock):
    task_id = log_a_call("Call Ann")
    row = sf_client.Task.get(task_id)
    assert (row["Subject"], row["IsClosed"]) == ("Call Ann", True)
    assert row["CreatedDate"].startswith("2026-11-28T12:00:00")  # the plugin's frozen clock
    assert sf_org.clock is tasksync_clock
    assert sf_org.journal.count() >= 2
    with pytest.raises(SalesforceMalformedRequest):
        sf_client.Task.create({"Subject": "x", "NoSuchField__c": 1})


def test_the_same_over_real_https(sf_https, sf_https_client):
    created = sf_https_client.Task.create({"Subject": "Over TLS"})
    assert sf_https.url.startswith("https://")
    rows = sf_https_client.query("SELECT Subject FROM Task")["records"]
    assert [r["Subject"] for r in rows] == ["Over TLS"]
    assert created["id"].startswith("00T")


def test_the_https_org_is_fresh_for_every_test(sf_https_client):
    assert sf_https_client.query("SELECT Id FROM Task")["totalSize"] == 0


def test_a_sia_client_per_user(sia_instance, sia_client):
    ann = sia_client("ann@sia.example")
    made = ann.post("/api/v1/tasks", json={"name": "Send the deck"})
    assert made.status_code == 201, made.text
    ann_id = sia_instance.user_by_email("ann@sia.example").id
    assert [t["name"] for t in sia_instance.list_tasks(ann_id)] == ["Send the deck"]
    assert sia_client("admin@sia.example").get("/api/v1/tasks").json()["data"] == []
    assert sia_client().get("/api/v1/tasks").status_code == 401


def test_plain_requests_reach_sia_while_the_instance_is_active(sia_instance):
    answer = requests.get("https://sia.mock/api/v1/tasks", headers={"Authorization": f"Bearer {ANN_TOKEN}"})
    assert answer.status_code == 200


@mock_sia
def test_the_decorator_gives_a_fresh_instance_to_plain_code():
    made = requests.post("https://sia.mock/api/v1/tasks", json={"name": "Decorated"},
                         headers={"Authorization": f"Bearer {ANN_TOKEN}"})
    assert made.status_code == 201, made.text


def test_the_harness_syncs_both_ways_on_one_clock(harness, tasksync_clock):
    assert harness.clock is tasksync_clock
    harness.enable_sync()
    harness.sia_api("POST", "/tasks", json={"name": "From SIA"})
    harness.salesforce().Task.create({"Subject": "From Salesforce"})
    tasksync_clock.advance(minutes=1)
    report = harness.run_pass()
    assert report.users, report
    assert {t["name"] for t in harness.sia_tasks()} == {"From SIA", "From Salesforce"}
    assert {t["Subject"] for t in harness.sf_tasks()} == {"From SIA", "From Salesforce"}
'''


def test_a_project_with_no_conftest_gets_the_fixtures_from_the_installed_plugin(pytester):
    pytester.makepyfile(test_their_code=textwrap.dedent(THEIR_TESTS))
    assert not list(pytester.path.glob("**/conftest.py"))
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["tasksync-harness fixtures: mocks on; harness on"])
    result.assert_outcomes(passed=7)


def test_a_broken_expectation_in_their_project_fails_there(pytester):
    """The fixtures are real systems: a wrong expectation about them fails, it is not absorbed."""
    pytester.makepyfile(
        test_wrong="""
        def test_expects_a_task_that_was_never_made(sf_client):
            assert sf_client.query("SELECT Id FROM Task")["totalSize"] == 1
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)


def test_the_readme_example_runs_as_written_in_a_project_with_no_conftest(pytester):
    after = README.read_text(encoding="utf-8").split("## Use it in your own tests", 1)[1]
    section = after.split("\n## ", 1)[0]
    example = re.search(r"```python\n(.*?)```", section, flags=re.S)
    assert example, "the README section has no python example"
    pytester.makepyfile(test_readme_example=example.group(1))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=example.group(1).count("\ndef test_"))


def test_the_header_names_the_extra_to_install_when_a_part_is_missing(pytestconfig, monkeypatch):
    from importlib.util import find_spec

    from tasksync_pytest import plugin

    monkeypatch.setattr(plugin, "find_spec", lambda name: None if name == "tenacity" else find_spec(name))
    assert plugin.pytest_report_header(pytestconfig) == (
        "tasksync-harness fixtures: mocks on; "
        "harness off (pip install 'tasksync-harness[mocks,engine]'; missing tenacity)"
    )
