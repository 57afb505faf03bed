"""Tests for the pure parts of the whole-build benchmark (`statemedia_bench.build`): the engines'
command lines, the byte-identity check of two outputs, the floor's re-encoding (which must give the
build's own bytes back), the process-tree sampler and the table. No build is run and no timing is
asserted."""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from statemedia.release.writer import parquet_bytes
from statemedia_bench.build import (
    EngineRun,
    Floor,
    TreeSampler,
    build_command,
    compare_outputs,
    parse_engines,
    table,
    with_item_names,
)


def write_output(out: Path, files: dict[str, bytes]) -> None:
    """A build output folder: the files and a manifest listing their sha256."""
    out.mkdir(parents=True)
    entries = []
    for name, data in files.items():
        (out / name).write_bytes(data)
        entries.append({"path": name, "sha256": hashlib.sha256(data).hexdigest()})
    (out / "manifest.json").write_text(json.dumps({"files": entries}))


def test_build_command_adds_out_and_dask_workers(tmp_path: Path) -> None:
    local = build_command(tmp_path / "repo", tmp_path / "out", "local")
    assert local[-4:] == ["build", "--quiet", "--out", str(tmp_path / "out")]
    dask = build_command(tmp_path / "repo", tmp_path / "out", "dask")
    assert dask[-4:] == ["--engine", "dask", "--workers", "2"]


def test_parse_engines_rejects_unknown_and_repeated() -> None:
    ap = argparse.ArgumentParser()
    assert parse_engines(ap, "local,dask") == ["local", "dask"]
    for bad in ("local,spark", "local,local", ""):
        with pytest.raises(SystemExit):
            parse_engines(ap, bad)


def test_compare_outputs(tmp_path: Path) -> None:
    files = {"train.parquet": b"a", "test.parquet": b"b"}
    write_output(tmp_path / "one", files)
    write_output(tmp_path / "two", files)
    assert compare_outputs([tmp_path / "one", tmp_path / "two"]) == (True, 2, [])
    write_output(tmp_path / "three", {**files, "test.parquet": b"c"})
    same, count, problems = compare_outputs([tmp_path / "one", tmp_path / "three"])
    assert not same and count == 2 and problems == ["test.parquet: one and three differ"]
    (tmp_path / "two" / "train.parquet").write_bytes(b"changed after the manifest")
    same, _, problems = compare_outputs([tmp_path / "one", tmp_path / "two"])
    assert not same and any("!= manifest" in p for p in problems)


def test_reencoding_gives_the_build_bytes_back() -> None:
    table_ = pa.table(
        {
            "id": pa.array(["a", "b"]),
            "topics": pa.array([["x"], []], pa.list_(pa.string())),
            "spans": pa.array([[{"start": 1, "tags": ["t"]}], None]),
        }
    )
    data = parquet_bytes(table_)
    back = pq.read_table(io.BytesIO(data))
    assert parquet_bytes(with_item_names(back)) == data


def test_sampler_sees_the_child_and_its_children() -> None:
    code = "import subprocess, sys; subprocess.run([sys.executable, '-c', 'import time; time.sleep(1)'])"
    proc = subprocess.Popen([sys.executable, "-c", code])
    sampler = TreeSampler(proc.pid)
    sampler.start()
    proc.wait()
    sampler.stop()
    assert len(sampler.cpu_by_process) >= 2
    assert sampler.peak_tree_rss >= sampler.peak_process_rss > 0
    assert sampler.peak_build_rss > 0 and sampler.peak_worker_rss > 0
    assert 0 < sampler.peak_tree_pss <= sampler.peak_tree_rss


def test_build_peak_is_its_own_not_the_starting_process() -> None:
    """A child's ru_maxrss on Linux starts at its parent's peak (kept across execve); the build's
    reported peak (VmHWM) must be its own: a small child of a 400 MiB parent stays small."""
    held = bytearray(400 * 2**20)
    held[::4096] = b"x" * len(held[::4096])  # touched, so resident
    code = "from statemedia.build import own_peak_mib; print(own_peak_mib())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert 0 < int(out.stdout) < 300
    del held


def test_table_has_one_row_per_engine_and_the_floor(tmp_path: Path) -> None:
    run = EngineRun(
        engine="dask",
        out=tmp_path,
        wall_s=10.0,
        cpu_s=15.0,
        rusage_cpu_s=15.0,
        sampled_cpu_s=14.9,
        processes=5,
        peak_tree_mib=700.0,
        peak_tree_pss_mib=600.0,
        build_process_mib=300.0,
        largest_worker_mib=250.0,
        others_cpu_s=0.0,
        load_before=0.1,
        load_after=1.0,
        kept=8_756,
        stages={},
        peak_mib={},
    )
    floor = Floor("json", 1.5, 100, 0.5, 10, 5, 5)
    lines = table([run], floor, 10_000).splitlines()
    assert lines[2] == (
        "| dask (2 workers) | 10.0 | 15.0 | 1,000 | 600 | 700 | 300 | 250 | 5.0 | 8,756 |"
    )
    assert lines[3].startswith("| I/O floor (json.loads + parquet_bytes) | 2.00 | - | 5,000 |")
