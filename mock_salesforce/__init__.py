"""A Salesforce org emulator for the Task REST API: real state, real status codes, real errors.

    from mock_salesforce import mock_salesforce
    with mock_salesforce() as org:          # unchanged simple-salesforce code talks to a fresh org
        sf = Salesforce(username="admin@example.com", password="password", security_token="token")

See docs/salesforce-coverage.md for what is emulated and how it differs from a real org.
"""

from mock_salesforce.app import create_app, get_org
from mock_salesforce.inprocess import mock_salesforce, salesforce_session
from mock_salesforce.store import DEFAULT_INSTANCE_URL, DEFAULT_PASSWORD, DEFAULT_TOKEN, DEFAULT_USERNAME, Org

__all__ = [
    "DEFAULT_INSTANCE_URL",
    "DEFAULT_PASSWORD",
    "DEFAULT_TOKEN",
    "DEFAULT_USERNAME",
    "Org",
    "create_app",
    "get_org",
    "mock_salesforce",
    "salesforce_session",
]
