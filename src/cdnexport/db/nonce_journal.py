"""The embedded default's nonce store: nonces looked up in memory, journaled to a SQLite file.

Every call records a nonce, and a SQLite table keyed by (AccessKey, nonce) is slow at that:
the keys are random, so each insert dirties a different page of the B-tree, and every commit
writes each such page (4 KiB) to the WAL again. Measured here with 300,000 live nonces, it
cost 11-12 µs a nonce in batches of 64, a quarter of a whole API call's budget. Here the
lookup is a set of 64-bit digests in memory and the file is an append-only journal with one
row per batch (the batch's digests side by side in a blob). The table has no index and no
AUTOINCREMENT, so a batch's commit writes one page, the table's last leaf: with an
``expires_at`` index and AUTOINCREMENT's ``sqlite_sequence`` it wrote three, and a batch of 26
took 45 µs to commit instead of 23 (measured here). Row ids still only grow, because the
newest row is never deleted, and expired rows are deleted by id range, since ids follow time.

The journal keeps both promises of the table it replaces:

- nothing is lost on a crash: ``use_many`` returns after the journal's commit, and a process
  reads the unexpired journal back when it opens it;
- API processes sharing the file share the nonces: a batch is checked and appended inside one
  ``BEGIN IMMEDIATE``, after reading what other processes appended since the last batch, so
  two processes can never both accept one nonce.

Digests are 8-byte BLAKE2b of AccessKeyId and nonce: two different nonces share one with a
chance of about n / 2^64 for n live nonces (1e-12 at 18 million, i.e. 20,000 calls/s for
15 minutes), and the caller's retry, with a new nonce, then succeeds. Written on the standard
``sqlite3`` module: a single-file store of one table that only this module touches.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path

from cdnexport.db.nonces import NonceCall

#: Reads the live nonces of a store being replaced: (AccessKeyId, nonce, expires_at) at ``now``.
Adopt = Callable[[int], Sequence[tuple[str, str, int]]]
#: Beside the main database file ``x.db``: ``x-nonces.db``.
FILE_SUFFIX = "-nonces.db"
#: How often, in seconds of the calls' clock, expired journal rows are deleted.
PURGE_EVERY = 10

_SCHEMA = (
    "CREATE TABLE nonce_batch ("
    "id INTEGER PRIMARY KEY, digests BLOB NOT NULL, expires_at INTEGER NOT NULL)"
)
#: The table of earlier versions (AUTOINCREMENT, an index on expires_at): taken over on open.
_OLD_TABLE = "nonce_journal"
#: Deletes the rows up to an id, except the newest row, whose id the next one must exceed.
_PURGE = "DELETE FROM nonce_batch WHERE id <= ? AND id < (SELECT max(id) FROM nonce_batch)"


DIGEST_SIZE = 8


def digest(access_key_id: str, nonce: str) -> bytes:
    """The 8 bytes a nonce is known by."""
    return hashlib.blake2b(f"{access_key_id}\0{nonce}".encode(), digest_size=DIGEST_SIZE).digest()


def journal_path(main_database_file: Path) -> Path:
    return main_database_file.with_name(main_database_file.stem + FILE_SUFFIX)


class JournaledNonceStore:
    """A ``BatchNonceStore``; safe to call from several threads."""

    def __init__(self, path: Path, now: int, adopt: Adopt | None = None) -> None:
        """Open (or create) the journal at ``path``. When it is created, ``adopt(now)`` gives
        the nonces still alive in the store it replaces (AccessKeyId, nonce, expiry), which
        then count as used here too: a deployment upgraded mid-window loses none."""
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            path, timeout=30, isolation_level=None, check_same_thread=False
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        # One transaction, so that processes starting together create and adopt only once.
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            tables = {row[0] for row in self._conn.execute("SELECT name FROM sqlite_master")}
            if "nonce_batch" not in tables:
                self._create(tables, now, adopt)
            self._conn.execute("COMMIT")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._live: set[bytes] = set()
        # (expires_at, row id, digests) in the order they were journaled, for forgetting them.
        self._by_expiry: deque[tuple[int, int, list[bytes]]] = deque()
        self._seen_id = 0
        self._forgotten_id = 0  # every row up to this id has expired
        self._purged_at = now
        self._read_new(now)

    def _create(self, tables: set[str], now: int, adopt: Adopt | None) -> None:
        """The journal's table, holding what is still alive in an older journal's table or,
        for a new file, in the store it replaces (``adopt``)."""
        conn = self._conn
        conn.execute(_SCHEMA)
        if _OLD_TABLE in tables:
            conn.execute(
                f"INSERT INTO nonce_batch (id, digests, expires_at) SELECT id, digests, "
                f"expires_at FROM {_OLD_TABLE} WHERE expires_at >= ? ORDER BY id",
                (now,),
            )
            conn.execute(f"DROP TABLE {_OLD_TABLE}")
            conn.execute("DELETE FROM sqlite_sequence WHERE name = ?", (_OLD_TABLE,))
            return
        adopted = adopt(now) if adopt is not None else []
        if adopted:
            conn.execute(
                "INSERT INTO nonce_batch (digests, expires_at) VALUES (?, ?)",
                (
                    b"".join(digest(key, nonce) for key, nonce, _ in adopted),
                    max(expires for _, _, expires in adopted),
                ),
            )

    def use(self, access_key_id: str, nonce: str, now: int, ttl: int) -> bool:
        return self.use_many([(access_key_id, nonce, now, ttl)])[0]

    def use_many(self, calls: Sequence[NonceCall]) -> list[bool]:
        """Check and journal the calls' nonces in one transaction; True for the fresh ones."""
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                now = max(call[2] for call in calls)
                self._read_new(now)
                fresh, taken = self._check(calls)
                if taken:
                    expires = max(call[2] + call[3] for call in calls)
                    row = conn.execute(
                        "INSERT INTO nonce_batch (digests, expires_at) VALUES (?, ?)",
                        (b"".join(taken), expires),
                    ).lastrowid
                if now - self._purged_at >= PURGE_EVERY:
                    conn.execute(_PURGE, (self._forgotten_id,))
                    self._purged_at = now
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            # Only once committed: a failed batch leaves no trace in memory either.
            if taken:
                self._seen_id = int(row or 0)
                self._remember(self._seen_id, taken, expires)
            return fresh

    def purge(self, now: int) -> int:
        """Forget expired nonces; returns how many journal rows went (all expired ones but
        the newest row)."""
        with self._lock:
            self._forget(now)
            cursor = self._conn.execute(_PURGE, (self._forgotten_id,))
            self._purged_at = now
            return int(cursor.rowcount)

    def __len__(self) -> int:
        return len(self._live)

    def _check(self, calls: Sequence[NonceCall]) -> tuple[list[bool], list[bytes]]:
        """Which calls are fresh, and the digests of those (a nonce twice in one batch is
        fresh the first time only)."""
        live = self._live
        taken: list[bytes] = []
        seen: set[bytes] = set()
        fresh = []
        for access_key_id, nonce, _now, _ttl in calls:
            known = digest(access_key_id, nonce)
            if known in live or known in seen:
                fresh.append(False)
                continue
            seen.add(known)
            taken.append(known)
            fresh.append(True)
        return fresh, taken

    def _read_new(self, now: int) -> None:
        """Take in what other processes journaled since the last look; forget expired ones.

        Rows already expired are left out: a later purge deletes them with the rows around.
        """
        rows = self._conn.execute(
            "SELECT id, digests, expires_at FROM nonce_batch WHERE id > ? AND expires_at >= ? "
            "ORDER BY id",
            (self._seen_id, now),
        ).fetchall()
        step = DIGEST_SIZE
        for row_id, packed, expires in rows:
            self._seen_id = int(row_id)
            digests = [packed[n : n + step] for n in range(0, len(packed), step)]
            self._remember(self._seen_id, digests, expires)
        self._forget(now)

    def _remember(self, row_id: int, digests: list[bytes], expires: int) -> None:
        self._live.update(digests)
        self._by_expiry.append((int(expires), row_id, digests))

    def _forget(self, now: int) -> None:
        """Drop the nonces whose time ran out, oldest first (expiries grow with time, so
        every row up to the last one dropped has expired)."""
        queue = self._by_expiry
        while queue and queue[0][0] < now:
            _, self._forgotten_id, digests = queue.popleft()
            self._live.difference_update(digests)
