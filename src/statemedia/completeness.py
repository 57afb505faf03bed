"""Completeness of a scrape per channel, from the platform ids its posts carry.

Pure: given posts, drops, or (channel, message id) pairs of service messages, report per channel the
id range, how many ids are present and missing, and every gap as an inclusive range. Records
without a channel and a numeric platform id are ignored. Only ids passed in count as present.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from statemedia.records import Dropped, Post


@dataclass(frozen=True, slots=True)
class ChannelCompleteness:
    """One channel's message-id range, ids present and missing, and the missing ranges."""

    first_id: int
    last_id: int
    present: int
    missing: int
    gaps: tuple[tuple[int, int], ...]  # inclusive (first, last) ranges


def gaps(numbers: Iterable[int]) -> tuple[tuple[int, int], ...]:
    """Inclusive (first, last) ranges of integers missing between the smallest and largest."""
    ordered = sorted(set(numbers))
    return tuple((a + 1, b - 1) for a, b in pairwise(ordered) if b - a > 1)


def channel_ids(records: Iterable[Post | Dropped | tuple[str, str]]) -> dict[str, np.ndarray]:
    """Per channel (lower case), the sorted distinct numeric platform ids among `records`."""
    found: dict[str, set[int]] = defaultdict(set)
    for record in records:
        channel, native = (
            record if isinstance(record, tuple) else (record.channel, record.native_id)
        )
        if channel and native and native.isdigit():
            found[channel.lower()].add(int(native))
    return {channel: np.array(sorted(ids), dtype=np.int64) for channel, ids in found.items()}


def completeness(
    records: Iterable[Post | Dropped | tuple[str, str]],
) -> dict[str, ChannelCompleteness]:
    """Per channel: first and last message id, ids present and missing, and the missing ranges."""
    return completeness_of([channel_ids(records)])


def completeness_of(parts: Iterable[Mapping[str, np.ndarray]]) -> dict[str, ChannelCompleteness]:
    """`completeness` from the `channel_ids` of several parts (e.g. one per file), merged."""
    by_channel: dict[str, list[np.ndarray]] = defaultdict(list)
    for part in parts:
        for channel, ids in part.items():
            by_channel[channel].append(ids)
    report: dict[str, ChannelCompleteness] = {}
    for channel in sorted(by_channel):
        numbers = np.unique(np.concatenate(by_channel[channel]))
        first, last = int(numbers[0]), int(numbers[-1])
        step = np.flatnonzero(np.diff(numbers) > 1)
        report[channel] = ChannelCompleteness(
            first_id=first,
            last_id=last,
            present=len(numbers),
            missing=last - first + 1 - len(numbers),
            gaps=tuple((int(numbers[i]) + 1, int(numbers[i + 1]) - 1) for i in step),
        )
    return report
