"""Rule versions that cannot drift: the behaviour of every versioned rule is pinned by a fingerprint.

Every rule whose output can change a release carries a version (`tass_page@2`, `clean@3`,
`dedup@2`, `split@1`), and a release's manifest says which versions built it. Here each rule runs on
a fixed corpus, and the sha256 of a canonical JSON serialisation of its output is compared with the
pin stored under its version string in `golden/rule_fingerprints.json`. Changing a rule's behaviour
without a new version fails, and the message names the constant to bump.

The corpus: the real seeds (`seeds/manifest.toml`) plus the files written by hand in the real
formats that `fixtures/rules/corpus.toml` lists. What each fingerprint covers:

- a parser (`registry()` in src/statemedia/parse/__init__.py): its `ParsedFile` for every corpus
  file of its format, and which `bad_inputs/` cases of its format it refuses;
- `clean` (`CLEAN_VERSION`): `clean_draft` on drafts cut from every corpus file without any parser
  (windows of six lines, once as a text draft and once as a structured draft with its `text`);
- `dedup` (`DEDUP_VERSION`): `normalise_for_key` and `deduplicate`, with the `[dedup]` values of
  statemedia.toml, over `fixtures/rules/dedup_corpus.jsonl` (near-duplicates, emoji variation
  selectors, keycaps, combining marks, boilerplate) and windows of the raw seeds;
- `split` (`SPLIT_VERSION`): `assign_splits` and `assign_group_splits`, with the `[split]` values,
  over fixed cluster ids, with and without translation groups and released splits;
- `language` (`LANGUAGE_VERSION`): `identify`, with the `[language]` values, on every corpus
  window's text and on each of its lines.
- `translation` (`TRANSLATION_VERSION`): `link_translations`, with the `[translations]` values,
  over the hand-written gold and held-out sets of `fixtures/translations/` (groups, pair evidence
  and counts).
No rule's corpus is another rule's output, so a failure names the rule that changed.

Re-pinning. A version with no pin yet (after a bump, or a new parser) is pinned by

    STATEMEDIA_REPIN=1 .venv/bin/python -m pytest tests/test_rule_versions.py

which adds pins for unpinned versions only and never overwrites one: a pinned version's behaviour is
what the releases built with it did. Pins of older versions stay, as history. If the corpus itself
changes (a fixture added or edited) or a `[dedup]`, `[split]`, `[language]` or `[translations]` value in statemedia.toml does, the
fingerprints change while no rule did: delete the affected entries from the JSON by hand, in the
same commit, and re-pin; the diff shows it. To see what changed, `STATEMEDIA_FINGERPRINT_DUMP=<dir>`
writes each rule's canonical output to `<dir>/<version>.json`: run it before and after, and diff.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import MISSING, dataclass, fields, is_dataclass, replace
from datetime import date
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from statemedia import clean, dedup, language, split, translations
from statemedia.config import CONFIG_FILE, load_config
from statemedia.errors import BadInputError, ConfigError
from statemedia.fileio import read_toml, write_atomic
from statemedia.inputs import decode, load_inputs, read_manifest
from statemedia.parse import FileContext, is_blank, registry, split_lines, tass
from statemedia.records import Draft, Provenance
from statemedia.vocab import LineCategory, RecordKind
from statemedia_bench.translations import read_posts as read_translation_posts

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
BAD_INPUTS = Path(__file__).parent / "bad_inputs"
PINS = Path(__file__).parent / "golden" / "rule_fingerprints.json"
REPIN_COMMAND = "STATEMEDIA_REPIN=1 .venv/bin/python -m pytest tests/test_rule_versions.py"
WINDOW = 6  # lines per parser-independent draft


# --- the fingerprint -----------------------------------------------------------------------------


def canonical(value: Any) -> Any:
    """A JSON-ready form of a rule's output: dataclasses as their fields (a field still at its
    default is left out, so adding a defaulted field changes no fingerprint), enums as values."""
    if isinstance(value, Enum):
        return value.value
    if is_dataclass(value) and not isinstance(value, type):
        out = {}
        for f in fields(value):
            item = getattr(value, f.name)
            if f.default is not MISSING and item == f.default:
                continue
            if f.default_factory is not MISSING and item == f.default_factory():
                continue
            out[f.name] = canonical(item)
        return out
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): canonical(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(item) for item in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def canonical_json(output: Any) -> str:
    return json.dumps(
        canonical(output),
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        allow_nan=False,
    )


def fingerprint(output: Any) -> str:
    """sha256 of the canonical JSON of a rule's output."""
    return hashlib.sha256(canonical_json(output).encode("utf-8")).hexdigest()


