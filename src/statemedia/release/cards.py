"""Generated documents, all derived from the newest release: `dataset/README.md` (HF card), each
release's `croissant.json`, the figures, and the numbers between markers in `DATACARD.md`.

`expected_documents` is the single source; `statemedia card` writes it and `stale_generated`
(used by `make test`) lists every generated file that disagrees with the data.
"""

from __future__ import annotations

import io
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from statemedia.clean import LINE_RULES
from statemedia.config import CONFIG_FILE, Config, load_config
from statemedia.fileio import write_atomic
from statemedia.parse import registry
from statemedia.records import UNDETERMINED
from statemedia.release.hfcard import render_card
from statemedia.release.layout import newest_version, read_manifest
from statemedia.release.manifest import Manifest
from statemedia.release.schema import Column, columns
from statemedia.vocab import (
    SPLITS,
    DateConfidence,
    LabelStatus,
    LineCategory,
    RecordKind,
    Table,
    vocabulary,
)

Rows = dict[Table, list[dict[str, Any]]]

DATACARD = "DATACARD.md"
FIGURES = Path("docs") / "figures"
MARKER = re.compile(
    r"(<!-- BEGIN GENERATED: (?P<name>[a-z_]+) -->\n)(?P<body>.*?)(<!-- END GENERATED: (?P=name) -->)",
    re.DOTALL,
)


def rules_of_categories(manifest: Manifest) -> dict[LineCategory, str]:
    """Each line category removed inside kept posts and the rule that removes it, named with the
    versions that built the release (from its manifest, not from today's code)."""
    forwards = registry()["telegram_forwards"][0].split("@")[0]
    forwards = next(
        (p for p in manifest.versions.parsers if p.startswith(f"{forwards}@")), forwards
    )
    clean = manifest.versions.clean
    return {
        **{rule.category: f"{clean} `{rule.name}`: {rule.summary}" for rule in LINE_RULES},
        LineCategory.REPEATED_BODY: f"{forwards}: the dump's second copy of a post body",
    }


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _rows(release_dir: Path, manifest: Manifest) -> Rows:
    """Each table's rows, its shards read in order."""
    rows: Rows = {}
    for entry in manifest.files:
        rows.setdefault(entry.table, []).extend(pq.read_table(release_dir / entry.path).to_pylist())
    return rows


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


def split_unit(manifest: Manifest) -> str:
    """What a release's split rule hashes, in words."""
    if manifest.versions.translations is None:  # split@1
        return "duplicate cluster id"
    return (
        "id of the duplicate clusters joined by translation groups (the smallest cluster id), so "
        "that no copy and no translation sits in another split than its original"
    )


def block_composition(version: str, manifest: Manifest, rows: Rows) -> str:
    """Records per source and kind, date ranges and date confidence."""
    posts = [row for split in SPLITS for row in rows[split]]
    by_source: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in posts + rows[Table.LINK_TEASERS]:
        by_source[row["source"]].append(row)
    table = []
    for source in vocabulary("sources"):
        group = by_source.get(source, [])
        if not group:
            continue
        kinds = Counter(row["record_kind"] for row in group)
        dates = sorted(row["published_date"] for row in group if row["published_date"])
        confidence = Counter(row["date_confidence"] for row in group)
        table.append(
            [
                f"`{source}`",
                sum(n for k, n in kinds.items() if k != RecordKind.LINK_TEASER),
                kinds.get(RecordKind.LINK_TEASER, 0),
                f"{dates[0]} – {dates[-1]}" if dates else "none stated",
                ", ".join(f"{c}: {confidence[c]}" for c in DateConfidence if confidence[c]),
            ]
        )
    intro = (
        f"Release **{version}**: {len(posts)} posts and articles (train / validation / test) and "
        f"{len(rows[Table.LINK_TEASERS])} link teasers, from {len(manifest.inputs)} raw files."
    )
    header = [
        "source",
        "posts and articles",
        "link teasers",
        "publication dates",
        "date confidence",
    ]
    return (
        intro
        + "\n\n"
        + _table(header, table)
        + _languages(manifest, posts + rows[Table.LINK_TEASERS])
    )


