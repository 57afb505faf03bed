"""Translation groups through the real build and release: the Ministry's four channels in four
languages (the hand-labelled gold set of tests/fixtures/translations, written out as Telegram
Desktop exports, one per channel), built, released and loaded with `datasets.load_dataset`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import datasets
import pyarrow.parquet as pq
import pytest
from seed_helpers import finish_repo, seeds_entry

from statemedia.build import build_tables
from statemedia.cli import main
from statemedia.config import load_config
from statemedia.release.layout import table_file
from statemedia.vocab import Table

REPO = Path(__file__).resolve().parents[1]
GOLD = REPO / "tests" / "fixtures" / "translations"
POST_TABLES = (Table.TRAIN, Table.VALIDATION, Table.TEST)
CHANNELS = {"MID_Russia": "ru", "MFARussia": "en", "MAERusia": "es", "MAErusse": "fr"}
CHANNEL_IDS = {
    "MID_Russia": 1105051530,
    "MFARussia": 1105051531,
    "MAERusia": 1105051532,
    "MAErusse": 1105051533,
}


def message_time(post: dict[str, Any]) -> datetime:
    """When the message was posted; the three gold posts known only by date (as a web copy would
    be) get noon in Moscow, since every message of an export has a time."""
    if post["published_at"] is None:
        return datetime.fromisoformat(f"{post['published_date']}T09:00:00+00:00")
    return datetime.fromisoformat(post["published_at"].replace("Z", "+00:00")).astimezone(UTC)


def desktop_message(post: dict[str, Any], channel_title: str, channel_id: int) -> dict[str, Any]:
    """One gold post as Telegram Desktop writes a channel message (export_output_json.cpp)."""
    at = message_time(post)
    text: list[Any] = [post["text"]]
    for link in post["links"]:
        text += ["\n\n", {"type": "link", "text": link}]
    entities = [{"type": "plain", "text": post["text"]}]
    for link in post["links"]:
        entities += [{"type": "plain", "text": "\n\n"}, {"type": "link", "text": link}]
    message: dict[str, Any] = {
        "id": int(post["post_id"].split("/")[1]),
        "type": "message",
        # Desktop writes the exporting machine's local time; the exporter here ran on UTC.
        "date": at.strftime("%Y-%m-%dT%H:%M:%S"),
        "date_unixtime": str(int(at.timestamp())),
        "from": channel_title,
        "from_id": f"channel{channel_id}",
    }
    if "photo" in post["media"]:
        message |= {
            "photo": "(File not included. Change data exporting settings to download.)",
            "photo_file_size": 120000,
            "width": 1280,
            "height": 853,
        }
    if "video" in post["media"]:
        message |= {
            "file": "(File not included. Change data exporting settings to download.)",
            "file_size": 4200000,
            "media_type": "video_file",
            "mime_type": "video/mp4",
            "duration_seconds": 95,
            "width": 1280,
            "height": 720,
        }
    message |= {"text": text if post["links"] else post["text"], "text_entities": entities}
    return message


def ministry_repo(tmp_path: Path) -> Path:
    """A repository whose seeds are the gold set's four Ministry channels, one export each."""
    root = tmp_path / "repo"
    seeds = root / "seeds"
    seeds.mkdir(parents=True)
    posts = [json.loads(line) for line in (GOLD / "posts.jsonl").read_text().splitlines()]
    entries = []
    for channel, language in CHANNELS.items():
        mine = sorted((p for p in posts if p["channel"] == channel), key=message_time)
        export = {
            "name": f"{channel} (fixture)",
            "type": "public_channel",
            "id": CHANNEL_IDS[channel],
            "messages": [desktop_message(p, channel, CHANNEL_IDS[channel]) for p in mine],
        }
        folder = seeds / channel
        folder.mkdir()
        path = folder / "result.json"
        path.write_text(json.dumps(export, ensure_ascii=False, indent=1), encoding="utf-8")
        entries.append(
            seeds_entry(
                seeds,
                f"{channel}/result.json",
                "mfa_russia",
                "telegram",
                "telegram_export",
                language,
                "translation gold set",
                channel,
            )
        )
    return finish_repo(root, entries)