# --- the fixed corpus ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CorpusFile:
    """One input of the fixed corpus: decoded text and how a manifest would declare it."""

    label: str  # repository-relative path
    format: str | None  # None: not a parser input (cleaning cases)
    source: str
    platform: str
    options: Mapping[str, Any]
    text: str


@cache
def corpus() -> tuple[CorpusFile, ...]:
    """The seeds as the manifest declares them, then the hand-written fixtures."""
    files = [
        CorpusFile(raw.repo_path, d.format, d.source, d.platform, d.options, raw.read_text())
        for raw in load_inputs(REPO / "seeds", REPO, set(registry()))
        for d in [raw.decl]
    ]
    for entry in read_toml(FIXTURES / "rules" / "corpus.toml")["files"]:
        path = FIXTURES / entry["path"]
        files.append(
            CorpusFile(
                str(path.relative_to(REPO)),
                entry.get("format"),
                entry.get("source", "fixture"),
                entry["platform"],
                entry.get("options", {}),
                path.read_text(encoding="utf-8"),
            )
        )
    return tuple(files)


def bad_input_cases(fmt: str) -> Iterator[tuple[str, FileContext, str]]:
    """The bad_inputs/ files declared with `fmt` that reach the parser (manifest fine, decodable)."""
    for case in sorted(p for p in BAD_INPUTS.iterdir() if p.is_dir()):
        try:
            decls = read_manifest(case, set(registry()))
        except ConfigError:
            continue
        for decl in decls:
            path = case / decl.path
            if decl.format != fmt or not path.is_file():
                continue
            label = f"seeds/{decl.path}"
            try:
                text = decode(label, path.read_bytes())
            except BadInputError:
                continue
            ctx = FileContext(label, decl.source, decl.platform, decl.language, decl.options)
            yield case.name, ctx, text


def windows(file: CorpusFile) -> Iterator[tuple[int, list]]:
    lines = split_lines(file.text)
    for start in range(0, len(lines), WINDOW):
        yield start, lines[start : start + WINDOW]


# --- each rule's output on the corpus ------------------------------------------------------------


def parser_output(fmt: str) -> dict[str, Any]:
    """What the parser of `fmt` makes of every corpus file of its format, and what it refuses."""
    _, parse = registry()[fmt]
    parsed = {
        file.label: parse(
            split_lines(file.text),
            FileContext(file.label, file.source, file.platform, "en", file.options),
        )
        for file in corpus()
        if file.format == fmt
    }
    refused = {}
    for case, ctx, text in bad_input_cases(fmt):
        try:
            parse(split_lines(text), ctx)
        except BadInputError:
            refused[case] = True
        else:
            refused[case] = False
    return {"parsed": parsed, "bad_inputs_refused": refused}


def clean_output() -> list[Any]:
    """`clean_draft` on parser-independent drafts: every corpus file cut into windows of lines."""
    out = []
    for file in corpus():
        for _, window in windows(file):
            roles = tuple(
                LineCategory.BLANK if is_blank(line) else LineCategory.POST_BODY for line in window
            )
            first = window[0]
            titled = roles[0] != LineCategory.BLANK
            text_draft = Draft(
                kind=RecordKind.ARTICLE,
                lines=tuple(window),
                roles=(LineCategory.POST_TITLE, *roles[1:]) if titled else roles,
                title=first.text if titled else None,
            )
            structured = Draft(
                kind=RecordKind.TELEGRAM_POST,
                lines=tuple(window),
                roles=roles,
                forwarded_from=window[-1].text or None,
                text="\n".join(line.text for line in window),
            )
            for variant, draft in (("lines", text_draft), ("text", structured)):
                last = window[-1]
                provenance = Provenance(
                    file.label,
                    "0" * 64,
                    first.number,
                    last.number,
                    first.char_start,
                    last.char_start + len(last.text),
                    first.char_start,  # byte offsets do not matter to cleaning
                    last.char_start + len(last.text),
                    "fixture",
                )
                out.append(
                    clean.clean_draft(
                        draft,
                        post_id=f"{file.label}:{first.number}:{variant}",
                        provenance=provenance,
                        source=file.source,
                        platform=file.platform,
                        declared_language="en",
                    )
                )
    return out


def language_output() -> list[Any]:
    """`language.identify`, with the `[language]` values of statemedia.toml, on every corpus
    window's text (and on each whole line of it, short ones included)."""
    config = load_config(REPO / CONFIG_FILE).language
    out = []
    for file in corpus():
        for _, window in windows(file):
            texts = ["\n".join(line.text for line in window), *(line.text for line in window)]
            out.append([language.identify(language.detector_text(None, t), config) for t in texts])
    return out