def _languages(manifest: Manifest, rows: list[dict[str, Any]]) -> str:
    """Records per identified language and source (releases with `language@1` and later)."""
    counts = manifest.stage_counts.language
    if manifest.versions.language is None or counts is None:
        return ""
    languages = sorted({row["language"] for row in rows})
    sources = [s for s in vocabulary("sources") if any(r["source"] == s for r in rows)]
    table = [
        [
            f"`{s}`",
            *(sum(r["source"] == s and r["language"] == lang for r in rows) for lang in languages),
        ]
        for s in sources
    ]
    return (
        f"\n\nRecords per identified language (`language`, {manifest.versions.language}; "
        f"`{UNDETERMINED}`: too short or unsure), all tables. Of the {counts.seen} posts seen "
        f"before deduplication, {counts.differs_from_declared} were identified otherwise than "
        "their file declares (`declared_language`).\n\n"
        + _table(["source", *(f"`{lang}`" for lang in languages)], table)
    )


def block_line_account(manifest: Manifest) -> str:
    """Every raw line by category, per file."""
    out = []
    for account in manifest.line_account:
        lines, chars = account.lines, account.chars
        total_lines, total_chars = sum(lines.values()), sum(chars.values())
        rows = [
            [f"`{c}`", n, _pct(n, total_lines), chars.get(c, 0), _pct(chars.get(c, 0), total_chars)]
            for c, n in lines.items()
        ]
        rows.append(["**total**", total_lines, "100%", total_chars, "100%"])
        out.append(
            f"`{account.source_file}`\n\n"
            + _table(["category", "lines", "% lines", "characters", "% characters"], rows)
        )
    return "\n\n".join(out)


def block_preprocessing(manifest: Manifest) -> str:
    """Each rule by name and version with the lines and records it affected."""
    totals: Counter[str] = Counter()
    for account in manifest.line_account:
        totals.update(account.lines)
    clean = manifest.stage_counts.clean
    touched = clean.records_with_lines_removed
    rules = rules_of_categories(manifest)
    rows = [[rules[c], totals.get(c, 0), touched.get(c, 0)] for c in rules]
    outside = [
        c
        for c in LineCategory
        if c not in rules and not c.startswith("post_") and c != LineCategory.LINK_TEASER
    ]
    rows += [
        [f"parser: `{c}` lines outside any post", totals[c], "–"] for c in outside if totals.get(c)
    ]
    dropped = clean.dropped
    versions = manifest.versions
    text = (
        f"Built with parsers {', '.join(f'`{p}`' for p in versions.parsers)}, cleaning "
        f"`{versions.clean}`. Records seen by cleaning: {clean.seen}; kept: {clean.kept}; "
        f"dropped: {sum(dropped.values())}"
        + (f" ({', '.join(f'{r}: {n}' for r, n in dropped.items())})" if dropped else "")
        + ". Every kept text is Unicode NFC with runs of spaces collapsed and one paragraph per line."
    )
    return text + "\n\n" + _table(["rule", "lines", "records affected"], rows)


def block_dedup(manifest: Manifest) -> str:
    """Method, parameters and every merge."""
    config, counts = manifest.config.dedup, manifest.stage_counts.dedup
    removed = counts.removed
    text = (
        f"`{manifest.versions.dedup}`: exact duplicates of normalised text, then near "
        f"duplicates: MinHash ({config.num_perm} permutations, {config.bands} bands × "
        f"{config.rows} rows) over word {config.shingle_words}-gram shingles, every "
        f"candidate verified by exact Jaccard ≥ {config.threshold}. Seen {counts.seen}, "
        f"kept {counts.kept}, removed {sum(removed.values())}"
        + (f" ({', '.join(f'{m}: {n}' for m, n in removed.items())})" if removed else "")
        + "."
    )
    merged = manifest.merges
    if not merged:
        return text + " No pair in this release reached the threshold."
    rows = [[m.kept_lines, m.removed_lines, m.method, f"{m.similarity:.3f}"] for m in merged]
    return text + "\n\n" + _table(["kept", "removed copy", "method", "similarity"], rows)


def block_splits(manifest: Manifest, rows: Rows) -> str:
    """Rows per split and source."""
    config = manifest.config.split
    sources = [
        s for s in vocabulary("sources") if any(r["source"] == s for t in SPLITS for r in rows[t])
    ]
    table = [
        [split, len(rows[split]), *(sum(r["source"] == s for r in rows[split]) for s in sources)]
        for split in SPLITS
    ]
    text = (
        f"`{manifest.versions.split}`: sha256 of the seed `{config.seed}` and the "
        f"{split_unit(manifest)}; target ratios {config.train} / {config.validation} / "
        f"{config.test}. "
        "With so few posts the realised shares differ from the targets."
    )
    return text + "\n\n" + _table(["split", "rows", *(f"`{s}`" for s in sources)], table)


