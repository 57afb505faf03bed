"""The scheme file, its fixed order, and the generated Label Studio config (checked offline)."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET

import pytest
from label_studio_sdk.label_interface import LabelInterface

from statemedia.cli import main
from statemedia.errors import ConfigError
from statemedia.labeling.scheme import (
    LABEL_CONFIG_PATH,
    SCHEME_PATH,
    Scheme,
    parse_scheme,
    render_label_config,
)

# Version-1 names, in order. Lists are append-only: this prefix must never change (see order_rule).
V1_TOPICS = [
    "armed_conflict",
    "security_arms_control",
    "bilateral_relations",
    "multilateral_order",
    "sanctions_trade_finance",
    "energy_resources",
    "humanitarian_law_rights",
    "terrorism_extremism_crime",
    "information_media",
    "history_memory_identity",
    "consular_citizens_abroad",
    "foreign_domestic_politics",
    "other_policy",
    "protocol_no_policy",
]
V1_TARGETS = [
    "ukraine_government",
    "united_states",
    "nato",
    "european_union",
    "the_west",
    "russia",
    "china",
    "un_international_bodies",
    "brics_sco_global_south",
]
V1_STANCES = ["favor", "against", "neutral"]
CAP_MAJOR_CODES = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 23}


def raw_scheme() -> dict:
    return json.loads(SCHEME_PATH.read_text(encoding="utf-8"))


def test_order_is_append_only(scheme: Scheme) -> None:
    assert list(scheme.topic_names[: len(V1_TOPICS)]) == V1_TOPICS
    assert list(scheme.target_names[: len(V1_TARGETS)]) == V1_TARGETS
    assert list(scheme.stance_names[: len(V1_STANCES)]) == V1_STANCES


def test_topics_have_cap_crosswalk_and_definitions(scheme: Scheme) -> None:
    assert 10 <= len(scheme.topics) <= 15
    for topic in scheme.topics:
        assert set(topic.cap_major) <= CAP_MAJOR_CODES, topic.name
        assert topic.cap_major or topic.cap_note, topic.name
        assert topic.definition.endswith("."), topic.name


def test_committed_label_config_is_current(scheme: Scheme) -> None:
    assert LABEL_CONFIG_PATH.read_text(encoding="utf-8") == render_label_config(scheme), (
        "annotation/label_config.xml is stale: run `statemedia annotate config --write`"
    )
    assert main(["annotate", "config", "--check"]) == 0


def test_config_check_fails_on_stale_file(tmp_path, capsys) -> None:
    stale = tmp_path / "label_config.xml"
    stale.write_text("<View/>\n", encoding="utf-8")
    assert main(["annotate", "config", "--check", "--path", str(stale)]) == 2
    assert "stale" in capsys.readouterr().err


def test_config_validates_offline_and_matches_scheme(scheme: Scheme) -> None:
    interface = LabelInterface(render_label_config(scheme))
    interface.validate()
    assert interface.get_control("topic_primary").labels == list(scheme.topic_names)
    assert interface.get_control("topics_secondary").labels == list(scheme.topic_names)
    assert interface.get_control("targets").labels == list(scheme.target_names)
    for target in scheme.target_names:
        assert interface.get_control(f"stance_{target}").labels == list(scheme.stance_names)
    good = {
        "result": [
            {
                "from_name": "topic_primary",
                "to_name": "text",
                "type": "choices",
                "value": {"choices": ["armed_conflict"]},
            }
        ]
    }
    bad = copy.deepcopy(good)
    bad["result"][0]["value"]["choices"] = ["propaganda"]
    assert interface.validate_annotation(good)
    assert not interface.validate_annotation(bad)


def test_each_stance_choice_is_shown_only_for_its_ticked_target(scheme: Scheme) -> None:
    root = ET.fromstring(render_label_config(scheme))
    stance_tags = {
        el.get("name"): el
        for el in root.iter("Choices")
        if (el.get("name") or "").startswith("stance_")
    }
    assert set(stance_tags) == {f"stance_{t}" for t in scheme.target_names}
    for target in scheme.target_names:
        el = stance_tags[f"stance_{target}"]
        assert el.get("visibleWhen") == "choice-selected"
        assert el.get("whenTagName") == "targets"
        assert el.get("whenChoiceValue") == target
        assert el.get("required") == "true"
    primary = next(el for el in root.iter("Choices") if el.get("name") == "topic_primary")
    assert primary.get("choice") == "single-radio" and primary.get("required") == "true"
    # The task view shows title, source/date and provenance lines, and the text.
    shown = {el.get("value") for el in root.iter("Header")} | {
        el.get("value") for el in root.iter("Text")
    }
    assert {"$title", "$source_line", "$provenance_line", "$text"} <= shown


def test_display_label_is_shown_and_name_is_stored(scheme: Scheme) -> None:
    root = ET.fromstring(render_label_config(scheme))
    choice = next(el for el in root.iter("Choice") if el.get("value") == "the_west")
    assert choice.get("html") == "The West (as a bloc)"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["topics"]["items"].pop(), None),  # still 13: fine
        (lambda d: d["topics"].__setitem__("items", d["topics"]["items"][:9]), "9 topics"),
        (lambda d: d["topics"]["items"].append(dict(d["topics"]["items"][0])), "duplicate topic"),
        (lambda d: d["stance_targets"]["items"][0].__setitem__("name", "Ukraine"), "lower_snake"),
        (lambda d: d["topics"]["items"][0].pop("cap_major"), "malformed"),
        (lambda d: d["topics"]["items"][0].__setitem__("cap_major", []), "no CAP code"),
        (lambda d: d["stance_values"].__setitem__("items", []), "stance"),
    ],
)
def test_malformed_scheme_is_a_config_error(mutate, message) -> None:
    data = raw_scheme()
    mutate(data)
    if message is None:
        assert isinstance(parse_scheme(data), Scheme)
        return
    with pytest.raises(ConfigError, match=message):
        parse_scheme(data)


def test_markup_in_a_label_is_rejected() -> None:
    data = raw_scheme()
    data["topics"]["items"][0]["label"] = "Trade & <b>finance</b>"
    with pytest.raises(ConfigError, match="markup"):
        render_label_config(parse_scheme(data))
