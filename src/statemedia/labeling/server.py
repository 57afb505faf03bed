"""Start and stop a local Label Studio server (SQLite, data in .labelstudio/), and its credentials.

Credentials come from STATEMEDIA_LS_USER / STATEMEDIA_LS_PASSWORD / STATEMEDIA_LS_TOKEN, else from
the ignored file .labelstudio/credentials.env, else are generated into it (mode 0600). Label Studio
1.23 disables legacy API tokens for new organisations; the server is started with them enabled so
the generated token works as `Authorization: Token <key>` for this local, loopback-only instance.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
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
READY_TIMEOUT = 240.0  # the first start runs ~200 database migrations: 40-60 s on a small machine


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

    def start(self, ready_timeout: float = READY_TIMEOUT) -> LocalServer:
        """Launch the server and wait for /health; raise LabelStudioError if it never answers."""
        if port_in_use(self.host, self.port):
            # label-studio would silently move to another port: we would talk to the wrong server.
            raise LabelStudioError(
                f"port {self.port} on {self.host} is already in use; pass --port"
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            self.command(),
            env=self.environment(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, so stop() ends its children too
        )
        import httpx  # here: the CLI starts without the HTTP stack

        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                raise LabelStudioError(
                    f"label-studio exited with code {self.process.returncode} during start; "
                    f"see {self.log_path}"
                )
            try:
                if httpx.get(f"{self.url}/health", timeout=2.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.stop()
        raise LabelStudioError(
            f"label-studio did not answer within {ready_timeout:.0f}s; see {self.log_path}"
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
        """Block until the server exits; Ctrl-C, SIGTERM or SIGHUP stop it. Return its exit code."""
        if self.process is None:
            return 0

        def interrupt(signum: int, frame: object) -> None:
            raise KeyboardInterrupt

        # The server runs in its own session (so stop() can end its whole group), which means a
        # signal to us does not reach it: forward every usual stop signal, or it would be orphaned.
        stop_signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        previous = {sig: signal.signal(sig, interrupt) for sig in stop_signals}
        try:
            return self.process.wait()
        except KeyboardInterrupt:
            self.stop()
            return 0
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def __enter__(self) -> LocalServer:
        return self.start() if self.process is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()