def block_annotation(manifest: Manifest, rows: Rows, agreement: str | None) -> str:
    """Human labels in the release (status, topics, annotators, agreement), or that there are none."""
    annotations = rows.get(Table.ANNOTATIONS, [])
    if not annotations:
        return "No human labels yet: this release contains no topic or stance labels."
    posts = [row for split in SPLITS for row in rows[split]]
    status = Counter(row["label_status"] for row in posts)
    topics = Counter(
        row["label_topic_primary"] for row in posts if row["label_status"] == LabelStatus.RESOLVED
    )
    annotators = sorted({row["annotator"] for row in annotations})
    text = (
        f"Label scheme version {manifest.label_scheme_version}; "
        f"{len(annotations)} human annotations of {len({r['post_id'] for r in annotations})} posts "
        f"by {len(annotators)} pseudonymous annotators (published as the `-annotations` config). "
        + ", ".join(f"{s}: {status[s]}" for s in LabelStatus if status[s])
        + " posts."
    )
    table = _table(
        ["gold primary topic", "posts"], [[f"`{t}`", n] for t, n in topics.most_common()]
    )
    agreement_text = agreement or "Agreement has not been computed for this release."
    return f"{text}\n\n{table}\n\n{agreement_text}"


def figures(rows: Rows) -> dict[str, bytes]:
    """PNG figures: posts per source over time (stated or inferred dates) and text length by source."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    posts = [row for split in SPLITS for row in rows[split]]
    sources = [s for s in vocabulary("sources") if any(r["source"] == s for r in posts)]
    out = {}
    fig, ax = plt.subplots(figsize=(7, 3.2), dpi=100)
    for source in sources:
        months = Counter(
            r["published_date"].replace(day=1)
            for r in posts
            if r["source"] == source and r["published_date"]
        )
        if months:  # a real date axis, so months stay in calendar order
            keys = sorted(months)
            ax.plot(keys, [months[k] for k in keys], marker="o", linestyle="", label=source)
    undated = sum(1 for r in posts if not r["published_date"])
    ax.set_title(f"Posts per month by source (dated posts only; {undated} undated)")
    ax.set_ylabel("posts")
    ax.legend(fontsize=7)
    ax.xaxis.set_major_formatter(matplotlib.dates.DateFormatter("%Y-%m"))
    locator = ax.yaxis.get_major_locator()  # the default AutoLocator is a MaxNLocator
    assert isinstance(locator, matplotlib.ticker.MaxNLocator)
    locator.set_params(integer=True)
    ax.tick_params(axis="x", labelrotation=45, labelsize=7)
    fig.tight_layout()
    out["posts_per_month.png"] = _png(fig)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(7, 3.2), dpi=100)
    ax.boxplot([[len(r["text"]) for r in posts if r["source"] == s] for s in sources])
    ax.set_xticks(range(1, len(sources) + 1), sources, fontsize=7)
    ax.set_ylabel("characters")
    ax.set_title("Text length by source")
    fig.tight_layout()
    out["text_length_by_source.png"] = _png(fig)
    plt.close(fig)
    topics = Counter(
        r["label_topic_primary"] for r in posts if r["label_status"] == LabelStatus.RESOLVED
    )
    if topics:  # label distributions, once human labels exist
        fig, ax = plt.subplots(figsize=(7, 3.2), dpi=100)
        names = sorted(topics, key=lambda t: (-topics[t], t))
        ax.barh(names[::-1], [topics[t] for t in names[::-1]])
        ax.set_xlabel("posts (gold primary topic)")
        ax.set_title("Gold primary topics")
        ax.tick_params(axis="y", labelsize=7)
        fig.tight_layout()
        out["gold_primary_topics.png"] = _png(fig)
        plt.close(fig)
    return out


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(
        buffer, format="png", metadata={"Software": None}
    )  # no version string: stable bytes
    return buffer.getvalue()


def render_datacard(text: str, blocks: dict[str, str]) -> str:
    """Replace the content between every pair of markers; refuse unknown or missing blocks."""
    found = {match["name"] for match in MARKER.finditer(text)}
    if found != set(blocks):
        raise ValueError(f"{DATACARD}: generated blocks {sorted(found)} != {sorted(blocks)}")
    return MARKER.sub(lambda m: f"{m.group(1)}{blocks[m['name']].strip()}\n{m.group(4)}", text)


def expected_documents(root: Path, config: Config) -> dict[Path, bytes]:
    """Every generated file and its expected bytes.

    A release's `croissant.json` is not among them: it is written into the release when it is cut
    and is as immutable as the rest of the release.
    """
    dataset_dir = root / config.build.dataset_dir
    version = newest_version(dataset_dir)
    if version is None:
        return {}
    docs: dict[Path, bytes] = {
        dataset_dir / "README.md": render_card(dataset_dir, config.project).encode()
    }
    folder = dataset_dir / "data" / version
    manifest = read_manifest(folder)
    rows = _rows(folder, manifest)
    images = figures(rows)
    for name, data in images.items():
        docs[root / FIGURES / name] = data
    plots = "\n\n".join(f"![{name[:-4].replace('_', ' ')}]({FIGURES / name})" for name in images)
    blocks = {
        "composition": block_composition(version, manifest, rows),
        "columns": block_columns(folder, manifest),
        "plots": plots,
        "line_account": block_line_account(manifest),
        "preprocessing": block_preprocessing(manifest),
        "dedup": block_dedup(manifest),
        "splits": block_splits(manifest, rows),
        "annotation": block_annotation(manifest, rows, _agreement_table(root, config)),
        "contact": block_contact(config),
    }
    card = root / DATACARD
    if card.is_file():
        docs[card] = render_datacard(card.read_text(encoding="utf-8"), blocks).encode()
    return docs


def _kind(column: Column) -> str:
    """A column's type in a few characters: `string?`, `list<string>`, `struct{a, b}`."""
    if column.kind == "list":
        assert column.item is not None
        shown = f"list<{_kind(column.item)}>"
    elif column.kind == "struct":
        shown = "struct{" + ", ".join(member.name for member in column.fields) + "}"
    elif column.kind == "timestamp":
        shown = "timestamp (UTC, s)"
    else:
        shown = column.kind
    return f"{shown}?" if column.nullable else shown


