"""Both mocks, as standalone servers on PostgreSQL, answer 16 concurrent clients without an error."""

from __future__ import annotations

import os
import uuid

import pytest

ENV = "TASKSYNC_PG_URL"
pytestmark = pytest.mark.skipif(
    not os.environ.get(ENV), reason=f"{ENV} is not set: this runs both mocks on PostgreSQL"
)


def test_sixteen_concurrent_clients_get_no_errors(tmp_path):
    from benchmarks.mock_load import run_load
    from sandbox.fleet import Lab

    with Lab(os.environ[ENV], tmp_path, prefix=f"ts_load_{uuid.uuid4().hex[:8]}") as lab:
        lab.add_users(4, tasks=5)
        results = [run_load(lab, side, clients=16, seconds=3) for side in ("sia", "salesforce")]
    for result in results:
        assert not result.errors, (result.name, result.errors[:5])
        assert result.ok >= 16, result
