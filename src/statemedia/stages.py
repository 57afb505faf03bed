"""The parse and clean stages over all raw files: drafts to posts, with ids, provenance and account.

`parse_and_clean` is pure over already-verified inputs: it returns posts (articles, Telegram posts
and link teasers), drops with reasons, a complete line account per file, and per-file counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from tqdm import tqdm

from statemedia.account import build_account
from statemedia.clean import clean_draft
from statemedia.ids import native_post_id, raw_post_id
from statemedia.inputs import RawFile
from statemedia.parse import FileContext, registry, split_lines
from statemedia.records import Draft, Dropped, LineAccount, Post, Provenance


@dataclass(slots=True)
class ParseOutcome:
    """Everything the parse and clean stages produce."""

    posts: list[Post] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    accounts: list[LineAccount] = field(default_factory=list)
    file_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    posts_touched: Counter[str] = field(default_factory=Counter)  # line category -> drafts with one


# Line categories inside a draft that a cleaning rule (or the parser's repeat detection) removed.
REMOVED_INSIDE_POSTS = frozenset({"placeholder", "link_anchor", "repeated_body"})


def provenance_of(draft: Draft, raw: RawFile, parser: str) -> Provenance:
    """Exact lines and characters of a draft in its raw file."""
    first, last = draft.lines[0], draft.lines[-1]
    return Provenance(
        source_file=raw.repo_path,
        source_sha256=raw.sha256,
        line_start=first.number,
        line_end=last.number,
        char_start=first.char_start,
        char_end=last.char_start + len(last.text),
        parser=parser,
    )


def parse_and_clean(files: Sequence[RawFile]) -> ParseOutcome:
    """Parse every file with its declared parser, clean every draft, and account for every line."""
    parsers = registry()
    outcome = ParseOutcome()
    seen_raw: Counter[tuple[str, str]] = Counter()
    for raw in tqdm(files, desc="parse", unit="file", disable=None, leave=False):
        parser_name, parse = parsers[raw.decl.format]
        ctx = FileContext(
            raw.repo_path, raw.decl.source, raw.decl.platform, raw.decl.language, raw.decl.options
        )
        lines = split_lines(raw.text)
        parsed = parse(lines, ctx)
        category_of = dict(parsed.outside)
        counts: Counter[str] = Counter()
        for draft in parsed.drafts:
            if draft.native_id is not None:  # the platform's own id, e.g. "mfarussia/12345"
                post_id = native_post_id(raw.decl.source, draft.native_id)
            else:
                raw_text = "\n".join(line.text for line in draft.lines)
                seen_raw[(raw.decl.source, raw_text)] += 1
                occurrence = seen_raw[(raw.decl.source, raw_text)]
                post_id = raw_post_id(raw.decl.source, raw_text, occurrence)
            cleaned = clean_draft(
                draft,
                post_id=post_id,
                provenance=provenance_of(draft, raw, parser_name),
                source=raw.decl.source,
                platform=raw.decl.platform,
                language=raw.decl.language,
            )
            # A teaser is kept as its own record kind, but its lines are navigation in the account.
            final = [
                "link_teaser" if draft.kind == "link_teaser" and c != "blank" else c
                for c in cleaned.categories
            ]
            for line, category in zip(draft.lines, final, strict=True):
                if line.number in category_of:
                    raise AssertionError(
                        f"{raw.repo_path}:{line.number} assigned twice by {parser_name}"
                    )
                category_of[line.number] = category
            outcome.posts_touched.update(REMOVED_INSIDE_POSTS.intersection(final))
            if isinstance(cleaned.record, Post):
                outcome.posts.append(cleaned.record)
                counts[cleaned.record.record_kind] += 1
            else:
                outcome.dropped.append(cleaned.record)
                counts[f"dropped:{cleaned.record.reason}"] += 1
        outcome.accounts.append(build_account(raw.repo_path, lines, len(raw.text), category_of))
        outcome.file_counts[raw.repo_path] = dict(sorted(counts.items()))
    return outcome