def translation_output() -> list[Any]:
    """`link_translations`, with the `[translations]` values, over both translation gold sets."""
    config = load_config(REPO / CONFIG_FILE).translations
    folder = REPO / "tests" / "fixtures" / "translations"
    out = []
    for path in (folder / "posts.jsonl", folder / "heldout" / "posts.jsonl"):
        result = translations.link_translations(read_translation_posts(path), config)
        out.append([result.groups, result.counts])
    return out


def dedup_config() -> Any:
    return load_config(REPO / CONFIG_FILE).dedup


def dedup_output() -> dict[str, Any]:
    """Word normal forms and clusters of the dedup corpus and of the raw seed windows."""
    items = []
    with (FIXTURES / "rules" / "dedup_corpus.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            items.append((record["post_id"], record["source"], record["text"]))
    for file in corpus():
        if file.label.startswith("seeds/"):
            for start, window in windows(file):
                text = "\n".join(line.text for line in window)
                items.append((f"{file.label}:{start + 1}", file.source, text))
    batch = [
        dedup.DedupItem(post_id, source, text, (k, post_id))
        for k, (post_id, source, text) in enumerate(items)
    ]
    result = dedup.deduplicate(batch, dedup_config())
    return {
        "normal_forms": {post_id: dedup.normalise_for_key(text) for post_id, _, text in items},
        # As pinned when `cluster_of` was a field of the result (now derived from kept + matches).
        "result": {
            "kept": result.kept,
            "matches": result.matches,
            "cluster_of": result.cluster_of(),
        },
    }


def split_output() -> dict[str, Any]:
    """Split assignments of fixed clusters, fresh and with some members already released."""
    config = load_config(REPO / CONFIG_FILE).split
    clusters = {
        f"cluster-{k:03d}": [f"cluster-{k:03d}", *([f"cluster-{k:03d}-copy"] if k % 5 == 0 else [])]
        for k in range(400)
    }
    previous = {
        "cluster-000": "test",
        "cluster-005": "train",
        "cluster-005-copy": "validation",  # released members disagree: validation over train
        "cluster-010": "validation",
        "cluster-010-copy": "test",  # test over validation
        "cluster-011": "train",
        "not-in-any-cluster": "test",
    }
    # Translation groups (split@2): each group joins three consecutive clusters.
    groups = {
        f"tr-{k:03d}": [f"cluster-{k:03d}", f"cluster-{k + 1:03d}", f"cluster-{k + 2:03d}"]
        for k in range(0, 399, 3)
    }
    return {
        "fresh": split.assign_splits(clusters, config),
        "released": split.assign_splits(clusters, config, previous),
        "grouped": split.assign_group_splits(clusters, groups, config),
        "grouped_released": split.assign_group_splits(clusters, groups, config, previous),
    }


# --- the rules and their pins --------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """A versioned rule: where its version is set, how to read it, and its output on the corpus."""

    bump: Callable[[str], str]  # current version -> what to change, for the failure message
    version: Callable[[], str]
    output: Callable[[], Any]


def next_version(version: str) -> str:
    name, number = version.rsplit("@", 1)
    return f"{name}@{int(number) + 1}"


def _parser_rule(fmt: str) -> Rule:
    return Rule(
        bump=lambda v: (
            f'bump "{v}" to "{next_version(v)}" in registry() in src/statemedia/parse/__init__.py'
        ),
        version=lambda: registry()[fmt][0],
        output=lambda: parser_output(fmt),
    )


RULES: dict[str, Rule] = {
    **{fmt: _parser_rule(fmt) for fmt in registry()},
    "clean": Rule(
        bump=lambda v: f'bump CLEAN_VERSION in src/statemedia/clean.py to "{next_version(v)}"',
        version=lambda: clean.CLEAN_VERSION,
        output=clean_output,
    ),
    "dedup": Rule(
        bump=lambda v: f'bump DEDUP_VERSION in src/statemedia/dedup.py to "{next_version(v)}"',
        version=lambda: dedup.DEDUP_VERSION,
        output=dedup_output,
    ),
    "split": Rule(
        bump=lambda v: f'bump SPLIT_VERSION in src/statemedia/split.py to "{next_version(v)}"',
        version=lambda: split.SPLIT_VERSION,
        output=split_output,
    ),
    "language": Rule(
        bump=lambda v: (
            f'bump LANGUAGE_VERSION in src/statemedia/language.py to "{next_version(v)}"'
        ),
        version=lambda: language.LANGUAGE_VERSION,
        output=language_output,
    ),
    "translation": Rule(
        bump=lambda v: (
            f'bump TRANSLATION_VERSION in src/statemedia/translations.py to "{next_version(v)}"'
        ),
        version=lambda: translations.TRANSLATION_VERSION,
        output=translation_output,
    ),
}


def load_pins() -> dict[str, str]:
    return json.loads(PINS.read_text(encoding="utf-8")) if PINS.exists() else {}


@dataclass(frozen=True)
class Check:
    """A rule's version, its fingerprint now, and what is wrong with it (None: matches its pin)."""

    version: str
    fingerprint: str
    problem: str | None


def check(name: str, pins: Mapping[str, str]) -> Check:
    """Compare a rule's fingerprint on the corpus with the pin of its current version."""
    rule = RULES[name]
    version, output = rule.version(), rule.output()
    if dump := os.environ.get("STATEMEDIA_FINGERPRINT_DUMP"):
        write_atomic(Path(dump) / f"{version}.json", canonical_json(output) + "\n")
    current = fingerprint(output)
    if version not in pins:
        problem = f"{version} has no pinned fingerprint yet: pin it with `{REPIN_COMMAND}`"
    elif pins[version] != current:
        problem = (
            f"{version} behaviour changed on the fixed corpus: {rule.bump(version)} "
            f"(and pin the new version with `{REPIN_COMMAND}`). If only the corpus or a "
            "statemedia.toml value changed, see this test's docstring."
        )
    else:
        problem = None
    return Check(version, current, problem)


# --- the tests -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(RULES))
def test_rule_behaviour_matches_the_pin_of_its_version(name: str) -> None:
    pins = load_pins()
    result = check(name, pins)
    if result.version not in pins and os.environ.get("STATEMEDIA_REPIN"):
        pins = load_pins()  # re-read: another parametrised case may have written one
        pins[result.version] = result.fingerprint
        write_atomic(PINS, json.dumps(dict(sorted(pins.items())), indent=2) + "\n")
        return
    assert result.problem is None, result.problem


def test_pins_are_keyed_by_version_strings() -> None:
    assert all(re.fullmatch(r"[a-z_]+@[1-9]\d*", key) for key in load_pins())


def test_every_parser_has_corpus_files() -> None:
    formats = {file.format for file in corpus()}
    assert set(registry()) <= formats


def test_changing_a_cleaning_regex_without_a_bump_names_clean_version(monkeypatch) -> None:
    # "Read more" is no longer a link anchor: one alternative dropped from the rule's regex.
    pattern = clean.LINK_ANCHOR.pattern.replace(r"|^Read more$", "")
    assert pattern != clean.LINK_ANCHOR.pattern
    monkeypatch.setattr(clean, "LINK_ANCHOR", re.compile(pattern))
    current, bumped = clean.CLEAN_VERSION, next_version(clean.CLEAN_VERSION)
    problem = check("clean", load_pins()).problem
    assert problem is not None
    assert problem.startswith(f"{current} behaviour changed")
    assert f'bump CLEAN_VERSION in src/statemedia/clean.py to "{bumped}"' in problem
    # Once bumped, the new version only lacks its pin.
    monkeypatch.setattr(clean, "CLEAN_VERSION", bumped)
    problem = check("clean", load_pins()).problem
    assert problem is not None and problem.startswith(f"{bumped} has no pinned fingerprint yet")


def test_changing_a_parser_without_a_bump_names_its_registry_version(monkeypatch) -> None:
    monkeypatch.setattr(tass, "MAX_HEADLINE_CHARS", 10)
    current = registry()["tass_dump"][0]
    problem = check("tass_dump", load_pins()).problem
    assert problem is not None
    assert f'bump "{current}" to "{next_version(current)}" in registry()' in problem


def test_changing_split_priority_without_a_bump_names_split_version(monkeypatch) -> None:
    monkeypatch.setattr(split, "_PRIORITY", {"train": 0, "validation": 1, "test": 2})
    problem = check("split", load_pins()).problem
    assert problem is not None and "bump SPLIT_VERSION" in problem


def test_dedup_at_1_is_the_word_definition_of_release_v1_0_0(monkeypatch) -> None:
    """Until commit 512c1fc, variation selectors and the keycap mark were word characters
    ("✍️ Article" had the word "\\ufe0f"). Restoring that definition reproduces the `dedup@1`
    pin, which differs from today's: the change needed `dedup@2`."""
    tables = dedup._char_tables()
    word = tables.word | tables.mark
    word[0xFE00:0xFE10] = True
    word[0x20E3] = True
    old = replace(tables, word=word, mark=np.zeros_like(tables.mark))
    monkeypatch.setattr(dedup, "_char_tables", lambda: old)
    pins = load_pins()
    assert fingerprint(dedup_output()) == pins["dedup@1"]
    assert pins["dedup@1"] != pins[dedup.DEDUP_VERSION]
    problem = check("dedup", pins).problem
    assert problem is not None and "bump DEDUP_VERSION" in problem
