"""The SIA mock's domain verbs over its tables. No HTTP here: routes call these and render the result.

Every verb runs in one short transaction under one lock (the in-memory SQLite database is a single
connection shared by all server threads). Times come from the injected clock, as epoch milliseconds.
"""

from __future__ import annotations

from mock_sia.accounts import (
    DEFAULT_SERVICE_TOKEN,
    DEFAULT_USERS,
    AccountsMixin,
    UserInfo,
    default_password,
    hash_password,
)
from mock_sia.seed import SeedMixin
from mock_sia.settings import SettingsMixin, check_template
from mock_sia.tasks import ListQuery
from mock_sia.wire import encode_cursor, ms_to_iso, task_to_dict, zone

__all__ = [
    "DEFAULT_SERVICE_TOKEN",
    "DEFAULT_USERS",
    "ListQuery",
    "SiaStore",
    "UserInfo",
    "check_template",
    "default_password",
    "encode_cursor",
    "hash_password",
    "ms_to_iso",
    "task_to_dict",
    "zone",
]


class SiaStore(AccountsMixin, SettingsMixin, SeedMixin):
    """The domain verbs of one SIA instance over one database: its parts on one `StoreBase`."""
