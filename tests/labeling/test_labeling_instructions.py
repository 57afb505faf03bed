"""The project instructions: the codebook's definitions and decision rules, as simple HTML."""

from __future__ import annotations

import re

import pytest

from statemedia.errors import ConfigError
from statemedia.labeling.instructions import (
    GUIDELINES_PATH,
    INSTRUCTION_SECTIONS,
    load_instructions,
    markdown_to_html,
    render_instructions,
    split_sections,
)
from statemedia.labeling.scheme import Scheme

CODEBOOK = GUIDELINES_PATH.read_text(encoding="utf-8")
# A decision rule is a list item opening with its bold id and title: "- **T1 – Issue, not country.**"
RULE = re.compile(r"^- \*\*(?P<id>[A-Z]\d+) – (?P<title>[^*]+)\*\*", re.M)


def test_every_decision_rule_of_the_codebook_is_in_the_instructions() -> None:
    html = load_instructions()
    rules = RULE.findall(CODEBOOK)
    assert len(rules) >= 18  # T1-T6 and S1-S12 today
    for rule_id, title in rules:
        assert f"<li><strong>{rule_id} – {title}</strong>" in html, rule_id


def test_every_decision_rule_lives_in_a_shown_section() -> None:
    # A rule moved into a section the screen does not show would silently vanish from the UI.
    _, sections = split_sections(CODEBOOK)
    shown = "".join(sections[title] for title in INSTRUCTION_SECTIONS)
    assert RULE.findall(shown) == RULE.findall(CODEBOOK)


def test_sections_and_definitions_are_shown(scheme: Scheme) -> None:
    html = load_instructions()
    for title in INSTRUCTION_SECTIONS:
        assert f"<h2>{title}</h2>" in html
    assert "<h2>4. Worked examples</h2>" not in html
    for term in (*scheme.topics, *scheme.targets, *scheme.stances):
        assert f"<td><code>{term.name}</code></td><td>{term.label}</td>" in html, term.name
    assert f"Codebook version: {scheme.version}" in html


def test_link_to_the_full_codebook() -> None:
    without = load_instructions("")
    assert "href" not in without  # no URL is invented while [project] homepage is empty
    assert "<code>annotation/GUIDELINES.md</code> in the project repository" in without
    url = "https://example.org/statemedia"
    with_home = load_instructions(url)
    assert f'<a href="{url}">{url}</a>' in with_home


def test_deterministic() -> None:
    assert load_instructions() == load_instructions()


def test_a_missing_section_is_a_config_error() -> None:
    broken = CODEBOOK.replace("## 2. Topics", "## 2. Subjects")
    with pytest.raises(ConfigError, match=r"no section '2\. Topics'"):
        render_instructions(broken)


def test_the_server_sanitiser_keeps_the_html_unchanged() -> None:
    # Label Studio stores expert_instruction through bleach.clean with its own allow-lists; an
    # unchanged round trip is what lets `up` compare the stored text with a plain ==.
    bleach = pytest.importorskip("bleach")
    constants = pytest.importorskip("label_studio.constants")
    html = load_instructions("https://example.org/statemedia")
    kept = bleach.clean(
        html, tags=constants.SAFE_HTML_TAGS, attributes=constants.SAFE_HTML_ATTRIBUTES
    )
    assert kept == html


@pytest.mark.parametrize(
    ("markdown", "html"),
    [
        ("# Title #\n", "<h1>Title</h1>\n"),
        ("one\ntwo\n\nthree", "<p>one two</p>\n<p>three</p>\n"),
        (
            "a **b** *c* `x<y & *z*`",
            "<p>a <strong>b</strong> <em>c</em> <code>x&lt;y &amp; *z*</code></p>\n",
        ),
        ("**see `x`**", "<p><strong>see <code>x</code></strong></p>\n"),
        ("snake_case and 2 * 3 * 4", "<p>snake_case and 2 * 3 * 4</p>\n"),
        (
            "[home](https://e.org/x) [rel](docs/x.md)",
            '<p><a href="https://e.org/x">home</a> [rel](docs/x.md)</p>\n',
        ),
        (
            "- a\n  continued\n- b:\n  1. one\n  2. two\n- c",
            "<ul><li>a continued</li><li>b:<ol><li>one</li><li>two</li></ol></li><li>c</li></ul>\n",
        ),
        ("Rules:\n- x\n- y", "<p>Rules:</p>\n<ul><li>x</li><li>y</li></ul>\n"),
        (
            "| A | B |\n| --- | ---: |\n| `a` | b |",
            "<table><thead><tr><th>A</th><th>B</th></tr></thead>"
            "<tbody><tr><td><code>a</code></td><td>b</td></tr></tbody></table>\n",
        ),
        ("> quoted\n> text", "<blockquote>\n<p>quoted text</p>\n</blockquote>\n"),
        (
            "```\n<b>\n\n**x**\n```\nafter",
            "<pre><code>&lt;b&gt;\n\n**x**</code></pre>\n<p>after</p>\n",
        ),
    ],
)
def test_markdown_subset(markdown: str, html: str) -> None:
    assert markdown_to_html(markdown) == html
