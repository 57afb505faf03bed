"""Fixtures for the labeling tests: the scheme, and one real Label Studio server per session
(free loopback port, temporary SQLite data dir, legacy token enabled at first start)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from statemedia.labeling.scheme import Scheme, load_scheme
from statemedia.labeling.server import Credentials, LocalServer, free_port


@pytest.fixture(scope="session")
def scheme() -> Scheme:
    return load_scheme()


@pytest.fixture(scope="session")
def ls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """A real Label Studio on a free loopback port with a throwaway SQLite data dir."""
    data_dir = tmp_path_factory.mktemp("labelstudio")
    creds = Credentials(
        user="admin@example.org", password="test-password-1", token="t" * 8 + "0123456789abcdef"
    )
    server = LocalServer(data_dir, creds, port=free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()
