"""Which coder codes which post in blind coding: a reliability sample for every coder, the rest once.

Pure. Posts are grouped into strata by source and month (`published_date`'s YYYY-MM, `undated`
without one). In each stratum the posts are ranked by `sample_rank(post_id, seed)` and the first
ceil(overlap% x stratum size) form the reliability sample, coded by every coder; each other post
goes to the one coder with the fewest posts so far (ties: the lower pseudonym), strata in sorted
order. Rule `assignment@1`. An earlier assignment is extended, never redrawn: its posts keep their
coders (a new coder gets every reliability post, none of the single-coded ones), and new posts are
drawn as above within what their strata still need.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from statemedia.labeling.records import RowError, Task
from statemedia.labeling.tasks import sample_rank

RULE = "assignment@1"
FORMAT = "statemedia-assignment@1"
UNDATED = "undated"


def stratum(task: Task) -> str:
    """The stratum of a post: `<source> <YYYY-MM>` or `<source> undated`."""
    month = task.published_date[:7] if len(task.published_date) >= 7 else UNDATED
    return f"{task.source} {month}"


@dataclass(frozen=True, slots=True)
class Assigned:
    """One post's place in the design: its stratum, whether it is in the reliability sample, and
    the coders (pseudonyms) it is given to."""

    post_id: str
    stratum: str
    reliability: bool
    coders: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "post_id": self.post_id,
            "stratum": self.stratum,
            "reliability": self.reliability,
            "coders": list(self.coders),
        }


@dataclass(frozen=True, slots=True)
class Assignment:
    """The whole design as `assignment.json` records it (pseudonyms only: it is published)."""

    seed: int
    overlap: int  # percent of each stratum in the reliability sample
    coders: tuple[str, ...]
    posts: tuple[Assigned, ...]  # in post_id order

    def for_coder(self, coder: str) -> set[str]:
        """post_ids given to one coder."""
        return {a.post_id for a in self.posts if coder in a.coders}

    def strata(self) -> dict[str, dict[str, int]]:
        """Per stratum: posts, and posts in the reliability sample."""
        counts: dict[str, dict[str, int]] = {}
        for a in self.posts:
            entry = counts.setdefault(a.stratum, {"posts": 0, "reliability": 0})
            entry["posts"] += 1
            entry["reliability"] += a.reliability
        return dict(sorted(counts.items()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "rule": RULE,
            "seed": self.seed,
            "overlap_percent": self.overlap,
            "coders": list(self.coders),
            "strata": self.strata(),
            "posts": [a.to_dict() for a in self.posts],
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Assignment:
        """Parse assignment.json; RowError names what is wrong."""
        if raw.get("format") != FORMAT:
            raise RowError(f"format {raw.get('format')!r}, expected {FORMAT!r}")
        try:
            posts = tuple(
                Assigned(
                    post_id=str(p["post_id"]),
                    stratum=str(p["stratum"]),
                    reliability=bool(p["reliability"]),
                    coders=tuple(str(c) for c in p["coders"]),
                )
                for p in raw["posts"]
            )
            return cls(
                seed=int(raw["seed"]),
                overlap=int(raw["overlap_percent"]),
                coders=tuple(str(c) for c in raw["coders"]),
                posts=posts,
            )
        except (KeyError, TypeError, ValueError) as err:
            raise RowError(f"not an assignment ({err})") from err


def assign(
    tasks: Iterable[Task],
    coders: Sequence[str],
    overlap: int,
    seed: int,
    previous: Assignment | None = None,
) -> Assignment:
    """Extend `previous` (or start) with `tasks` for `coders`; see the module docstring."""
    if len(coders) < 2:
        raise ValueError("blind coding needs at least two coders")
    if not 0 <= overlap <= 100:
        raise ValueError("overlap is a percentage between 0 and 100")
    names = tuple(sorted(coders))
    kept: dict[str, Assigned] = {}
    if previous is not None:
        for a in previous.posts:
            # a coder added since gets every reliability post, none of the single-coded ones
            given = tuple(sorted(set(a.coders) | set(names))) if a.reliability else a.coders
            kept[a.post_id] = Assigned(a.post_id, a.stratum, a.reliability, given)
    new: dict[str, list[Task]] = defaultdict(list)
    for task in tasks:
        if task.post_id not in kept:
            new[stratum(task)].append(task)
    load = {name: 0 for name in names}
    for a in kept.values():
        if not a.reliability:
            for name in a.coders:
                load[name] = load.get(name, 0) + 1
    old_in: dict[str, list[Assigned]] = defaultdict(list)
    for a in kept.values():
        old_in[a.stratum].append(a)
    for key in sorted(new):
        ranked = sorted(new[key], key=lambda t: sample_rank(t.post_id, seed))
        size = len(ranked) + len(old_in[key])
        wanted = math.ceil(overlap * size / 100)
        missing = max(0, wanted - sum(a.reliability for a in old_in[key]))
        for rank, task in enumerate(ranked):
            if rank < missing:
                kept[task.post_id] = Assigned(task.post_id, key, True, names)
                continue
            coder = min(names, key=lambda name: (load[name], name))
            load[coder] += 1
            kept[task.post_id] = Assigned(task.post_id, key, False, (coder,))
    return Assignment(
        seed=seed,
        overlap=overlap,
        coders=tuple(sorted(set(names) | set(previous.coders if previous else ()))),
        posts=tuple(kept[pid] for pid in sorted(kept)),
    )
