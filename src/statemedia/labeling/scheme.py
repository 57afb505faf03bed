"""The label scheme: schema/labels.json as frozen records, and the Label Studio config made from it.

`load_scheme()` is the only reader of schema/labels.json; everything else (tasks, export
validation, agreement, gold, annotation/label_config.xml) takes a `Scheme`, so the names live in
one place only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from statemedia.errors import ConfigError
from statemedia.fileio import read_json
from statemedia.vocab import REPO_ROOT, SCHEMA_DIR

SCHEME_PATH = SCHEMA_DIR / "labels.json"
LABEL_CONFIG_PATH = REPO_ROOT / "annotation" / "label_config.xml"

# Control-tag names in the Label Studio config, and so in every exported result (`from_name`).
# Renaming one orphans all earlier annotations: treat them like scheme names.
TEXT_TAG = "text"
PRIMARY_TAG = "topic_primary"
SECONDARY_TAG = "topics_secondary"
TARGETS_TAG = "targets"
STANCE_TAG_PREFIX = "stance_"

MIN_TOPICS, MAX_TOPICS = 10, 15


@dataclass(frozen=True, slots=True)
class Topic:
    """One topic category with its Comparative Agendas Project crosswalk."""

    name: str
    label: str
    definition: str
    cap_major: tuple[int, ...]
    cap_note: str | None = None


@dataclass(frozen=True, slots=True)
class Term:
    """A named item with a display label and a definition (stance target or stance value)."""

    name: str
    label: str
    definition: str


@dataclass(frozen=True, slots=True)
class Scheme:
    """The whole label scheme, in its fixed order."""

    version: str
    topics: tuple[Topic, ...]
    targets: tuple[Term, ...]
    stances: tuple[Term, ...]

    @property
    def topic_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.topics)

    @property
    def target_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.targets)

    @property
    def stance_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.stances)

    @staticmethod
    def stance_tag(target: str) -> str:
        """The control-tag name holding the stance toward `target`, and its column in label rows."""
        return f"{STANCE_TAG_PREFIX}{target}"

    @staticmethod
    def stance_target(tag: str) -> str | None:
        """The target whose stance tag (or label-row column) `tag` is; None for any other name."""
        return tag.removeprefix(STANCE_TAG_PREFIX) if tag.startswith(STANCE_TAG_PREFIX) else None


def load_scheme(path: Path | None = None) -> Scheme:
    """Read and check schema/labels.json (or `path`); raise ConfigError if it is malformed."""
    path = path or SCHEME_PATH
    return parse_scheme(read_json(path, ConfigError), source=str(path))


def parse_scheme(raw: Any, source: str = "labels.json") -> Scheme:
    """Build a Scheme from the parsed JSON, checking names, counts and required fields."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: the label scheme must be a JSON object")
    try:
        version = str(raw["version"])
        topics = tuple(
            Topic(
                name=item["name"],
                label=item["label"],
                definition=item["definition"],
                cap_major=tuple(int(c) for c in item["cap_major"]),
                cap_note=item.get("cap_note"),
            )
            for item in raw["topics"]["items"]
        )
        targets = tuple(_term(item) for item in raw["stance_targets"]["items"])
        stances = tuple(_term(item) for item in raw["stance_values"]["items"])
    except (KeyError, TypeError, ValueError) as err:
        raise ConfigError(
            f"{source}: malformed label scheme ({type(err).__name__}: {err})"
        ) from err

    if not MIN_TOPICS <= len(topics) <= MAX_TOPICS:
        raise ConfigError(
            f"{source}: {len(topics)} topics; the scheme needs {MIN_TOPICS}-{MAX_TOPICS}"
        )
    for kind, names in (
        ("topic", [t.name for t in topics]),
        ("stance target", [t.name for t in targets]),
        ("stance value", [s.name for s in stances]),
    ):
        if len(set(names)) != len(names):
            raise ConfigError(f"{source}: duplicate {kind} name in {names}")
        for name in names:
            # Names become XML attribute values and Parquet column suffixes: keep them plain.
            if not name.replace("_", "").isalnum() or not name.islower():
                raise ConfigError(f"{source}: {kind} name {name!r} must be lower_snake_case")
    for topic in topics:
        if not topic.cap_major and not topic.cap_note:
            raise ConfigError(f"{source}: topic {topic.name!r} has no CAP code and no cap_note")
    if not targets or not stances:
        raise ConfigError(f"{source}: the scheme needs stance targets and stance values")
    return Scheme(version=version, topics=topics, targets=targets, stances=stances)


