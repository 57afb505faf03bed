"""`dataset/README.md`: the Hugging Face dataset card, generated from the release manifests.

Its YAML declares one config per release (newest `default: true`) plus a `-link_teasers` config
each, with `data_files` and `dataset_info` (features from the row schema; counts from manifests).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from statemedia.release.layout import read_manifest, release_versions
from statemedia.release.schema import card_features
from statemedia.split import SPLITS
from statemedia.vocab import annotation_schema

CARD_BODY = """\
# statemedia

An annotated, versioned research corpus of Russian official foreign-policy messaging in English:
the Russian Foreign Ministry's Telegram channel, TASS and Sputnik. Every row carries provenance down
to the exact lines and sha256 of the raw file it came from.

**Read [`DATACARD.md`](../DATACARD.md) before use**: it documents the sources and their context as
state media, what was selected and removed, dates that are inferred rather than stated, biases and
limitations, intended and out-of-scope uses, and how to cite.

```python
from datasets import load_dataset

ds = load_dataset("path/to/statemedia/dataset")            # newest release
ds = load_dataset("path/to/statemedia/dataset", "{oldest}")  # a pinned release
teasers = load_dataset("path/to/statemedia/dataset", "{newest}-link_teasers")
```

Once human labels exist, a release also has a `<version>-annotations` config with the raw
per-annotator rows under pseudonyms, and gold labels in the posts' `label_*` columns.

Releases ({versions}) are immutable; each folder `data/<version>/` has a `manifest.json` with the
sha256 and row count of every file, the input files' hashes, code and rule versions and stage counts
(`statemedia verify` checks them). Changes between releases are listed in `CHANGELOG.md`.
"""


def _yaml_feature(feature: dict[str, Any]) -> dict[str, Any]:
    if "dtype" in feature:
        return {"dtype": feature["dtype"]}
    if "list" in feature:
        inner = feature["list"]
        if "dtype" in inner:
            return {"list": inner["dtype"]}
        return {"list": _yaml_fields(inner["struct"])}
    return {"struct": _yaml_fields(feature["struct"])}


def _yaml_fields(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"name": f["name"], **_yaml_feature(f)} for f in fields]


def card_metadata(dataset_dir: Path) -> dict[str, Any]:
    """The card's YAML metadata for every release under `dataset_dir`."""
    versions = release_versions(dataset_dir)
    post_features = _yaml_fields(card_features())
    annotation_features = _yaml_fields(card_features(annotation_schema()))
    configs, infos = [], []
    total_rows, has_labels = 0, False
    for version in reversed(versions):
        manifest = read_manifest(dataset_dir / "data" / version)
        entries = {entry["table"]: entry for entry in manifest["files"]}
        groups = (
            (version, SPLITS, post_features),
            (f"{version}-link_teasers", ("link_teasers",), post_features),
            (f"{version}-annotations", ("annotations",), annotation_features),
        )
        for config_name, all_tables, features in groups:
            # `datasets` refuses a declared split with no rows, so an empty table is left out.
            tables = [t for t in all_tables if t in entries and entries[t]["rows"]]
            if not tables:
                continue
            config: dict[str, Any] = {"config_name": config_name}
            if config_name == versions[-1]:
                config["default"] = True
            config["data_files"] = [
                {
                    "split": table if table in SPLITS else "train",
                    "path": f"data/{version}/{entries[table]['path']}",
                }
                for table in tables
            ]
            configs.append(config)
            splits = [
                {
                    "name": table if table in SPLITS else "train",
                    "num_bytes": entries[table]["arrow_bytes"],
                    "num_examples": entries[table]["rows"],
                }
                for table in tables
            ]
            infos.append(
                {
                    "config_name": config_name,
                    "features": features,
                    "splits": splits,
                    "download_size": sum(entries[t]["bytes"] for t in tables),
                    "dataset_size": sum(entries[t]["arrow_bytes"] for t in tables),
                }
            )
        if version == versions[-1]:
            total_rows = sum(entries[t]["rows"] for t in SPLITS)
            has_labels = entries.get("annotations", {}).get("rows", 0) > 0
    return {
        "pretty_name": "statemedia: Russian official foreign-policy messaging (MFA Telegram, TASS, Sputnik)",
        "language": ["en"],
        "license": "other",
        "license_name": "third-party-news-text",
        "license_details": "Texts remain the copyright of their publishers and are shared for "
        "non-commercial research; code is MIT. See DATACARD.md, 'Legal and ethical notes'.",
        "multilinguality": "monolingual",
        "language_creators": ["found"],
        "annotations_creators": ["expert-generated"] if has_labels else ["no-annotation"],
        "source_datasets": ["original"],
        "task_categories": ["text-classification"],
        "task_ids": ["topic-classification", "multi-class-classification"],
        "size_categories": [_size_category(total_rows)],
        "tags": ["propaganda", "political-communication", "state-media", "telegram", "news"],
        "configs": configs,
        "dataset_info": infos,
    }


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


def render_card(dataset_dir: Path) -> str:
    """The full text of `dataset/README.md`."""
    versions = release_versions(dataset_dir)
    meta = yaml.safe_dump(
        card_metadata(dataset_dir), sort_keys=False, allow_unicode=True, width=100
    )
    body = CARD_BODY.format(oldest=versions[0], newest=versions[-1], versions=", ".join(versions))
    return f"---\n{meta}---\n\n{body}"
