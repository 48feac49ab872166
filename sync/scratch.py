"""A per-pass scratch store for a large steady-state pass (issue 9: memory O(page), not O(tasks)).

A private temporary SQLite database (stdlib `sqlite3`, the empty file name: SQLite makes it on disk,
keeps a small page cache in memory and removes it on close) - never the state database, so it needs
no schema migration. It holds, for one user's pass:

* `rows`: both change lists as read (side, id) -> the row's JSON, plus the few columns the pass
  selects on (the Salesforce owner and External ID, whether an SIA task is a tombstone);
* `links`: a snapshot of the links those rows (and the purged ids) name, as the pass found them
  (pickled: the stamps are aware datetimes, kept exactly);
* `purged`: linked Salesforce ids the linked-id check did not find (R3.4), with how they were found;
* `groups`: every row in exactly one group - the rows one plan must see together: both sides of a
  link, or an unlinked SIA task and the unlinked Salesforce rows carrying its id as External ID
  (R4.6 "pending"). Groups are planned in pages, so the planner never holds more than a page.
"""

from __future__ import annotations

import json
import pickle
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import fields

from sync.domain import EXTERNAL_ID_FIELD, LinkObs, Row

SIA, SF = "sia", "salesforce"
PHASE_SF, PHASE_SIA_ONLY = 1, 2  # groups with a Salesforce row (or a purged id) / SIA rows only

_LINK_FIELDS = tuple(f.name for f in fields(LinkObs))


def _pickle_link(link: LinkObs) -> bytes:
    return pickle.dumps(tuple(getattr(link, name) for name in _LINK_FIELDS), pickle.HIGHEST_PROTOCOL)


_SCHEMA = """
CREATE TABLE rows (
    side TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,
    owner TEXT, ext TEXT, deleted INTEGER NOT NULL DEFAULT 0, grp TEXT,
    PRIMARY KEY (side, id)
);
CREATE TABLE links (
    row_id INTEGER PRIMARY KEY, sia_id TEXT NOT NULL, sf_id TEXT NOT NULL, live INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX links_sia ON links (sia_id);
CREATE INDEX links_sf ON links (sf_id);
CREATE TABLE purged (sf_id TEXT PRIMARY KEY, how TEXT NOT NULL, grp TEXT);
CREATE TABLE groups (grp TEXT PRIMARY KEY, phase INTEGER NOT NULL);
"""


