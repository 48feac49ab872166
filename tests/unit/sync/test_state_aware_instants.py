"""Migration 0004_aware_instants: a state database of the 0003 era (instants as ISO text, `...Z` and
Salesforce's `...+0000`) is upgraded to timezone-aware DateTime columns with every instant kept to
the millisecond, and the engine goes on syncing from it - same links, same bookmarks, no re-sync - on
SQLite and (with TASKSYNC_PG_URL) PostgreSQL. The downgrade gives the text back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, create_engine, insert, inspect, select, text

from sync.engine import Engine
from sync.state import StateStore
from sync.state.migrate import alembic_config, head
from sync.state.models import Base, Cursor, Link, Run, UserState, UtcDateTime
from tasksync_common.instants import iso_ms, salesforce_ms
from tests.postgres.conftest import pg_server, pg_url  # noqa: F401 - fixtures of the PostgreSQL case
from tests.unit.sync.conftest import OWNER, World

OLD = "0003_user_outcomes"
TABLES = (UserState, Link, Cursor, Run)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return request.getfixturevalue("pg_url")


def _old_text(table: str, column: str, row: dict, at: datetime) -> str:
    """An instant as the 0003-era engine stored it: Salesforce's stamps as Salesforce sent them."""
    salesforce = column == "sf_stamp" or (table == "sync_cursors" and row["side"] == "salesforce")
    return salesforce_ms(at) if salesforce else iso_ms(at)


def _state_of_the_0003_era(url: str, synced: StateStore) -> dict[str, list[dict]]:
    """A database migrated to 0003 holding, as text, the rows `synced` holds; those rows (aware)."""
    engine = create_engine(url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), OLD)
    rows: dict[str, list[dict]] = {}
    with synced.engine.connect() as conn:
        for model in TABLES:
            rows[model.__tablename__] = [dict(r._mapping) for r in conn.execute(select(model.__table__))]
    old = MetaData()
    old.reflect(engine)
    with engine.begin() as conn:
        for table, values in rows.items():
            as_text = [
                {k: _old_text(table, k, r, v) if isinstance(v, datetime) else v for k, v in r.items()}
                for r in values
            ]
            conn.execute(insert(old.tables[table]), as_text)
            if engine.dialect.name == "postgresql" and "id" in old.tables[table].c:  # ids were given
                sequence = f"pg_get_serial_sequence('{table}', 'id')"
                conn.execute(text(f"SELECT setval({sequence}, max(id)) FROM {table}"))
        kinds = {c["name"]: str(c["type"]) for c in inspect(conn).get_columns("sync_links")}
        assert "VARCHAR" in kinds["sf_stamp"]  # really the text columns of the 0003 era
        stamp = conn.execute(text("SELECT sf_stamp FROM sync_links LIMIT 1")).scalar_one()
        assert stamp.endswith("+0000")
    engine.dispose()
    return rows


def test_a_0003_database_is_upgraded_exactly_and_the_engine_syncs_on_from_it(url):
    w = World()
    w.sf.create(OWNER, Subject="from Salesforce")
    w.sia.create_task(w.user, "before the enabling")  # R3.2: never pushed - the SIA bookmark must hold
    w.run(minutes=1)
    w.enable()
    w.run(minutes=1)
    w.sia.create_task(w.user, "from SIA")
    w.run(minutes=1)
    w.run(minutes=1)  # settled bookmarks (strict keyset reads) on both sides
    assert sorted(t["name"] for t in w.sia_tasks()) == ["before the enabling", "from SIA", "from Salesforce"]
    assert len(w.sf_tasks()) == 2
    before = _state_of_the_0003_era(url, w.state)
    links_before = w.state.links(w.user)

    store = StateStore(url)  # upgrades 0003 -> head
    try:
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head()
            for model in TABLES:  # every instant, Z or +0000, kept to the millisecond as aware UTC
                got = [dict(r._mapping) for r in conn.execute(select(model.__table__))]
                assert got == before[model.__tablename__]
            instants = [c for c in inspect(conn).get_columns("sync_links") if c["name"].endswith("_stamp")]
            assert all("TIME" in str(c["type"]).upper() for c in instants)
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []  # = the models
        assert store.links(w.user) == links_before
        assert store.cursor(w.user, "salesforce").stamp.tzinfo is UTC
        w.state = store
        w.engine = Engine(sia=w.sia, salesforce_factory=lambda conn: w.sf, state=store, clock=w.clock)

        idle = w.run(minutes=1)
        assert idle.users[0].writes == 0 and idle.users[0].stopped is None  # nothing synced again

        [sf_task] = [r for r in w.sf_tasks() if r["Subject"] == "from SIA"]
        w.sf.edit(sf_task["Id"], Description="edited in Salesforce")
        [sia_task] = [t for t in w.sia_tasks() if t["name"] == "from Salesforce"]
        w.sia.edit_task(sia_task["id"], details="edited in SIA")
        w.sf.create(OWNER, Subject="new in Salesforce")
        report = w.run(minutes=1)
        assert report.users[0].stopped is None
        assert report.total("created") == {"sia": 1, "salesforce": 0}
        assert report.total("updated") == {"sia": 1, "salesforce": 1}
        by_name = {t["name"]: t for t in w.sia_tasks()}
        assert by_name["from SIA"]["details"] == "edited in Salesforce"
        assert "new in Salesforce" in by_name and "before the enabling" in by_name
        assert {r["Subject"]: r["Description"] for r in w.sf_tasks()}["from Salesforce"] == "edited in SIA"
        assert w.run(minutes=1).users[0].writes == 0  # and idle again
        stamps = {link.sf_id: link.sf_stamp for link in store.links(w.user)}
    finally:
        store.close()

    engine = create_engine(url)  # the downgrade gives the text back, and the upgrade the instants again
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), OLD)
    with engine.connect() as conn:
        texts = dict(conn.execute(text("SELECT sf_id, sf_stamp FROM sync_links")).all())
    engine.dispose()
    assert texts == {sf_id: iso_ms(at) for sf_id, at in stamps.items()}
    store = StateStore(url)
    try:
        assert {link.sf_id: link.sf_stamp for link in store.links(w.user)} == stamps
    finally:
        store.close()


def test_unreadable_text_of_an_old_database_does_not_stop_the_upgrade(tmp_path):
    """Text that is no instant (never written by the engine) becomes NULL, or 1970-01-01 UTC where a
    value is required."""
    url = f"sqlite:///{tmp_path / 'odd.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), OLD)
        conn.execute(text("INSERT INTO sync_users (user_id, last_pass_at) VALUES ('usr_1', 'yesterday')"))
        conn.execute(text("INSERT INTO sync_runs (id, started_at) VALUES (1, 'noon')"))
    engine.dispose()
    store = StateStore(url)
    try:
        assert store.user("usr_1").last_pass_at is None
        assert [r.started_at for r in store.runs()] == [datetime(1970, 1, 1, tzinfo=UTC)]
    finally:
        store.close()


def test_a_naive_instant_is_refused_on_the_way_in():
    store = StateStore()
    try:
        with pytest.raises(Exception, match="aware datetime"):
            store.start_run(datetime(2026, 11, 28, 12, 0))  # noqa: DTZ001 - the point of the test
        assert UtcDateTime().process_result_value(datetime(2026, 11, 28, 12, 0), store.engine.dialect) == (
            datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
        )
    finally:
        store.close()
