"""`dataset/README.md`: the Hugging Face dataset card, generated from the release manifests.

Its YAML declares one config per release (newest `default: true`) plus a `-link_teasers` config
each, with `data_files` (a split's file, or the list of its shards) and `dataset_info` (features
from the row schema; counts from manifests, summed over shards).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from statemedia.config import ProjectInfo
from statemedia.release.layout import MANIFEST, read_manifest, release_versions
from statemedia.release.manifest import Manifest
from statemedia.release.schema import card_features
from statemedia.vocab import SPLITS, Table, annotation_schema

# Everything this card links to is inside dataset/ or an absolute URL from `[project]` in
# statemedia.toml, so that dataset/ can be pushed to the Hub as a dataset repository as it is.
CARD_BODY = """\
# statemedia

{summary}

**Read the data card before use.** `DATACARD.md` documents the sources and their context as state
media, what was selected and removed, dates that are inferred rather than stated, biases and
limitations, intended and out-of-scope uses, and how to cite. It and `CHANGELOG.md` (changes
between releases) are in the project's source repository: {repository}

```python
from datasets import load_dataset

ds = load_dataset("path/to/statemedia/dataset")            # newest release
ds = load_dataset("path/to/statemedia/dataset", "{oldest}")  # a pinned release
teasers = load_dataset("path/to/statemedia/dataset", "{newest}-link_teasers")
```

{labels}

Releases are immutable: each folder `data/<version>/` has a `manifest.json` with the sha256 and
row count of every table, the input files' hashes, code and rule versions and stage counts, and a
`croissant.json` (MLCommons Croissant 1.0 with the Responsible AI fields).
Every file of every release has its sha256 in a checksum file beside the release folder,
`data/SHA256SUMS.<version>` (for v1.0.0: [`data/SHA256SUMS`](data/SHA256SUMS)); check them all
with `sha256sum -c SHA256SUMS*` in `data/`, or `statemedia verify`. Releases in this folder:

{releases}