class Scratch:
    """One user's pass in a temporary SQLite file; `close()` (or `with`) removes it."""

    def __init__(self) -> None:
        self.db = sqlite3.connect("")  # a private temporary database on disk
        self.db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + _SCHEMA)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Scratch:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- the change lists ----------------------------------------------------------------------
    def put(self, side: str, rows: Iterable[Row]) -> None:
        """Add rows read from one side; a row read again replaces the earlier one (like `dict.update`)."""
        key = "Id" if side == SF else "id"
        self.db.executemany(
            "INSERT INTO rows (side, id, body, owner, ext, deleted) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (side, id) DO UPDATE SET body = excluded.body, owner = excluded.owner, "
            "ext = excluded.ext, deleted = excluded.deleted",
            [
                (
                    side,
                    r[key],
                    json.dumps(r),
                    r.get("OwnerId") if side == SF else None,
                    r.get(EXTERNAL_ID_FIELD) if side == SF else None,
                    int(bool(r.get("deleted_at"))) if side == SIA else int(bool(r.get("IsDeleted"))),
                )
                for r in rows
            ],
        )

    def count(self, side: str) -> int:
        return int(self.db.execute("SELECT count(*) FROM rows WHERE side = ?", (side,)).fetchone()[0])

    def get(self, side: str, ids: Iterable[str]) -> dict[str, Row]:
        """The rows of these ids that were read (an indexed lookup each)."""
        out: dict[str, Row] = {}
        for i in ids:
            found = self.db.execute("SELECT body FROM rows WHERE side = ? AND id = ?", (side, i)).fetchone()
            if found is not None:
                out[i] = json.loads(found[0])
        return out

    def known(self, side: str, ids: Iterable[str]) -> set[str]:
        """Which of these ids were read."""
        q = "SELECT 1 FROM rows WHERE side = ? AND id = ?"
        return {i for i in ids if self.db.execute(q, (side, i)).fetchone() is not None}

    def ids(self, side: str, page: int) -> Iterator[list[str]]:
        """The ids read from one side, `page` at a time."""
        q = "SELECT id FROM rows WHERE side = ? AND id > ? ORDER BY id LIMIT ?"
        return self._keyset(q, (side,), page)

    def foreign(self, owner: str) -> list[str]:
        """Salesforce rows another user owns (read by id: retries, the linked-id check; R1.4)."""
        q = "SELECT id FROM rows WHERE side = ? AND owner IS NOT NULL AND owner != '' AND owner != ?"
        return [i for (i,) in self.db.execute(q, (SF, owner))]

    def drop(self, side: str, ids: Iterable[str]) -> None:
        self.db.executemany("DELETE FROM rows WHERE side = ? AND id = ?", [(side, i) for i in ids])

    def _keyset(self, q: str, params: tuple[object, ...], size: int) -> Iterator[list[str]]:
        """The keys `q` selects, `size` at a time, in key order (`q` ends `key > ? ORDER BY key LIMIT ?`)."""
        after = ""
        while True:
            got = [key for (key,) in self.db.execute(q, (*params, after, size))]
            if not got:
                return
            yield got
            after = got[-1]

    # -- purged ids and links ------------------------------------------------------------------
    def put_purged(self, purged: dict[str, str]) -> None:
        self.db.executemany("INSERT OR REPLACE INTO purged (sf_id, how) VALUES (?, ?)", purged.items())

    def purged_ids(self, page: int) -> Iterator[list[str]]:
        return self._keyset("SELECT sf_id FROM purged WHERE sf_id > ? ORDER BY sf_id LIMIT ?", (), page)

    def put_links(self, links: Iterable[LinkObs]) -> None:
        """A snapshot of the links the rows name, as they are now (each planned once, from this).
        Pickled as a tuple of the fields (the stamps are aware datetimes, kept exactly; a tuple
        pickles several times faster than the dataclass)."""
        self.db.executemany(
            "INSERT OR IGNORE INTO links (row_id, sia_id, sf_id, live, body) VALUES (?, ?, ?, ?, ?)",
            [(o.row_id, o.sia_id, o.sf_id, int(o.live), _pickle_link(o)) for o in links],
        )

    def without_links(self, side: str, ids: list[str]) -> list[str]:
        """Those of `ids` (of one side) that no link in the snapshot names yet: each link is read
        from the state database once, whichever side's rows name it first."""
        column = "sia_id" if side == SIA else "sf_id"
        have: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            q = f"SELECT {column} FROM links WHERE {column} IN ({','.join('?' * len(chunk))})"
            have.update(i for (i,) in self.db.execute(q, chunk))
        return [i for i in ids if i not in have]

    def doomed(self) -> int:
        """F16: the live links the linked-id check found gone whose SIA task is not a tombstone - the
        deletions into SIA the plan will have (R3.4: (A|S|C, P) -> delete_sia; (D, P) -> forget)."""
        q = (
            "SELECT count(*) FROM purged p JOIN links l ON l.sf_id = p.sf_id WHERE l.live = 1 AND NOT "
            "EXISTS (SELECT 1 FROM rows r WHERE r.side = ? AND r.id = l.sia_id AND r.deleted = 1)"
        )
        return int(self.db.execute(q, (SIA,)).fetchone()[0])

    # -- groups and pages ----------------------------------------------------------------------
    def group(self) -> int:
        """Put every row (and purged id) in its group; returns the number of groups."""
        x = self.db.execute
        x("CREATE INDEX rows_ext ON rows (ext)")
        x(
            "UPDATE rows SET grp = 'L' || (SELECT row_id FROM links l WHERE l.sf_id = rows.id) "
            "WHERE side = ? AND EXISTS (SELECT 1 FROM links l WHERE l.sf_id = rows.id)",
            (SF,),
        )
        x(
            "UPDATE rows SET grp = 'L' || (SELECT row_id FROM links l WHERE l.sia_id = rows.id) "
            "WHERE side = ? AND EXISTS (SELECT 1 FROM links l WHERE l.sia_id = rows.id)",
            (SIA,),
        )
        x("UPDATE purged SET grp = 'L' || (SELECT row_id FROM links l WHERE l.sf_id = purged.sf_id)")
        # R4.6: an unlinked Salesforce row carrying the External ID of an unlinked SIA task read in
        # this pass is planned with it ("pending": that task is being created in this very pass).
        x(
            "UPDATE rows SET grp = 'E' || ext WHERE side = ? AND grp IS NULL AND ext IS NOT NULL AND EXISTS "
            "(SELECT 1 FROM rows s WHERE s.side = ? AND s.id = rows.ext AND s.grp IS NULL)",
            (SF, SIA),
        )
        x(
            "UPDATE rows SET grp = 'E' || id WHERE side = ? AND grp IS NULL AND EXISTS "
            "(SELECT 1 FROM rows f WHERE f.ext = rows.id AND f.side = ? AND f.grp = 'E' || rows.id)",
            (SIA, SF),
        )
        x("UPDATE rows SET grp = (CASE side WHEN ? THEN 'F' ELSE 'S' END) || id WHERE grp IS NULL", (SF,))
        x(
            "INSERT INTO groups (grp, phase) SELECT grp, min(phase) FROM ("
            " SELECT grp, CASE side WHEN ? THEN ? ELSE ? END AS phase FROM rows"
            " UNION ALL SELECT grp, ? FROM purged WHERE grp IS NOT NULL"
            ") GROUP BY grp",
            (SF, PHASE_SF, PHASE_SIA_ONLY, PHASE_SF),
        )
        x("CREATE INDEX rows_grp ON rows (grp)")
        x("CREATE INDEX purged_grp ON purged (grp)")
        return int(x("SELECT count(*) FROM groups").fetchone()[0])

    def pages(self, phase: int, size: int) -> Iterator[Page]:
        """The groups of one phase, `size` groups a page, each page with its rows, links and purged ids."""
        q = "SELECT grp FROM groups WHERE phase = ? AND grp > ? ORDER BY grp LIMIT ?"
        for groups in self._keyset(q, (phase,), size):
            self.db.execute("DROP TABLE IF EXISTS temp.page")
            self.db.execute("CREATE TEMP TABLE page (grp TEXT PRIMARY KEY)")
            self.db.executemany("INSERT INTO temp.page VALUES (?)", [(g,) for g in groups])
            yield self._page(len(groups))

    def _page(self, groups: int) -> Page:
        page = Page(groups)
        q = "SELECT side, id, body FROM rows WHERE grp IN (SELECT grp FROM temp.page) ORDER BY side, id"
        for side, row_id, body in self.db.execute(q):
            (page.sf if side == SF else page.sia)[row_id] = json.loads(body)
        q = "SELECT sf_id, how FROM purged WHERE grp IN (SELECT grp FROM temp.page)"
        page.purged = dict(self.db.execute(q).fetchall())
        q = (
            "SELECT body FROM links WHERE row_id IN "
            "(SELECT CAST(substr(grp, 2) AS INTEGER) FROM temp.page WHERE grp LIKE 'L%')"
        )
        page.links = [LinkObs(*pickle.loads(body)) for (body,) in self.db.execute(q)]
        return page


class Page:
    """One page of groups: what one plan sees."""

    def __init__(self, groups: int) -> None:
        self.groups = groups
        self.sia: dict[str, Row] = {}
        self.sf: dict[str, Row] = {}
        self.purged: dict[str, str] = {}
        self.links: list[LinkObs] = []

    def rows(self) -> int:
        return len(self.sia) + len(self.sf)
