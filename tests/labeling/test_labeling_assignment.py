"""The blind-coding design (labeling.assignment) and the coder registry (labeling.coders), offline."""

from __future__ import annotations

import json
import math
import random
import stat
from collections import Counter
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from labeling_helpers import make_post

from statemedia.cli import main
from statemedia.errors import ConfigError
from statemedia.labeling.assignment import Assignment, assign, stratum
from statemedia.labeling.coders import add_coders, read_coders
from statemedia.labeling.records import AnnotatorMap
from statemedia.labeling.tasks import post_to_task

CODERS = ("annotator_01", "annotator_02", "annotator_03")


def task(post_id: str, source: str = "tass_en", day: date | None = date(2024, 7, 3)):
    return post_to_task(make_post(post_id, source=source, published_date=day), "v1.0.0", "train")


def corpus() -> list:
    """Three strata of 10, 7 and 3 posts, and 2 undated ones."""
    rows = [task(f"a{i}", "tass_en", date(2024, 7, 1 + i)) for i in range(10)]
    rows += [task(f"b{i}", "tass_en", date(2024, 8, 1 + i)) for i in range(7)]
    rows += [task(f"c{i}", "mfa_telegram_en", date(2024, 7, 9)) for i in range(3)]
    rows += [task(f"d{i}", "mfa_telegram_en", None) for i in range(2)]
    return rows


def test_strata_are_source_and_month() -> None:
    assert stratum(task("x", "tass_en", date(2024, 7, 3))) == "tass_en 2024-07"
    assert stratum(task("x", "mfa_telegram_en", None)) == "mfa_telegram_en undated"


def test_reliability_sample_is_drawn_in_every_stratum_and_the_rest_is_coded_once() -> None:
    design = assign(corpus(), CODERS, overlap=20, seed=7)
    strata = design.strata()
    assert strata == {
        "mfa_telegram_en 2024-07": {"posts": 3, "reliability": 1},  # ceil(0.2 x 3)
        "mfa_telegram_en undated": {"posts": 2, "reliability": 1},
        "tass_en 2024-07": {"posts": 10, "reliability": 2},
        "tass_en 2024-08": {"posts": 7, "reliability": 2},
    }
    for a in design.posts:
        assert a.coders == (CODERS if a.reliability else a.coders)
        assert len(a.coders) == (3 if a.reliability else 1)
    single = Counter(a.coders[0] for a in design.posts if not a.reliability)
    assert sum(single.values()) == 22 - 6
    assert max(single.values()) - min(single.values()) <= 1  # balanced workload
    assert design.for_coder("annotator_02") >= {a.post_id for a in design.posts if a.reliability}


def test_the_design_depends_on_the_seed_not_on_the_input_order() -> None:
    rows = corpus()
    shuffled = rows[:]
    random.Random(3).shuffle(shuffled)
    assert assign(rows, CODERS, 30, seed=1) == assign(shuffled, CODERS[::-1], 30, seed=1)
    assert assign(rows, CODERS, 30, seed=1) != assign(rows, CODERS, 30, seed=2)


def test_overlap_bounds() -> None:
    assert all(a.reliability for a in assign(corpus(), CODERS[:2], 100, 0).posts)
    assert not any(a.reliability for a in assign(corpus(), CODERS[:2], 0, 0).posts)
    with pytest.raises(ValueError, match="two coders"):
        assign(corpus(), CODERS[:1], 50, 0)
    with pytest.raises(ValueError, match="percentage"):
        assign(corpus(), CODERS, 101, 0)