def block_columns(folder: Path, manifest: Manifest) -> str:
    """The post row's columns as the newest release has them, described by schema/post.schema.json."""
    first = manifest.shards(Table.TRAIN)[0]  # every shard of a table has the same schema
    released = set(pq.read_schema(folder / first.path).names)
    rows = [
        [f"`{column.name}`", f"`{_kind(column)}`", column.description.replace("|", "\\|")]
        for column in columns()
        if column.name in released
    ]
    return (
        f"Columns of the post tables in {manifest.version} (schema {manifest.schema_version}; "
        "`?` marks a nullable column). The authoritative definitions are "
        "`schema/post.schema.json` and the closed lists in `schema/vocabularies.json`.\n\n"
        + _table(["column", "type", "meaning"], rows)
    )


def block_contact(config: Config) -> str:
    """Where corrections and takedown requests go, from `[project]` in statemedia.toml."""
    project = config.project
    if project.contact:
        route = (
            "Send reports of errors, artefacts, rights concerns and takedown requests to "
            f"<{project.contact}>"
            + (f" (the project's repository is <{project.homepage}>)." if project.homepage else ".")
        )
    else:
        route = (
            "The maintainers have not yet published a public contact address or repository "
            "(`[project] contact` and `homepage` in statemedia.toml are empty). Until they do, "
            "send reports of errors, artefacts, rights concerns and takedown requests to whoever "
            "gave you this copy."
        )
    return (
        f"{route} Give the `post_id`, or the seed file and line span. Confirmed takedowns remove "
        "rows in a new release (a MAJOR version, see below). Earlier releases stay immutable but "
        "can be marked as superseded."
    )


def _agreement_table(root: Path, config: Config) -> str | None:
    """The Markdown table `annotate agreement` wrote next to the published labels, if any; one
    written before it reported observed agreement and the too-few-items marker is not shown."""
    from statemedia.labeling.agreement import TABLE_HEADER
    from statemedia.labeling.files import AGREEMENT_TABLE_FILE

    path = root / config.build.labels_dir / AGREEMENT_TABLE_FILE
    if not path.is_file():
        return None
    table = path.read_text(encoding="utf-8").strip()
    if TABLE_HEADER not in table.splitlines():
        return (
            f"The published {AGREEMENT_TABLE_FILE} comes from an older version that did not "
            "report observed agreement or mark fields with too few items; run `statemedia "
            "annotate agreement` on the pull folder and `statemedia annotate publish` again."
        )
    return table


def stale_generated(root: Path) -> list[str]:
    """Repo-relative names of generated files whose content is out of date."""
    config = load_config(root / CONFIG_FILE)
    return [
        str(path.relative_to(root))
        for path, data in expected_documents(root, config).items()
        if not path.is_file() or path.read_bytes() != data
    ]


def write_generated(root: Path) -> list[str]:
    """Write every generated file that changed; return their names."""
    config = load_config(root / CONFIG_FILE)
    written = []
    for path, data in expected_documents(root, config).items():
        if not path.is_file() or path.read_bytes() != data:
            write_atomic(path, data)
            written.append(str(path.relative_to(root)))
    return written
