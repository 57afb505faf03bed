"""Start and stop a local Label Studio server (SQLite, data in .labelstudio/), and its credentials.

Credentials come from STATEMEDIA_LS_USER / STATEMEDIA_LS_PASSWORD / STATEMEDIA_LS_TOKEN, else from
the ignored file .labelstudio/credentials.env, else are generated into it (mode 0600). Label Studio
1.23 disables legacy API tokens for new organisations; the server is started with them enabled so
the generated token works as `Authorization: Token <key>` for this local, loopback-only instance.

While it starts, `LocalServer.start` reports progress (`StartupWatch`: the step, read from the log
and from the count of applied migrations in the SQLite database); when the server exits, during
start or later, `LabelStudioError` (exit code 5) gives its exit status and the log's last lines.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from statemedia.errors import ConfigError, LabelStudioError
from statemedia.labeling.files import write_atomic

DEFAULT_STATE_DIR = Path(".labelstudio")
DEFAULT_PORT = 8080
DEFAULT_HOST = "127.0.0.1"
DEFAULT_USER = "admin@statemedia.local"
ENV_USER, ENV_PASSWORD, ENV_TOKEN, ENV_URL = (
    "STATEMEDIA_LS_USER",
    "STATEMEDIA_LS_PASSWORD",
    "STATEMEDIA_LS_TOKEN",
    "STATEMEDIA_LS_URL",
)
CREDENTIALS_FILE = "credentials.env"
# A new database gets about 400 Django migrations (396 with label-studio 1.23.2). Measured on this
# project's 2-core machine, shared with other work: /health answered 79 s and 68 s after a first
# start (migrations from about 20 s to 65 s) and 12-36 s after a later one; a user on a slower
# machine saw about 4 minutes. The timeout leaves room for that.
READY_TIMEOUT = 600.0
FIRST_START_MIGRATIONS = 396
FIRST_START_ESTIMATE = "about 1.5 min on a 2-core machine, up to 4-5 min on a slow or busy one"
LATER_START_ESTIMATE = "10-40 s"
PROGRESS_EVERY = 5.0  # seconds between progress lines while waiting for the server
LOG_TAIL_LINES = 12  # log lines quoted when the server exits
DATABASE_FILE = "label_studio.sqlite3"  # label-studio's SQLite file in its data dir
MIGRATING_MARK = "Initializing database.."  # printed by label-studio when migrations are pending
SERVING_MARK = "Starting development server"  # printed when Django starts serving


@dataclass(frozen=True, slots=True)
class Credentials:
    """The local admin account and its API token."""

    user: str
    password: str
    token: str


def read_env_file(path: Path) -> dict[str, str]:
    """Parse KEY=value lines (comments and blank lines ignored)."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise ConfigError(f"{path}:{number}: expected KEY=value")
        values[key.strip()] = value.strip().strip("'\"")
    return values


def load_credentials(
    state_dir: Path = DEFAULT_STATE_DIR,
    environ: dict[str, str] | None = None,
    create: bool = True,
) -> Credentials | None:
    """Credentials from the environment, else the credentials file, else generated and saved."""
    env = os.environ if environ is None else environ
    stored = read_env_file(state_dir / CREDENTIALS_FILE)
    user = env.get(ENV_USER) or stored.get(ENV_USER)
    password = env.get(ENV_PASSWORD) or stored.get(ENV_PASSWORD)
    token = env.get(ENV_TOKEN) or stored.get(ENV_TOKEN)
    if user and password and token:
        return Credentials(user, password, token)
    if not create:
        return None
    creds = Credentials(
        user=user or DEFAULT_USER,
        password=password or secrets.token_urlsafe(18),
        token=token or secrets.token_hex(20),  # 40 hex chars, the shape of a DRF token
    )
    write_atomic(
        state_dir / CREDENTIALS_FILE,
        "# Local Label Studio admin for statemedia (generated; never commit).\n"
        f"{ENV_USER}={creds.user}\n{ENV_PASSWORD}={creds.password}\n{ENV_TOKEN}={creds.token}\n",
        mode=0o600,
    )
    return creds


def resolve_token(token: str | None, state_dir: Path = DEFAULT_STATE_DIR) -> str:
    """The API token to use: explicit, else STATEMEDIA_LS_TOKEN, else the local credentials file."""
    if token:
        return token
    if os.environ.get(ENV_TOKEN):
        return os.environ[ENV_TOKEN]
    return read_env_file(state_dir / CREDENTIALS_FILE).get(ENV_TOKEN, "")


