"""Ground truth: which generated posts are duplicates under the build's own definition.

Positive pairs are two posts of one generated family whose exact Jaccard of padded word
`shingle_words`-grams, on the text without the generator's boilerplate (channel footers and
"<Outlet> reports:" headers), is >= `threshold`; truth clusters are the connected components of
those pairs. Hard negatives are pairs of one template family below the threshold and not joined in
the truth. `shingle_words` and `threshold` come from the loaded `[dedup]` config.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from statemedia.config import DedupConfig
from statemedia_bench.corpus import Families

PAD_START, PAD_END = "xxbos", "xxeos"  # start and end markers; datatrove gets them as plain words


@dataclass(frozen=True)
class Truth:
    """Truth cluster label of every post, and the hard-negative pairs (index arrays)."""

    labels: np.ndarray  # int64 per post: posts with one label are duplicates
    hard_left: np.ndarray  # int64
    hard_right: np.ndarray  # int64


def reference_shingles(text: str, shingle_words: int) -> set[int]:
    """Padded word k-grams, computed independently of statemedia.dedup (same definition)."""
    k = shingle_words
    words = re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold())
    padded = [PAD_START] * (k - 1) + words + [PAD_END] * (k - 1)
    return {hash(tuple(padded[i : i + k])) for i in range(len(padded) - k + 1)}


def ground_truth(families: Families, config: DedupConfig) -> Truth:
    """Truth clusters (components of within-family pairs with J >= threshold) and hard negatives."""
    content, family, tfamily = families.compared, families.family, families.template_family
    n = len(content)
    parent = np.arange(n)

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    order = np.argsort(family, kind="stable")
    bounds = np.flatnonzero(np.diff(family[order])) + 1
    hard_left, hard_right = [], []
    for members in np.split(order, bounds):
        if len(members) < 2:
            continue
        sets = [reference_shingles(content[i], config.shingle_words) for i in members]
        for a in range(len(members)):
            for b in range(a + 1, len(members)):
                x, y = sets[a], sets[b]
                j = len(x & y) / len(x | y)
                i, k = int(members[a]), int(members[b])
                if j >= config.threshold:
                    parent[find(i)] = find(k)
                elif tfamily[i] >= 0:
                    hard_left.append(i)
                    hard_right.append(k)
    roots = np.array([find(i) for i in range(n)], dtype=np.int64)
    hl, hr = np.array(hard_left, dtype=np.int64), np.array(hard_right, dtype=np.int64)
    keep = roots[hl] != roots[hr]  # a pair below threshold may still be joined through others
    return Truth(labels=roots, hard_left=hl[keep], hard_right=hr[keep])
