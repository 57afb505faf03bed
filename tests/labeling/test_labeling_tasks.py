"""Release discovery, post selection and task building (offline)."""

from __future__ import annotations

import re
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from labeling_helpers import make_post, write_release

from statemedia.errors import BadInputError
from statemedia.labeling.records import Task
from statemedia.labeling.scheme import render_label_config
from statemedia.labeling.tasks import (
    build_tasks,
    new_tasks,
    post_to_task,
    read_posts,
    release_versions,
    resolve_release,
    select_tasks,
    split_paths,
)


def test_latest_is_highest_semver_not_lexical(tmp_path) -> None:
    for version in ("v1.9.0", "v1.10.0", "v1.2.3", "notes"):
        (tmp_path / "data" / version).mkdir(parents=True)
    assert release_versions(tmp_path) == ["v1.2.3", "v1.9.0", "v1.10.0"]
    assert resolve_release(tmp_path, "latest") == "v1.10.0"
    assert resolve_release(tmp_path, "v1.9.0") == "v1.9.0"
    with pytest.raises(BadInputError, match=r"v2\.0\.0"):
        resolve_release(tmp_path, "v2.0.0")


def test_no_release_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(BadInputError, match="no release found"):
        resolve_release(tmp_path, "latest")


def test_unknown_split_is_rejected(tmp_path) -> None:
    with pytest.raises(BadInputError, match="unknown split"):
        split_paths(tmp_path, "v1.0.0", "dev")


def test_subtitle_is_shown_when_the_release_has_one() -> None:
    task = post_to_task(make_post("a", title="Head", subtitle="Standfirst"), "v1.0.0", "train")
    assert (task.title, task.subtitle) == ("Head", "Standfirst")
    assert task.payload()["data"]["subtitle"] == "Standfirst"


def test_read_posts_round_trips_release_rows(tmp_path) -> None:
    path = write_release(tmp_path, "v1.0.0", "train", [make_post("a"), make_post("b")])
    rows = read_posts(path)
    assert [r["post_id"] for r in rows] == ["a", "b"]
    assert rows[0]["published_date"] == date(2024, 7, 3)
    assert rows[0]["provenance"]["line_start"] == 76


def test_read_posts_rejects_missing_columns_and_garbage(tmp_path) -> None:
    path = tmp_path / "x.parquet"
    pq.write_table(pa.table({"post_id": ["a"]}), path)
    with pytest.raises(BadInputError, match="missing columns"):
        read_posts(path)
    garbage = tmp_path / "g.parquet"
    garbage.write_bytes(b"not parquet")
    with pytest.raises(BadInputError, match="not a readable Parquet"):
        read_posts(garbage)


def tasks_of(rows: list[dict]) -> list[Task]:
    return [post_to_task(r, "v1.0.0", "train") for r in rows]


def test_teasers_are_skipped_unless_asked() -> None:
    tasks = tasks_of([make_post("a"), make_post("t", record_kind="link_teaser"), make_post("b")])
    assert {t.post_id for t in select_tasks(tasks)} == {"a", "b"}
    assert {t.post_id for t in select_tasks(tasks, include_teasers=True)} == {"a", "b", "t"}
    assert {
        t.post_id for t in build_tasks([make_post("t", record_kind="link_teaser")], "v", "train")
    } == set()


@settings(max_examples=50, deadline=None)
@given(
    ids=st.lists(st.text("abcdef0123", min_size=1, max_size=6), unique=True, max_size=30),
    seed=st.integers(0, 10),
    data=st.data(),
)
def test_sample_is_independent_of_row_order_and_nested(ids, seed, data) -> None:
    tasks = tasks_of([make_post(i) for i in ids])
    shuffled = data.draw(st.permutations(tasks))
    n = data.draw(st.integers(0, len(ids)))
    picked = [t.post_id for t in select_tasks(tasks, sample=n, seed=seed)]
    assert picked == [t.post_id for t in select_tasks(shuffled, sample=n, seed=seed)]
    assert len(picked) == n
    # A larger sample contains the smaller one: growing a sample never drops annotated posts.
    bigger = [t.post_id for t in select_tasks(tasks, sample=n + 1, seed=seed)]
    assert bigger[:n] == picked


def test_different_seeds_give_different_samples() -> None:
    tasks = tasks_of([make_post(f"p{i}") for i in range(40)])
    first = [t.post_id for t in select_tasks(tasks, sample=10, seed=1)]
    second = [t.post_id for t in select_tasks(tasks, sample=10, seed=2)]
    assert first != second


def test_task_carries_every_config_variable_and_provenance(scheme) -> None:
    task = post_to_task(make_post("abc", title=None, published_date=None), "v1.0.0", "train")
    data = task.payload()["data"]
    assert (data["title"], data["subtitle"]) == ("", "")  # rows without a subtitle column too
    variables = set(re.findall(r'value="\$(\w+)"', render_label_config(scheme)))
    assert variables <= set(data)
    assert all(isinstance(data[v], str) for v in variables)  # no None rendered as "$title"
    assert data["post_id"] == "abc"
    assert data["provenance_line"] == (
        "Provenance: seeds/001_89b3194fb1120824.txt, lines 76-84 · post_id abc"
    )
    assert data["source_line"] == (
        "Source: mfa_telegram_en (telegram, telegram_post) · Date: unknown (exact)"
    )
    assert (data["release"], data["split"]) == ("v1.0.0", "train")
    assert set(data) == {
        *("post_id", "text", "title", "subtitle", "source", "platform", "record_kind"),
        *("published_date", "date_confidence", "url", "language", "source_file"),
        *("line_start", "line_end", "release", "split", "source_line", "provenance_line"),
    }
    assert (data["line_start"], data["line_end"]) == (76, 84)


def test_duplicate_post_id_in_a_split_is_an_error() -> None:
    with pytest.raises(BadInputError, match="occurs twice"):
        build_tasks([make_post("a"), make_post("a")], "v1.0.0", "train")


def test_new_tasks_skips_existing_post_ids() -> None:
    tasks = build_tasks([make_post("a"), make_post("b"), make_post("c")], "v1.0.0", "train")
    assert {t.post_id for t in new_tasks(tasks, {"a", "c"})} == {"b"}