def resolve_url(url: str | None) -> str:
    """The server URL: explicit, else STATEMEDIA_LS_URL, else the local default."""
    return url or os.environ.get(ENV_URL) or f"http://localhost:{DEFAULT_PORT}"


def free_port(host: str = DEFAULT_HOST) -> int:
    """A TCP port that was free on `host` a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_in_use(host: str, port: int) -> bool:
    """True if something already listens on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def applied_migrations(database: Path) -> int | None:
    """How many Django migrations the SQLite database records; None if it has no table yet."""
    if not database.is_file():
        return None
    try:  # read-only, short timeout: never hold up the server that is writing it
        uri = f"{database.resolve().as_uri()}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True, timeout=0.2)) as conn:
            return int(conn.execute("SELECT count(*) FROM django_migrations").fetchone()[0])
    except sqlite3.Error:
        return None


def describe_exit(code: int) -> str:
    """An exit status in words: "exit code 1", or the signal that ended the process."""
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def log_tail(path: Path, lines: int = LOG_TAIL_LINES, since: int = 0) -> list[str]:
    """The last `lines` non-blank lines of a log file written after byte offset `since`, a line
    repeated at once counted once (label-studio logs each request twice)."""
    try:
        with open(path, "rb") as log:
            size = log.seek(0, os.SEEK_END)
            log.seek(max(since, size - 64 * 1024))
            text = log.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    kept: list[str] = []
    for line in text.splitlines():
        if line.strip() and (not kept or kept[-1] != line):
            kept.append(line)
    return kept[-lines:]


def format_elapsed(seconds: float) -> str:
    """m:ss, as a person reads a stopwatch."""
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


class StartupWatch:
    """What a starting label-studio is doing, read from its log and its SQLite database."""

    def __init__(self, log_path: Path, database: Path, log_offset: int) -> None:
        self.log_path = log_path
        self.database = database
        self.log_offset = log_offset  # the log is appended to: read only this start's part
        self.applied: int | None = None

    def _log_text(self) -> str:
        try:
            with open(self.log_path, "rb") as log:
                log.seek(self.log_offset)
                return log.read().decode("utf-8", errors="replace")
        except OSError:
            return ""

    def phase(self) -> str:
        """One line: the current start-up step, with the migration count while migrating."""
        before = self.applied
        now = applied_migrations(self.database)
        self.applied = now if now is not None else before
        text = self._log_text()
        if SERVING_MARK in text:
            return "the web server is starting"
        if MIGRATING_MARK in text:
            if self.applied is None:
                return "creating the database"
            if before is not None and self.applied == before:
                return (
                    f"database migrated ({self.applied} migrations); creating the admin account"
                    " and starting the web server"
                )
            return (
                f"migrating the database: {self.applied} of about {FIRST_START_MIGRATIONS} "
                "migrations applied"
            )
        if self.applied is not None:
            return f"loading Label Studio (database has {self.applied} migrations)"
        return "loading Label Studio (Python and Django start-up)"