def _term(item: dict[str, Any]) -> Term:
    return Term(name=item["name"], label=item["label"], definition=item["definition"])


def _choice(term: Topic | Term) -> str:
    # value = stable name (what the export stores and whenChoiceValue matches);
    # html = what the annotator reads. Labels are checked to hold no markup characters.
    return (
        f"<Choice value={quoteattr(term.name)} html={quoteattr(term.label)} "
        f"hint={quoteattr(term.definition)}/>"
    )


def render_label_config(scheme: Scheme | None = None) -> str:
    """Return the Label Studio labeling config (XML) for the scheme; deterministic text."""
    scheme = scheme or load_scheme()
    terms: tuple[Topic | Term, ...] = (*scheme.topics, *scheme.targets, *scheme.stances)
    for term in terms:
        if any(ch in term.label for ch in "<>&"):
            raise ConfigError(f"label {term.label!r} contains markup characters (<, >, &)")
    lines = [
        # No "--" inside an XML comment: it is a syntax error, so the command is named in words.
        f"<!-- GENERATED from schema/labels.json (scheme {scheme.version}) by"
        " 'statemedia annotate config' with the write option. Do not edit by hand. -->",
        "<View>",
        '  <View style="padding: 0 8px">',
        '    <Header value="$title" size="4"/>',
        '    <Header value="$subtitle" size="5"/>',
        '    <Header value="$source_line" size="6"/>',
        '    <Header value="$provenance_line" size="6"/>',
        "  </View>",
        f'  <Text name="{TEXT_TAG}" value="$text"/>',
        '  <Header value="Primary topic (exactly one)"/>',
        f'  <Choices name="{PRIMARY_TAG}" toName="{TEXT_TAG}" choice="single-radio" required="true"'
        ' requiredMessage="Choose the primary topic.">',
        *(f"    {_choice(t)}" for t in scheme.topics),
        "  </Choices>",
        '  <Header value="Secondary topics (optional; do not repeat the primary topic)"/>',
        f'  <Choices name="{SECONDARY_TAG}" toName="{TEXT_TAG}" choice="multiple">',
        *(f"    {_choice(t)}" for t in scheme.topics),
        "  </Choices>",
        '  <Header value="Stance targets: tick every target the post addresses"/>',
        f'  <Choices name="{TARGETS_TAG}" toName="{TEXT_TAG}" choice="multiple">',
        *(f"    {_choice(t)}" for t in scheme.targets),
        "  </Choices>",
    ]
    for target in scheme.targets:
        when = (
            f'visibleWhen="choice-selected" whenTagName="{TARGETS_TAG}" '
            f"whenChoiceValue={quoteattr(target.name)}"
        )
        header = quoteattr(f"Stance toward {target.label}")
        required = quoteattr(f"Give a stance toward {target.label}, or untick it.")
        lines += [
            f"  <View {when}>",
            f'    <Header value={header} size="6"/>',
            f'    <Choices name="{scheme.stance_tag(target.name)}" toName="{TEXT_TAG}" '
            f'choice="single-radio" showInline="true" required="true" '
            f"requiredMessage={required} {when}>",
            *(f"      {_choice(s)}" for s in scheme.stances),
            "    </Choices>",
            "  </View>",
        ]
    lines.append("</View>")
    return "\n".join(lines) + "\n"
