"""The local server's start-up, offline: progress lines, and a server that exits says why."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from statemedia.cli import main
from statemedia.errors import LabelStudioError
from statemedia.labeling import server as server_mod
from statemedia.labeling.server import (
    Credentials,
    LocalServer,
    StartupWatch,
    applied_migrations,
    describe_exit,
    format_elapsed,
    free_port,
    log_tail,
)

CREDS = Credentials(user="admin@example.org", password="pw", token="t" * 40)


class FakeServer(LocalServer):
    """A LocalServer whose child is a small Python script instead of label-studio."""

    script = "print('boom: no such table'); import sys; sys.exit(3)"

    def command(self) -> list[str]:
        return [sys.executable, "-c", self.script]


def make_db(path: Path, migrations: int) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS django_migrations (id INTEGER PRIMARY KEY)")
        conn.executemany("INSERT INTO django_migrations DEFAULT VALUES", [()] * migrations)
    conn.close()


def test_applied_migrations(tmp_path: Path) -> None:
    db = tmp_path / "label_studio.sqlite3"
    assert applied_migrations(db) is None
    db.write_bytes(b"")  # created, no table yet
    assert applied_migrations(db) is None
    make_db(db, 7)
    assert applied_migrations(db) == 7


def test_startup_phases(tmp_path: Path) -> None:
    log, db = tmp_path / "server.log", tmp_path / "label_studio.sqlite3"
    log.write_text("an earlier run\nStarting development server at x\n")
    watch = StartupWatch(log, db, log_offset=log.stat().st_size)  # earlier runs are ignored
    assert watch.phase() == "loading Label Studio (Python and Django start-up)"
    with log.open("a") as out:
        out.write("Initializing database..\n")
    assert watch.phase() == "creating the database"
    make_db(db, 120)
    assert watch.phase() == "migrating the database: 120 of about 396 migrations applied"
    make_db(db, 30)
    assert "150 of about 396" in watch.phase()
    assert watch.phase().startswith("database migrated (150 migrations); creating the admin")
    with log.open("a") as out:
        out.write("Starting development server at http://127.0.0.1:1/\n")
    assert watch.phase() == "the web server is starting"


def test_a_later_start_does_not_claim_to_migrate(tmp_path: Path) -> None:
    db = tmp_path / "label_studio.sqlite3"
    make_db(db, 396)
    log = tmp_path / "server.log"
    log.write_text("")
    assert StartupWatch(log, db, 0).phase() == "loading Label Studio (database has 396 migrations)"


def test_helpers(tmp_path: Path) -> None:
    assert describe_exit(0) == "exit code 0"
    assert describe_exit(3) == "exit code 3"
    assert describe_exit(-signal.SIGTERM) == "killed by signal SIGTERM"  # make's "Error 241"
    assert format_elapsed(0.4) == "0:00"
    assert format_elapsed(125.9) == "2:05"
    log = tmp_path / "x.log"
    log.write_text("old\n" + "".join(f"line {i}\n\n" for i in range(20)))
    assert log_tail(log, lines=3) == ["line 17", "line 18", "line 19"]
    assert log_tail(log, lines=50, since=log.read_text().index("line 19")) == ["line 19"]
    assert log_tail(tmp_path / "missing.log") == []
    log.write_text("a\na\nb\na\n")
    assert log_tail(log) == ["a", "b", "a"]


def test_estimate_first_and_later_start(tmp_path: Path) -> None:
    server = LocalServer(tmp_path, CREDS, port=free_port())
    assert server.first_start
    assert "first start" in server.estimate() and "4-5 min" in server.estimate()
    make_db(server.database, 1)
    assert not server.first_start
    assert server.estimate() == "later start: usually 10-40 s"


def test_exit_during_start_says_why_and_where_the_log_is(tmp_path: Path) -> None:
    server = FakeServer(tmp_path, CREDS, port=free_port())
    server.log_path.write_text("a line of an earlier run\n")
    with pytest.raises(LabelStudioError) as caught:
        server.start(ready_timeout=30)
    message = str(caught.value)
    assert "label-studio exited during start (exit code 3)" in message
    assert f"its log is {server.log_path}" in message
    assert "    | boom: no such table" in message
    assert "earlier run" not in message
    assert server.process is None


def test_progress_lines_while_waiting(tmp_path: Path) -> None:
    server = FakeServer(tmp_path, CREDS, port=free_port())
    server.script = "import time; print('Initializing database..', flush=True); time.sleep(2)"
    lines: list[str] = []
    with pytest.raises(LabelStudioError, match="exit code 0"):
        server.start(ready_timeout=30, progress=lines.append, every=0.5)
    assert lines, "no progress line in 2 s"
    assert all(line.startswith("  [0:0") for line in lines)
    assert any("creating the database" in line for line in lines)


def test_a_server_that_dies_while_running_is_an_error(tmp_path: Path) -> None:
    server = FakeServer(tmp_path, CREDS, port=free_port())
    server._log = server.log_path.open("ab")
    server.process = subprocess.Popen(
        [sys.executable, "-c", "import os, signal; print('dying'); os.kill(os.getpid(), 15)"],
        stdout=server._log,
        stderr=subprocess.STDOUT,
    )
    with pytest.raises(LabelStudioError) as caught:
        server.wait()
    assert "exited while running (killed by signal SIGTERM)" in str(caught.value)
    assert "| dying" in str(caught.value)


def test_cli_exits_with_code_5_and_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(server_mod.LocalServer, "command", FakeServer.command)
    monkeypatch.setattr(server_mod.LocalServer, "script", FakeServer.script, raising=False)
    state = tmp_path / "state"
    code = main(["annotate", "up", "--state-dir", str(state), "--port", str(free_port())])
    out, err = capsys.readouterr()
    assert code == 5
    assert "first start" in out and f"log: {state.resolve() / 'data' / 'server.log'}" in out
    assert err.startswith("statemedia: error: label-studio exited during start (exit code 3)")
    assert "| boom: no such table" in err


def test_wait_all_names_the_server_that_died_and_stops_the_others(tmp_path: Path) -> None:
    """Blind coding runs one server per coder: when one exits, all stop and the error says which."""
    servers = []
    for name, script in (
        ("alive", "import time; time.sleep(60)"),
        ("dying", "print('gone'); raise SystemExit(4)"),
    ):
        folder = tmp_path / name
        folder.mkdir()
        server = FakeServer(folder, CREDS, port=free_port())
        server._log = server.log_path.open("ab")
        server.process = subprocess.Popen(
            [sys.executable, "-c", script],
            stdout=server._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        servers.append(server)
    alive = servers[0].process
    with pytest.raises(LabelStudioError) as caught:
        server_mod.wait_all(servers)
    message = str(caught.value)
    assert "exited while running (exit code 4)" in message and "| gone" in message
    assert str(servers[1].log_path) in message
    assert alive is not None and alive.poll() is not None  # the other server was stopped
