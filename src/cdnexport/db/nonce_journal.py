"""The embedded default's nonce store: nonces looked up in memory, journaled to a SQLite file.

Every call records a nonce, and a SQLite table keyed by (AccessKey, nonce) is slow at that:
the keys are random, so each insert dirties a different page of the B-tree, and every commit
writes each such page (4 KiB) to the WAL again. Measured here with 300,000 live nonces, it
cost 11-12 µs a nonce in batches of 64, a quarter of a whole API call's budget. Here the
lookup is a set of 64-bit digests in memory and the file is an append-only journal: rows in
rowid order fill the same last page, so a batch of nonces writes a page or two.

The journal keeps both promises of the table it replaces:

- nothing is lost on a crash: ``use_many`` returns after the journal's commit, and a process
  reads the unexpired journal back when it opens it;
- API processes sharing the file share the nonces: a batch is checked and appended inside one
  ``BEGIN IMMEDIATE``, after reading what other processes appended since the last batch, so
  two processes can never both accept one nonce.

Digests are 64-bit BLAKE2b of AccessKeyId and nonce: two different nonces share one with a
chance of about n / 2^64 for n live nonces (1e-12 at 18 million, i.e. 20,000 calls/s for
15 minutes), and the caller's retry, with a new nonce, then succeeds. Written on the standard
``sqlite3`` module: a single-file store of one table that only this module touches.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections import deque
from collections.abc import Sequence
from pathlib import Path

from cdnexport.db.nonces import NonceCall

#: Beside the main database file ``x.db``: ``x-nonces.db``.
FILE_SUFFIX = "-nonces.db"
#: How often, in seconds of the calls' clock, expired journal rows are deleted.
PURGE_EVERY = 10

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS nonce_journal ("
    "id INTEGER PRIMARY KEY AUTOINCREMENT, digest INTEGER NOT NULL, "
    "expires_at INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ix_nonce_journal_expires ON nonce_journal (expires_at)",
)


def digest(access_key_id: str, nonce: str) -> int:
    """The signed 64-bit number a nonce is known by (SQLite integers are signed)."""
    raw = hashlib.blake2b(f"{access_key_id}\0{nonce}".encode(), digest_size=8).digest()
    return int.from_bytes(raw, "big", signed=True)


def journal_path(main_database_file: Path) -> Path:
    return main_database_file.with_name(main_database_file.stem + FILE_SUFFIX)


class JournaledNonceStore:
    """A ``BatchNonceStore``; safe to call from several threads."""

    def __init__(self, path: Path, now: int) -> None:
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            path, timeout=30, isolation_level=None, check_same_thread=False
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _SCHEMA:
                self._conn.execute(statement)
            self._conn.execute("COMMIT")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._live: set[int] = set()
        # (expires_at, digests) in the order they were journaled, for forgetting them.
        self._by_expiry: deque[tuple[int, tuple[int, ...]]] = deque()
        self._seen_id = 0
        self._purged_at = now
        self._read_new(now)

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
                fresh, rows = self._check(calls)
                if rows:
                    conn.executemany(
                        "INSERT INTO nonce_journal (digest, expires_at) VALUES (?, ?)", rows
                    )
                    (last,) = conn.execute(
                        "SELECT seq FROM sqlite_sequence WHERE name = 'nonce_journal'"
                    ).fetchone()
                if now - self._purged_at >= PURGE_EVERY:
                    conn.execute("DELETE FROM nonce_journal WHERE expires_at < ?", (now,))
                    self._purged_at = now
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            # Only once committed: a failed batch leaves no trace in memory either.
            if rows:
                self._seen_id = int(last)
                self._remember(rows)
            return fresh

    def purge(self, now: int) -> int:
        """Forget expired nonces; returns how many journal rows went."""
        with self._lock:
            self._forget(now)
            cursor = self._conn.execute("DELETE FROM nonce_journal WHERE expires_at < ?", (now,))
            self._purged_at = now
            return int(cursor.rowcount)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __len__(self) -> int:
        return len(self._live)

    def _check(self, calls: Sequence[NonceCall]) -> tuple[list[bool], list[tuple[int, int]]]:
        live = self._live
        taken: set[int] = set()
        fresh = []
        rows = []
        for access_key_id, nonce, now, ttl in calls:
            known = digest(access_key_id, nonce)
            if known in live or known in taken:
                fresh.append(False)
                continue
            taken.add(known)
            fresh.append(True)
            rows.append((known, now + ttl))
        return fresh, rows

    def _read_new(self, now: int) -> None:
        """Take in what other processes journaled since the last look; forget expired ones."""
        rows = self._conn.execute(
            "SELECT id, digest, expires_at FROM nonce_journal WHERE id > ? AND expires_at >= ? "
            "ORDER BY id",
            (self._seen_id, now),
        ).fetchall()
        if rows:
            self._seen_id = int(rows[-1][0])
            self._remember([(int(d), int(expires)) for _, d, expires in rows])
        self._forget(now)

    def _remember(self, rows: Sequence[tuple[int, int]]) -> None:
        self._live.update(d for d, _ in rows)
        # Rows come in batches sharing one expiry; group them to keep the queue short.
        start = 0
        for n in range(1, len(rows) + 1):
            if n == len(rows) or rows[n][1] != rows[start][1]:
                self._by_expiry.append((rows[start][1], tuple(d for d, _ in rows[start:n])))
                start = n

    def _forget(self, now: int) -> None:
        """Drop the nonces whose time ran out, oldest first (expiries grow with time)."""
        queue = self._by_expiry
        while queue and queue[0][0] < now:
            self._live.difference_update(queue.popleft()[1])