@pytest.fixture(scope="module")
def ministry(tmp_path_factory):
    root = ministry_repo(tmp_path_factory.mktemp("ministry"))
    return root, build_tables(root, load_config(root / "statemedia.toml"))


def gold_groups() -> set[frozenset[str]]:
    """The gold groups of Ministry posts, as sets of `<channel>/<id>`."""
    gold = json.loads((GOLD / "gold.json").read_text())
    return {
        frozenset(g["members"])
        for g in gold["groups"].values()
        if all(m.split("/")[0] in CHANNELS for m in g["members"])
    }


def test_every_gold_group_is_linked_and_no_hard_negative_merged(ministry) -> None:
    _, build = ministry
    rows = [(t, r) for t in POST_TABLES for r in build.tables[t].to_pylist()]
    name = {r["post_id"]: f"{r['channel']}/{r['native_id']}" for _, r in rows}
    found = {
        frozenset(name[m["post_id"]] for m in r["translation_group"]["members"])
        for _, r in rows
        if r["translation_group"] is not None
    }
    assert found == gold_groups()
    gold = json.loads((GOLD / "gold.json").read_text())
    grouped = {m for group in found for m in group}
    assert not grouped & set(gold["singletons"])
    # each group sits in one split
    split_of = {name[r["post_id"]]: t for t, r in rows}
    for group in found:
        assert len({split_of[m] for m in group}) == 1, sorted(group)
    # every row of a group carries the same group, with a score and evidence per member pair
    by_group: dict[str, list[dict]] = {}
    for _, r in rows:
        if r["translation_group"] is not None:
            by_group.setdefault(r["translation_group"]["group_id"], []).append(r)
    for members in by_group.values():
        assert len({json.dumps(r["translation_group"], sort_keys=True) for r in members}) == 1
        group = members[0]["translation_group"]
        assert group["method"] == "translation@1" and 0.55 <= group["score"] <= 1
        size = len(group["members"])
        assert len(group["pairs"]) == size * (size - 1) // 2
        assert sorted(m["language"] for m in group["members"]) == sorted(
            r["language"] for r in members
        )
    counts = build.manifest.stage_counts.translations
    assert counts is not None and counts.groups == len(found)
    assert build.manifest.stage_counts.split_conflicts == 0
    assert build.manifest.versions.translations == "translation@1"


def test_languages_are_identified_for_every_channel(ministry) -> None:
    _, build = ministry
    rows = [r for t in POST_TABLES for r in build.tables[t].to_pylist()]
    for row in rows:
        assert row["declared_language"] == CHANNELS[row["channel"]]
        assert row["language"] in (row["declared_language"], "und")
    assert {r["language"] for r in rows} >= set(CHANNELS.values())
    assert build.manifest.languages() == sorted(CHANNELS.values())


def test_the_ministry_channels_release_and_load(ministry, tmp_path) -> None:
    root, _ = ministry
    assert main(["--root", str(root), "release", "--version", "1.0.0", "--date", "2026-12-02"]) == 0
    folder = root / "dataset" / "data" / "v1.0.0"
    released = pq.read_table(folder / table_file("train"))
    assert released.schema.field("translation_group").nullable
    ds = datasets.load_dataset(str(root / "dataset"), cache_dir=str(tmp_path / "cache"))
    features = ds["train"].features
    assert {"language", "language_confidence", "declared_language", "translation_group"} <= set(
        features
    )
    grouped = [r for r in ds["train"] if r["translation_group"] is not None]
    assert grouped and all(r["translation_group"]["group_id"].startswith("tr-") for r in grouped)
    assert all(0 <= r["language_confidence"] <= 1 for r in grouped)
    hf_card = (root / "dataset" / "README.md").read_text()
    assert "- es\n" in hf_card and "- fr\n" in hf_card and "- ru\n" in hf_card
    assert "multilinguality: multilingual" in hf_card
