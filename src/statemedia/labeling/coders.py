"""Blind coding: every coder gets a Label Studio server of their own (process, database, port).

Why one server each: Label Studio Community has no roles, so every member of an organisation can
read and edit all of its projects; and separate organisations on one server are not separate
either, since `/api/annotations/<id>` answers any logged-in user whatever the organisation
(HumanSignal/label-studio#9796, open in 1.23.2). On a server of their own, a coder's account is the
only one and the only data is their own, so no token of theirs can reach another coder's labels.

The registry `<state dir>/coders.json` (mode 0600, never published) holds each coder's pseudonym
(`annotator_NN`, fixed when the coder is added and entered in the private pseudonym map), email,
port and credentials; their server's data lives in `<state dir>/coders/<pseudonym>/`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from statemedia.errors import ConfigError, LabelStudioError
from statemedia.fileio import read_json
from statemedia.labeling.export import PSEUDONYM_PREFIX
from statemedia.labeling.files import dumps_json, write_atomic
from statemedia.labeling.records import AnnotatorMap, RowError, next_pseudonyms, parse_row
from statemedia.labeling.server import (
    DEFAULT_HOST,
    Credentials,
    LocalServer,
    port_in_use,
)

REGISTRY_FILE = "coders.json"
CODERS_DIR = "coders"
FORMAT = "statemedia-coders@1"
FIRST_CODER_PORT = 8081  # the study lead's own server (`annotate serve`) keeps 8080
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def email_key(email: str) -> str:
    """The private pseudonym-map key of a coder (as `export.annotator_key` makes it)."""
    return f"email:{email.lower()}"


@dataclass(frozen=True, slots=True)
class Coder:
    """One coder: pseudonym, login, and the port of their own Label Studio server."""

    pseudonym: str
    email: str
    port: int
    password: str
    token: str

    def credentials(self) -> Credentials:
        return Credentials(user=self.email, password=self.password, token=self.token)

    def url(self, host: str = DEFAULT_HOST) -> str:
        return f"http://{host}:{self.port}"

    def server(self, state_dir: Path, host: str = DEFAULT_HOST) -> LocalServer:
        """This coder's server (not started); its data in `<state dir>/coders/<pseudonym>/data`."""
        folder = state_dir / CODERS_DIR / self.pseudonym
        return LocalServer(folder / "data", self.credentials(), port=self.port, host=host)

    def to_dict(self) -> dict[str, Any]:
        return {
            "pseudonym": self.pseudonym,
            "email": self.email,
            "port": self.port,
            "password": self.password,
            "token": self.token,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Coder:
        try:
            coder = cls(
                pseudonym=str(raw["pseudonym"]),
                email=str(raw["email"]),
                port=int(raw["port"]),
                password=str(raw["password"]),
                token=str(raw["token"]),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise RowError(f"not a coder ({err})") from err
        return coder


def registry_path(state_dir: Path) -> Path:
    return state_dir / REGISTRY_FILE


def read_coders(state_dir: Path) -> list[Coder]:
    """The registered coders, by pseudonym; none when there is no registry (single-project mode)."""
    path = registry_path(state_dir)
    if not path.is_file():
        return []
    data = read_json(path, ConfigError)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ConfigError(f"{path}: not a coder registry (expected format {FORMAT!r})")
    rows = data.get("coders")
    if not isinstance(rows, list):
        raise ConfigError(f"{path}: `coders` must be a list")
    coders = [parse_row(row, Coder.from_dict, f"{path}: coder", ConfigError) for row in rows]
    return sorted(coders, key=lambda c: c.pseudonym)


def write_coders(state_dir: Path, coders: Sequence[Coder]) -> None:
    doc = {"format": FORMAT, "coders": [c.to_dict() for c in coders]}
    write_atomic(registry_path(state_dir), dumps_json(doc), mode=0o600)


def add_coders(
    coders: Sequence[Coder],
    emails: Iterable[str],
    private: AnnotatorMap,
    first_port: int = FIRST_CODER_PORT,
) -> tuple[list[Coder], AnnotatorMap, list[Coder]]:
    """Register new coders: (all coders, private map with their pseudonyms, the new ones).

    A coder already registered is kept as is; an email already pseudonymised by an earlier
    single-project pull keeps that pseudonym, so one person is one annotator throughout."""
    wanted: list[str] = []
    for email in emails:
        email = email.strip()
        if not EMAIL.fullmatch(email):
            raise ConfigError(f"{email!r} is not an email address; a coder logs in with one")
        if email.lower() not in {w.lower() for w in wanted}:
            wanted.append(email)
    known = {c.email.lower() for c in coders}
    fresh = [e for e in wanted if e.lower() not in known]
    pseudonyms = next_pseudonyms(
        (email_key(e) for e in fresh), private.pseudonyms, PSEUDONYM_PREFIX
    )
    port = max((c.port for c in coders), default=first_port - 1) + 1
    added = []
    for email in fresh:
        added.append(
            Coder(
                pseudonym=pseudonyms[email_key(email)],
                email=email,
                port=port,
                password=secrets.token_urlsafe(15),
                token=secrets.token_hex(20),  # 40 hex chars, the shape of a DRF token
            )
        )
        port += 1
    every = sorted([*coders, *added], key=lambda c: c.pseudonym)
    return every, replace(private, pseudonyms=pseudonyms), added


@contextmanager
def running(
    coders: Sequence[Coder],
    state_dir: Path,
    host: str = DEFAULT_HOST,
    progress: Callable[[str], None] | None = None,
) -> Iterator[list[LocalServer]]:
    """Start every coder's server (in parallel: a first start migrates a database each) and stop
    them all when the block ends; a server that fails to start stops the others."""
    servers = [coder.server(state_dir, host) for coder in coders]
    busy = [f"{c.pseudonym}: port {c.port}" for c in coders if port_in_use(host, c.port)]
    if busy:
        raise LabelStudioError(
            f"ports in use ({'; '.join(busy)}): stop what runs there, or change the coder's "
            f"`port` in {registry_path(state_dir)}"
        )

    def start(pair: tuple[Coder, LocalServer]) -> None:
        coder, server = pair
        say = None if progress is None else (lambda line: progress(f"{coder.pseudonym} {line}"))
        server.start(progress=say)

    try:
        with ThreadPoolExecutor(max_workers=max(1, len(servers))) as pool:
            list(pool.map(start, zip(coders, servers, strict=True)))
        yield servers
    finally:
        for server in servers:
            server.stop()


def ensure_blind(coders: Sequence[Coder], state_dir: Path) -> None:
    """Blind coding needs two coders or more."""
    if len(coders) < 2:
        raise ConfigError(
            f"blind coding needs at least two coders, {len(coders)} registered in "
            f"{registry_path(state_dir)}; add more with `statemedia annotate coders add EMAIL`"
        )