@contextmanager
def stop_signals_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise KeyboardInterrupt as Ctrl-C does.

    A server runs in its own session (so `stop()` can end its whole group), which means a signal
    to us does not reach it: every usual stop signal must become our cue to stop it, or it would
    be orphaned."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    stop_signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, interrupt) for sig in stop_signals}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class LocalServer:
    """A label-studio child process; use as a context manager or call start()/stop()."""

    def __init__(
        self,
        data_dir: Path,
        credentials: Credentials,
        port: int = DEFAULT_PORT,
        host: str = DEFAULT_HOST,
        log_path: Path | None = None,
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.credentials = credentials
        self.port = port
        self.host = host
        self.log_path = log_path or self.data_dir / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._log_offset = 0  # where this start's part of the (appended) log begins

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def command(self) -> list[str]:
        """The label-studio command line (secrets travel in the environment, not in argv)."""
        return [
            sys.executable,
            "-m",
            "label_studio.server",
            "start",
            "--no-browser",
            "--data-dir",
            str(self.data_dir),
            "--internal-host",
            self.host,
            "--port",
            str(self.port),
            "--enable-legacy-api-token",
            "--log-level",
            "WARNING",
        ]

    def environment(self) -> dict[str, str]:
        """Environment for the child: data dir, admin account, no phoning home."""
        env = dict(os.environ)
        env.update(
            {
                "LABEL_STUDIO_BASE_DATA_DIR": str(self.data_dir),
                "LABEL_STUDIO_USERNAME": self.credentials.user,
                "LABEL_STUDIO_PASSWORD": self.credentials.password,
                "LABEL_STUDIO_USER_TOKEN": self.credentials.token,
                # Only the organisation created at first start reads this; see module docstring.
                "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
                "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
                "LATEST_VERSION_CHECK": "false",
                "COLLECT_ANALYTICS": "false",
                "DJANGO_DB": "sqlite",
            }
        )
        return env

    @property
    def database(self) -> Path:
        """label-studio's SQLite file."""
        return self.data_dir / DATABASE_FILE

    @property
    def first_start(self) -> bool:
        """True if there is no database yet: this start migrates it from scratch."""
        return not self.database.is_file()

    def estimate(self) -> str:
        """How long this start is likely to take, in words."""
        if self.first_start:
            return (
                f"first start: Label Studio builds its database (about {FIRST_START_MIGRATIONS} "
                f"migrations): {FIRST_START_ESTIMATE}"
            )
        return f"later start: usually {LATER_START_ESTIMATE}"

    def exit_message(self, code: int, when: str, since: int = 0) -> str:
        """Why the server is gone: its exit status, the last lines of its log, where the log is."""
        tail = log_tail(self.log_path, since=since)
        quoted = "".join(f"\n    | {line}" for line in tail) or "\n    | (the log is empty)"
        return (
            f"label-studio exited {when} ({describe_exit(code)}); its log is {self.log_path}, "
            f"last lines:{quoted}"
        )

    def start(
        self,
        ready_timeout: float = READY_TIMEOUT,
        progress: Callable[[str], None] | None = None,
        every: float = PROGRESS_EVERY,
    ) -> LocalServer:
        """Launch the server and wait for /health, calling `progress` with a line every `every`
        seconds; raise LabelStudioError if it exits or never answers."""
        if port_in_use(self.host, self.port):
            # label-studio would silently move to another port: we would talk to the wrong server.
            raise LabelStudioError(
                f"port {self.port} on {self.host} is already in use; pass --port"
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        offset = self._log_offset = self._log.tell()
        self.process = subprocess.Popen(
            self.command(),
            env=self.environment(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, so stop() ends its children too
        )
        import httpx  # here: the CLI starts without the HTTP stack

        watch = StartupWatch(self.log_path, self.database, offset)
        started = time.monotonic()
        deadline, next_report = started + ready_timeout, started + every
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                self.stop()
                raise LabelStudioError(self.exit_message(code, "during start", since=offset))
            try:
                if httpx.get(f"{self.url}/health", timeout=2.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            now = time.monotonic()
            if progress is not None and now >= next_report:
                progress(f"  [{format_elapsed(now - started)}] {watch.phase()}")
                next_report = now + every
            time.sleep(0.5)
        self.stop()
        raise LabelStudioError(
            f"label-studio did not answer within {ready_timeout:.0f}s (last step: "
            f"{watch.phase()}); see {self.log_path}"
        )

    def stop(self, timeout: float = 15.0) -> None:
        """Terminate the server's process group (SIGTERM, then SIGKILL after `timeout`)."""
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=timeout)
            except ProcessLookupError:
                pass
        if self._log is not None:
            self._log.close()
            self._log = None

    def wait(self) -> int:
        """Block until Ctrl-C, SIGTERM or SIGHUP stops the server (then return 0); if the server
        exits by itself, raise LabelStudioError saying how, with its log's last lines."""
        return wait_all([self])

    def exited(self) -> int | None:
        """The exit status if the process has ended (0 when none was started), else None."""
        return 0 if self.process is None else self.process.poll()

    def __enter__(self) -> LocalServer:
        return self.start() if self.process is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_all(servers: Sequence[LocalServer]) -> int:
    """Block until Ctrl-C, SIGTERM or SIGHUP (then stop every server and return 0), or until one
    server exits by itself: stop them all and raise LabelStudioError saying which and how."""
    try:
        with stop_signals_interrupt():
            while True:
                for server in servers:
                    code = server.exited()
                    if code is not None:
                        break
                else:
                    time.sleep(0.5)
                    continue
                break
    except KeyboardInterrupt:
        for other in servers:
            other.stop()
        return 0
    # Not asked to stop: a bare exit status (`make` shows -15 as "Error 241") explains nothing.
    message = server.exit_message(code, "while running", since=server._log_offset)
    for other in servers:
        other.stop()
    raise LabelStudioError(message)
