"""What a serving worker holds: a worker starting on a database that is already migrated does not load
Alembic (about 30 MiB per worker, ``make bench``), and the check that lets it skip agrees with Alembic."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from bot.db import make_engine, migration_heads, upgrade

ROOT = Path(__file__).resolve().parents[1]

START = """
import sys
from bot.app import Aftercare
from bot.config import load_config
ac = Aftercare(load_config())
ac.migrate()
print("alembic loaded" if "alembic" in sys.modules else "alembic not loaded")
"""


def _start(data_dir: Path, url: str | None = None) -> str:
    env = {**os.environ, "AFTERCARE_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
    if url:
        env["AFTERCARE_DATABASE__URL"] = url
    done = subprocess.run([sys.executable, "-c", START], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def test_a_worker_on_a_migrated_database_does_not_load_alembic(tmp_path: Path) -> None:
    assert _start(tmp_path) == "alembic loaded"  # a new database is migrated
    assert _start(tmp_path) == "alembic not loaded"  # the next worker finds it at the heads


def test_a_worker_on_migrated_postgresql_does_not_load_alembic(tmp_path: Path, pg_url: str) -> None:
    assert _start(tmp_path, pg_url) == "alembic loaded"
    assert _start(tmp_path, pg_url) == "alembic not loaded"


def test_a_database_behind_the_scripts_is_still_migrated(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'behind.db'}")
    upgrade(engine)
    with engine.begin() as c:  # as if the last migration of one branch had not run yet
        c.execute(text("DELETE FROM alembic_version WHERE version_num = 'k0005'"))
        c.execute(text("INSERT INTO alembic_version (version_num) VALUES ('k0004'), ('h0003')"))
        c.execute(text("ALTER TABLE tickets DROP COLUMN subject_model"))
        c.execute(text("ALTER TABLE problems DROP COLUMN vector_model"))
    upgrade(engine)
    with engine.connect() as c:
        stored = {r[0] for r in c.execute(text("SELECT version_num FROM alembic_version"))}
        c.execute(text("SELECT subject_model FROM tickets"))  # the column is back
    assert stored == migration_heads()


def test_the_heads_read_from_the_scripts_are_what_alembic_keeps(tmp_path: Path) -> None:
    from alembic.script import ScriptDirectory

    from bot.db import alembic_config

    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    upgrade(engine)
    with engine.connect() as c:
        stored = {r[0] for r in c.execute(text("SELECT version_num FROM alembic_version"))}
    assert stored == migration_heads()
    assert migration_heads() <= set(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())