def test_an_earlier_design_is_extended_never_redrawn() -> None:
    first = assign(corpus()[:12], CODERS[:2], 25, seed=5)
    later = assign(corpus(), CODERS, 25, seed=5, previous=first)  # more posts, one more coder
    before = {a.post_id: a for a in first.posts}
    for a in later.posts:
        if a.post_id in before:
            old = before[a.post_id]
            assert a.reliability == old.reliability
            # the new coder joins every reliability post and takes none of the single-coded ones
            assert a.coders == (CODERS if old.reliability else old.coders)
    assert later.coders == CODERS
    # tass_en 2024-07 has 10 posts now; ceil(25% of 10) = 3 reliability posts in all
    assert later.strata()["tass_en 2024-07"] == {"posts": 10, "reliability": 3}
    assert Assignment.from_dict(json.loads(json.dumps(later.to_dict()))) == later


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=1, max_value=12), min_size=1, max_size=5),
    n_coders=st.integers(min_value=2, max_value=4),
    overlap=st.integers(min_value=0, max_value=100),
    seed=st.integers(min_value=0, max_value=10),
)
def test_every_post_is_coded_by_all_or_by_one(sizes, n_coders, overlap, seed) -> None:
    rows = [
        task(f"s{s}p{i}", "tass_en", date(2024, 1 + s, 1))
        for s, n in enumerate(sizes)
        for i in range(n)
    ]
    coders = [f"annotator_{k:02d}" for k in range(1, n_coders + 1)]
    design = assign(rows, coders, overlap, seed)
    assert sorted(a.post_id for a in design.posts) == sorted(t.post_id for t in rows)
    for key, counts in design.strata().items():
        assert counts["reliability"] == math.ceil(overlap * counts["posts"] / 100), key
    for a in design.posts:
        if a.reliability:
            assert a.coders == tuple(coders)
        else:
            assert len(a.coders) == 1 and a.coders[0] in coders


# -- the coder registry ------------------------------------------------------------------------


def test_add_coders_gives_pseudonyms_ports_and_fresh_credentials() -> None:
    private = AnnotatorMap(pseudonyms={"email:old@example.org": "annotator_01"}, ls_users={})
    coders, private, _ = add_coders([], ["b@example.org", "old@example.org"], private, 9001)
    assert [(c.pseudonym, c.email, c.port) for c in coders] == [
        ("annotator_01", "old@example.org", 9002),  # one person, one pseudonym throughout
        ("annotator_02", "b@example.org", 9001),
    ]
    assert len({c.token for c in coders}) == 2 and all(len(c.token) == 40 for c in coders)
    assert private.pseudonyms["email:b@example.org"] == "annotator_02"
    again, _, none = add_coders(coders, ["B@example.org"], private, 9001)
    assert none == [] and again == coders  # already registered: unchanged
    with pytest.raises(ConfigError, match="not an email address"):
        add_coders(coders, ["coder-three"], private)


def test_coders_command_writes_a_private_registry(tmp_path, capsys) -> None:
    state = tmp_path / "state"
    argv = ["annotate", "coders", "add", "a@example.org", "b@example.org"]
    assert main([*argv, "--state-dir", str(state), "--first-port", "9100"]) == 0
    out = capsys.readouterr().out
    assert "annotator_01  a@example.org  http://127.0.0.1:9100" in out
    assert "annotator_02  b@example.org  http://127.0.0.1:9101" in out
    registry = state / "coders.json"
    assert stat.S_IMODE(registry.stat().st_mode) == 0o600  # it holds passwords and tokens
    assert [c.pseudonym for c in read_coders(state)] == ["annotator_01", "annotator_02"]
    pseudonyms = json.loads((state / "annotators.json").read_text())["pseudonyms"]
    assert pseudonyms == {
        "email:a@example.org": "annotator_01",
        "email:b@example.org": "annotator_02",
    }
    assert main(["annotate", "coders", "list", "--state-dir", str(state)]) == 0
    assert "annotator_02  b@example.org" in capsys.readouterr().out


def test_blind_push_needs_two_coders(tmp_path, capsys) -> None:
    state = tmp_path / "state"
    assert main(["annotate", "coders", "add", "a@example.org", "--state-dir", str(state)]) == 0
    assert "needs two coders or more" in capsys.readouterr().out
    code = main(["annotate", "push", "--state-dir", str(state), "--dataset-dir", str(tmp_path)])
    assert code == 2
    assert "at least two coders, 1 registered" in capsys.readouterr().err
