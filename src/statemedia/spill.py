"""Posts on disk between the build's passes, so that the build's memory does not hold the corpus.

The parse stage writes each input file's cleaned posts to one spill file in a scratch folder inside
the build's own output folder (removed before the build ends); the later passes (dedup's two passes
over the texts, the details of matched posts, the release rows) read them back one file at a time,
on whichever engine runs the build. A `SpillPart` is a small picklable handle, so a worker on
another machine reads the file from shared storage. Pickle is a private format here: a spill file
is written and read by the same build, never kept.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from statemedia.dedup import dedup_text
from statemedia.fileio import write_atomic
from statemedia.records import Post


def write_posts(path: Path, posts: Sequence[Post]) -> None:
    """Spill one file's posts (whole or not at all: a later pass never reads half a file)."""
    write_atomic(path, pickle.dumps(list(posts), protocol=pickle.HIGHEST_PROTOCOL), mode=None)


@dataclass(frozen=True, slots=True)
class SpillPart:
    """One input file's spilled posts; `renames` maps the ids that the merge in file order
    changed (an identical raw post in an earlier file of the same source) to their build ids."""

    path: str
    renames: Mapping[str, str] = field(default_factory=dict)

    def posts(self) -> list[Post]:
        """The posts, in parse order, with their build ids."""
        with open(self.path, "rb") as handle:
            posts: list[Post] = pickle.load(handle)
        if not self.renames:
            return posts
        return [
            replace(post, post_id=self.renames[post.post_id])
            if post.post_id in self.renames
            else post
            for post in posts
        ]

    def texts(self) -> tuple[list[str], list[str]]:
        """Sources and what dedup compares (`dedup.TextPart`)."""
        posts = self.posts()
        return [p.source for p in posts], [dedup_text(p.title, p.text) for p in posts]