Corrections and takedown requests: {contact}
"""

SUMMARY = {
    False: (
        "An annotation-ready, versioned research corpus of Russian official foreign-policy "
        "messaging in English: the Russian Foreign Ministry's Telegram channel, TASS and Sputnik. "
        "This release has no human labels yet. Every row carries provenance down to the exact "
        "lines and sha256 of the raw file it came from."
    ),
    True: (
        "A versioned research corpus of Russian official foreign-policy messaging in English "
        "(the Russian Foreign Ministry's Telegram channel, TASS and Sputnik) with human topic and "
        "stance labels. Every row carries provenance down to the exact lines and sha256 of the "
        "raw file it came from."
    ),
}

LABELS = {
    False: (
        "No release has human labels yet: the `label_*` columns exist and every post is "
        "`unlabeled`. Once labels are published, a release also has a `<version>-annotations` "
        "config with the raw per-annotator rows under pseudonyms."
    ),
    True: (
        "Gold labels are in the posts' `label_*` columns (`label_status` says which posts are "
        "resolved), and the `<version>-annotations` config holds the raw per-annotator rows "
        "under pseudonyms."
    ),
}


def project_route(project: ProjectInfo, field: str) -> str:
    """The repository or contact address as Markdown, or a plain statement that none exists yet."""
    value = getattr(project, field)
    if value:
        return f"<{value}>"
    return (
        "the maintainers have not published a public address yet (set `[project] "
        f"{field}` in statemedia.toml)."
    )


def card_metadata(dataset_dir: Path) -> dict[str, Any]:
    """The card's YAML metadata for every release under `dataset_dir`.

    Task categories and `annotations_creators` follow the newest release: text classification is
    declared only once it has human labels.
    """
    versions = release_versions(dataset_dir)
    post_features = card_features()
    annotation_features = card_features(annotation_schema())
    configs: list[dict[str, Any]] = []
    infos: list[dict[str, Any]] = []
    newest = read_manifest(dataset_dir / "data" / versions[-1])
    for version in reversed(versions):
        manifest = read_manifest(dataset_dir / "data" / version)
        groups: tuple[tuple[str, tuple[Table, ...], list[dict[str, Any]]], ...] = (
            (version, SPLITS, post_features),
            (f"{version}-{Table.LINK_TEASERS}", (Table.LINK_TEASERS,), post_features),
            (f"{version}-{Table.ANNOTATIONS}", (Table.ANNOTATIONS,), annotation_features),
        )
        for config_name, all_tables, features in groups:
            # `datasets` refuses a declared split with no rows, so an empty table is left out.
            tables = [t for t in all_tables if manifest.rows(t)]
            if not tables:
                continue
            config: dict[str, Any] = {"config_name": config_name}
            if config_name == versions[-1]:
                config["default"] = True
            config["data_files"] = [
                {"split": _split_name(table), "path": _data_files(version, manifest, table)}
                for table in tables
            ]
            configs.append(config)
            shards = {table: manifest.shards(table) for table in tables}
            splits = [
                {
                    "name": _split_name(table),
                    "num_bytes": sum(entry.arrow_bytes for entry in shards[table]),
                    "num_examples": manifest.rows(table),
                }
                for table in tables
            ]
            infos.append(
                {
                    "config_name": config_name,
                    "features": features,
                    "splits": splits,
                    "download_size": sum(e.bytes for t in tables for e in shards[t]),
                    "dataset_size": sum(e.arrow_bytes for t in tables for e in shards[t]),
                }
            )
    tasks: dict[str, Any] = (
        {
            "task_categories": ["text-classification"],
            "task_ids": ["topic-classification", "multi-class-classification"],
        }
        if newest.has_labels
        else {}
    )
    return {
        "pretty_name": "statemedia: Russian official foreign-policy messaging (MFA Telegram, TASS, Sputnik)",
        "language": newest.languages(),
        "license": "other",
        "license_name": "third-party-news-text",
        "license_details": "Texts remain the copyright of their publishers and are shared for "
        "non-commercial research; code is MIT. See DATACARD.md, section 10 'Distribution, legal "
        "and ethical notes'.",
        "multilinguality": "monolingual" if len(newest.languages()) <= 1 else "multilingual",
        "language_creators": ["found"],
        "annotations_creators": ["expert-generated"] if newest.has_labels else ["no-annotation"],
        "source_datasets": ["original"],
        **tasks,
        "size_categories": [_size_category(newest.post_rows)],
        "tags": ["propaganda", "political-communication", "state-media", "telegram", "news"],
        "configs": configs,
        "dataset_info": infos,
    }


def _split_name(table: Table) -> str:
    """The split a table is in its config: a post split is itself, any other table is `train`."""
    return str(table) if table in SPLITS else str(Table.TRAIN)


def _data_files(version: str, manifest: Manifest, table: Table) -> str | list[str]:
    """A split's `path` in the card: its one file, or the list of its shards in order.

    The exact files the manifest hashes, not a glob, so that a stray file in the folder is never
    loaded; one shard stays a plain string, as in the cards of v1.0.0 and v1.1.0.
    """
    paths = [f"data/{version}/{entry.path}" for entry in manifest.shards(table)]
    return paths[0] if len(paths) == 1 else paths


def _size_category(rows: int) -> str:
    for limit, name in (
        (1_000, "n<1K"),
        (10_000, "1K<n<10K"),
        (100_000, "10K<n<100K"),
        (1_000_000, "100K<n<1M"),
        (10_000_000, "1M<n<10M"),
    ):
        if rows < limit:
            return name
    return "10M<n<100M"


def render_card(dataset_dir: Path, project: ProjectInfo) -> str:
    """The full text of `dataset/README.md`."""
    versions = release_versions(dataset_dir)
    labelled = read_manifest(dataset_dir / "data" / versions[-1]).has_labels
    meta = yaml.safe_dump(
        card_metadata(dataset_dir), sort_keys=False, allow_unicode=True, width=100
    )
    releases = "\n".join(
        f"- `{v}`: [manifest](data/{v}/{MANIFEST}), [croissant](data/{v}/croissant.json)"
        for v in reversed(versions)
    )
    body = CARD_BODY.format(
        summary=SUMMARY[labelled],
        repository=project_route(project, "homepage"),
        oldest=versions[0],
        newest=versions[-1],
        labels=LABELS[labelled],
        releases=releases,
        contact=project_route(project, "contact"),
    )
    return f"---\n{meta}---\n\n{body}"
