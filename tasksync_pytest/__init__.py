"""tasksync-harness as a pytest plugin: offline Salesforce and SIA in your own tests, no conftest needed.

Installing the project registers `tasksync_pytest.plugin` through the `pytest11` entry point; see the
README section "Use it in your own tests" for the fixtures.
"""
