"""Where the org backend used to live; kept so `mock_salesforce.store.Org` and its constants import
as before. The org is `mock_salesforce.backend.Org`, composed of one module per concern."""

from mock_salesforce.backend import DEFAULT_INSTANCE_URL, SF_GUARD_LIMITS, Org
from mock_salesforce.query import LOCATOR_TTL, MAX_LOCATORS, SNAPSHOT_MAX, QueryCursor
from mock_salesforce.records import COLLECTION_MAX
from mock_salesforce.replication import MAX_REPLICATION_IDS, RECYCLE_BIN_DAYS, UPDATED_WINDOW_DAYS
from mock_salesforce.sessions import DEFAULT_PASSWORD, DEFAULT_TOKEN, DEFAULT_USERNAME, SessionInfo

__all__ = [
    "COLLECTION_MAX",
    "DEFAULT_INSTANCE_URL",
    "DEFAULT_PASSWORD",
    "DEFAULT_TOKEN",
    "DEFAULT_USERNAME",
    "LOCATOR_TTL",
    "MAX_LOCATORS",
    "MAX_REPLICATION_IDS",
    "RECYCLE_BIN_DAYS",
    "SF_GUARD_LIMITS",
    "SNAPSHOT_MAX",
    "UPDATED_WINDOW_DAYS",
    "Org",
    "QueryCursor",
    "SessionInfo",
]
