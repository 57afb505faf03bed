"""The same build on two engines: local processes and a real `distributed.LocalCluster` with worker
processes. The output is byte-identical, a worker killed mid-task is retried by Dask with the same
result, and an unreachable scheduler is a clear error with nothing written."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
from pathlib import Path

import pytest
from test_adapters import DECLARED, FIXTURES, toml_inline
from test_shards import with_shard_size

from statemedia.cli import main
from statemedia.engines import LocalEngine, open_engine
from statemedia.inputs import load_inputs
from statemedia.parse import registry
from statemedia.stages import parse_file

REPO = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent


def repo_with_adapters(tmp_path: Path) -> Path:
    """The real seeds plus the adapter fixtures (export, JSONL, t.me page), declared as seeds."""
    root = tmp_path / "repo"
    shutil.copytree(REPO / "seeds", root / "seeds")
    shutil.copy(REPO / "statemedia.toml", root / "statemedia.toml")
    entries = []
    for name, (fmt, options) in DECLARED.items():
        shutil.copy(FIXTURES / name, root / "seeds" / name)
        digest = hashlib.sha256((root / "seeds" / name).read_bytes()).hexdigest()
        entries.append(
            f'\n[[files]]\npath = "{name}"\nsha256 = "{digest}"\nsource = "mfa_russia"\n'
            f'platform = "telegram"\nformat = "{fmt}"\nlanguage = "en"\n'
            'collection = "adapter fixtures"\ncollected_at = 2026-11-01T12:00:00Z\n'
            f"options = {toml_inline(options)}\n"
        )
    manifest = root / "seeds" / "manifest.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + "".join(entries), encoding="utf-8")
    return root


def parquet_hashes(folder: Path) -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.glob("*.parquet"))
    }


@pytest.fixture(scope="module")
def dask_env():
    """Worker processes import tests/engine_helpers.py by name: put the tests folder on their path."""
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS), old]))
    yield
    if old is None:
        del os.environ["PYTHONPATH"]
    else:
        os.environ["PYTHONPATH"] = old


@pytest.mark.parametrize("shard_rows", [None, 10])
def test_a_dask_cluster_builds_byte_identical_output(tmp_path, capsys, dask_env, shard_rows):
    root = repo_with_adapters(tmp_path)
    if shard_rows:  # several shards per table (tests/test_shards.py checks that they load)
        with_shard_size(root, shard_rows)
    local, dask = tmp_path / "local", tmp_path / "dask"
    assert main(["--root", str(root), "build", "--quiet", "--out", str(local)]) == 0
    args = ["--root", str(root), "build", "--quiet", "--out", str(dask)]
    assert main([*args, "--engine", "dask", "--workers", "2"]) == 0, capsys.readouterr()
    assert parquet_hashes(dask) == parquet_hashes(local)
    assert len(parquet_hashes(local)) >= (10 if shard_rows else 4)
    assert (dask / "manifest.json").read_bytes() == (local / "manifest.json").read_bytes()


def test_a_worker_killed_mid_task_is_retried_with_the_same_result(tmp_path, dask_env):
    from engine_helpers import parse_or_die

    root = repo_with_adapters(tmp_path)
    files = load_inputs(root / "seeds", root, set(registry()))
    expected = LocalEngine(1).map(parse_file, files, "parse")
    marker = tmp_path / "killed"
    items = [(raw, "result.json", str(marker)) for raw in files]
    with open_engine("dask", workers=2) as engine:
        got = engine.map(parse_or_die, items, "parse")
    assert marker.exists()  # the worker that took result.json did die
    assert got == expected


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_scheduler_is_a_clear_error_and_nothing_is_written(tmp_path, capsys):
    root = repo_with_adapters(tmp_path)
    out = tmp_path / "out"
    address = f"tcp://127.0.0.1:{free_port()}"
    args = ["--root", str(root), "build", "--out", str(out), "--engine", "dask"]
    assert main([*args, "--scheduler", address]) == 7
    err = capsys.readouterr().err
    assert f"cannot reach the Dask scheduler at {address}" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_a_scheduler_without_the_dask_engine_is_refused(tmp_path, capsys):
    root = repo_with_adapters(tmp_path)
    code = main(["--root", str(root), "build", "--scheduler", "tcp://127.0.0.1:1"])
    assert code == 7
    assert "--scheduler needs --engine dask" in capsys.readouterr().err
