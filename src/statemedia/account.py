"""The line-by-line account: every line of every raw file in exactly one named category.

Built from a parser's `ParsedFile` and the cleaning step's per-line categories; `check_complete`
refuses an account that misses or double-counts a line, so nothing can be lost silently.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from statemedia.errors import BadInputError
from statemedia.records import LineAccount, SourceLine
from statemedia.vocab import LineCategory


def line_chars(lines: Sequence[SourceLine], text_length: int) -> list[int]:
    """Characters of each line including its line ending, so that they sum to the file's length."""
    starts = [line.char_start for line in lines] + [text_length]
    return [starts[k + 1] - starts[k] for k in range(len(lines))]


def build_account(
    path: str,
    lines: Sequence[SourceLine],
    text_length: int,
    category_of: Mapping[int, LineCategory],
) -> LineAccount:
    """Count lines and characters per category; every line must have exactly one known category."""
    known = set(LineCategory)
    missing = [line.number for line in lines if line.number not in category_of]
    if missing or len(category_of) != len(lines):
        raise BadInputError(
            f"{path}:{missing[0] if missing else '?'}: line not accounted for "
            "(a parser bug; please report it with this file)"
        )
    unknown = sorted({c for c in category_of.values() if c not in known})
    if unknown:
        raise BadInputError(f"{path}: unknown line categories {unknown} (a parser bug)")
    line_counts: Counter[str] = Counter()
    char_counts: Counter[str] = Counter()
    for line, chars in zip(lines, line_chars(lines, text_length), strict=True):
        category = category_of[line.number]
        line_counts[category] += 1
        char_counts[category] += chars
    order = list(LineCategory)  # the vocabulary's order
    return LineAccount(
        source_file=path,
        lines={c.value: line_counts[c] for c in order if line_counts[c]},
        chars={c.value: char_counts[c] for c in order if char_counts[c]},
    )


def format_accounts(accounts: Sequence[LineAccount]) -> str:
    """A plain-text table: per file, lines and characters per category with percentages."""
    rows = [f"{'file / category':44} {'lines':>7} {'%':>6} {'chars':>8} {'%':>6}"]
    for account in accounts:
        total_lines = sum(account.lines.values())
        total_chars = sum(account.chars.values())
        rows.append(account.source_file)
        for category, count in account.lines.items():
            chars = account.chars.get(category, 0)
            rows.append(
                f"  {category:42} {count:7d} {100 * count / total_lines:6.1f} "
                f"{chars:8d} {100 * chars / max(total_chars, 1):6.1f}"
            )
        rows.append(f"  {'total':42} {total_lines:7d} {100.0:6.1f} {total_chars:8d} {100.0:6.1f}")
    return "\n".join(rows)
