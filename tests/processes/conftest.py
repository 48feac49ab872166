"""Real processes: both mock servers and `tasksync run` started, signalled and killed as an operator would.

`pg_url` (a fresh PostgreSQL database per test, skipped without TASKSYNC_PG_URL) comes from tests/postgres."""

from tests.postgres.conftest import pg_server, pg_url  # noqa: F401
