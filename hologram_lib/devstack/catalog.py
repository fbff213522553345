"""The marketplace's persistent catalog: published app versions and install state, in one SQLite file.

Every write is one transaction, so a process killed mid-publish leaves either the whole app or nothing.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS apps (
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    cid TEXT NOT NULL,
    manifest_cid TEXT,
    sha256 TEXT NOT NULL,
    encoding TEXT NOT NULL,
    merkle_root TEXT NOT NULL,
    witnesses TEXT NOT NULL,
    published_at TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (name, version)
);
CREATE INDEX IF NOT EXISTS apps_by_encoding ON apps (encoding);
CREATE TABLE IF NOT EXISTS contents (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    data TEXT NOT NULL,
    mime_type TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS installs (
    name TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class AppRecord:
    name: str
    version: str
    cid: str
    manifest_cid: str | None
    sha256: str
    encoding: str
    merkle_root: str
    witnesses: list[str]


@dataclass(frozen=True)
class ContentRecord:
    """A text stored through upstream's content API (storeContent / updateContent)."""

    id: str
    name: str
    data: str
    mime_type: str | None
    created_at: str
    updated_at: str


_APP_COLUMNS = "name, version, cid, manifest_cid, sha256, encoding, merkle_root, witnesses"
_CONTENT_COLUMNS = "id, name, data, mime_type, created_at, updated_at"


class Catalog:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    @staticmethod
    def _now() -> str:
        return datetime.now(UTC).isoformat(timespec="milliseconds")

    @staticmethod
    def _record(row: tuple[Any, ...]) -> AppRecord:
        name, version, cid, manifest_cid, sha256, encoding, merkle_root, witnesses = row
        return AppRecord(name, version, cid, manifest_cid, sha256, encoding, merkle_root, json.loads(witnesses))

    def _newest_app(self, where: str, params: tuple[str, ...]) -> AppRecord | None:
        row = self._db.execute(
            f"SELECT {_APP_COLUMNS} FROM apps WHERE {where} ORDER BY seq DESC LIMIT 1",  # `where` is ours, not input
            params,
        ).fetchone()
        return None if row is None else self._record(row)

    def latest(self, name: str) -> AppRecord | None:
        return self._newest_app("name = ?", (name,))

    def version(self, name: str, version: str) -> AppRecord | None:
        return self._newest_app("name = ? AND version = ?", (name, version))

    def save(self, record: AppRecord, *, replace: bool = False) -> None:
        """Insert a version (or replace it, for upserts) and make it the latest."""
        verb = "INSERT OR REPLACE" if replace else "INSERT"
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                seq = self._db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM apps").fetchone()[0]
                self._db.execute(
                    f"{verb} INTO apps VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        record.name,
                        record.version,
                        record.cid,
                        record.manifest_cid,
                        record.sha256,
                        record.encoding,
                        record.merkle_root,
                        json.dumps(record.witnesses),
                        self._now(),
                        seq,
                    ),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def search(self, text: str, limit: int = 50) -> list[tuple[str, str]]:
        """(name, cid of the latest version) for names containing `text`, case-insensitive."""
        pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self._db.execute(
            "SELECT name, cid FROM apps a WHERE lower(name) LIKE ? ESCAPE '\\' "
            "AND seq = (SELECT MAX(seq) FROM apps b WHERE b.name = a.name) ORDER BY name LIMIT ?",
            (pattern, limit),
        ).fetchall()
        return [(name, cid) for name, cid in rows]

    def by_encoding(self, encoding: str) -> AppRecord | None:
        """The latest app whose encoding descriptor is exactly `encoding` (names sharing content share it)."""
        return self._newest_app("encoding = ?", (encoding,))

    def store_content(self, content_id: str, name: str, data: str, mime_type: str | None) -> ContentRecord:
        """Insert or replace the text stored under `name` (its id and creation time are kept on replace)."""
        now = self._now()
        with self._lock:
            self._db.execute(
                "INSERT INTO contents VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET "
                "data = excluded.data, mime_type = excluded.mime_type, updated_at = excluded.updated_at",
                (content_id, name, data, mime_type, now, now),
            )
        stored = self.content_by("name", name)
        assert stored is not None
        return stored

    def update_content(self, content_id: str, data: str) -> ContentRecord | None:
        with self._lock:
            self._db.execute(
                "UPDATE contents SET data = ?, updated_at = ? WHERE id = ?", (data, self._now(), content_id)
            )
        return self.content_by("id", content_id)

    def delete_content(self, content_id: str) -> bool:
        with self._lock:
            return self._db.execute("DELETE FROM contents WHERE id = ?", (content_id,)).rowcount > 0

    def content_by(self, column: str, value: str) -> ContentRecord | None:
        assert column in ("id", "name")
        row = self._db.execute(f"SELECT {_CONTENT_COLUMNS} FROM contents WHERE {column} = ?", (value,)).fetchone()
        return None if row is None else ContentRecord(*row)

    def contents(self, mime_type: str | None, limit: int, offset: int) -> list[ContentRecord]:
        rows = self._db.execute(
            f"SELECT {_CONTENT_COLUMNS} FROM contents WHERE ? IS NULL OR mime_type = ? "
            "ORDER BY created_at DESC, id LIMIT ? OFFSET ?",
            (mime_type, mime_type, limit, offset),
        ).fetchall()
        return [ContentRecord(*row) for row in rows]

    def content_count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM contents").fetchone()[0])

    def set_install(self, name: str, status: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO installs VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET status = ?, updated_at = ?",
                (name, status, self._now(), status, self._now()),
            )

    def close(self) -> None:
        self._db.close()
