"""The codebook in the labeling screen: chosen sections of annotation/GUIDELINES.md as simple HTML.

Label Studio shows a project's `expert_instruction` (HTML) before labeling when `show_instruction`
is on. `render_instructions` builds that HTML from the codebook's definitions and decision rules
(`INSTRUCTION_SECTIONS`) with a small Markdown converter (headings, paragraphs, nested lists, pipe
tables, fenced code, `code`, **strong**, *emphasis*, absolute links); nothing else is supported,
and the output is deterministic and already in the form the server's HTML sanitiser keeps
unchanged, so "are the stored instructions current?" is a plain string comparison.
"""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

from statemedia.errors import ConfigError
from statemedia.fileio import read_text
from statemedia.vocab import REPO_ROOT

INSTRUCTIONS_VERSION = "instructions@1"
GUIDELINES_REPO_PATH = "annotation/GUIDELINES.md"
GUIDELINES_PATH = REPO_ROOT / GUIDELINES_REPO_PATH
# The `## ` sections shown to coders: what to label, the definitions and the decision rules. The
# worked examples (§4), the adjudication procedure (§5) and the change log stay in the full file.
INSTRUCTION_SECTIONS = ("1. What you label", "2. Topics", "3. Stance targets and stance values")

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_LIST_ITEM = re.compile(r"^(\s*)(?:[-*+]|(\d+)[.)])\s+(.*)$")
_TABLE_RULE = re.compile(r"^\|(\s*:?-+:?\s*\|)+\s*$")
_CODE = re.compile(r"`([^`]+)`")
_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
_STRONG = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_EM = re.compile(r"(?<![*\w])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![*\w])")


def _inline(text: str) -> str:
    """Escape text and mark up `code`, **strong**, *emphasis* and [absolute](https://links)."""
    pieces = _CODE.split(text)  # odd positions are the contents of code spans
    out = []
    for position, piece in enumerate(pieces):
        if position % 2:
            out.append(f"<code>{escape(piece, quote=False)}</code>")
            continue
        html = escape(piece, quote=False)
        html = _LINK.sub(lambda m: f'<a href="{escape(m[2])}">{m[1]}</a>', html)
        html = _STRONG.sub(r"<strong>\1</strong>", html)
        out.append(_EM.sub(r"<em>\1</em>", html))
    # Strong text may hold a code span ("**see `x`**"): mark up across the joined pieces again.
    return _STRONG.sub(r"<strong>\1</strong>", "".join(out))


def _list(lines: list[str]) -> str:
    """A (possibly nested) list; a line that is not an item continues the previous item."""
    items: list[tuple[int, bool, str]] = []
    for line in lines:
        match = _LIST_ITEM.match(line)
        if match:
            items.append((len(match[1]), match[2] is not None, match[3].strip()))
        elif items:
            indent, ordered, text = items[-1]
            items[-1] = (indent, ordered, f"{text} {line.strip()}")
    html, _ = _list_level(items, 0)
    return html


def _list_level(items: list[tuple[int, bool, str]], start: int) -> tuple[str, int]:
    indent, ordered, _ = items[start]
    entries: list[str] = []
    position = start
    while position < len(items) and items[position][0] >= indent:
        if items[position][0] > indent and entries:  # a nested list belongs to the item before
            nested, position = _list_level(items, position)
            entries[-1] += nested
            continue
        entries.append(_inline(items[position][2]))
        position += 1
    tag = "ol" if ordered else "ul"
    return f"<{tag}>" + "".join(f"<li>{e}</li>" for e in entries) + f"</{tag}>", position


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.strip().strip("|").split("|")]


def _table(lines: list[str]) -> str:
    """A pipe table: header row, rule row, body rows (thead and tbody always written)."""
    header, body = _cells(lines[0]), [_cells(r) for r in lines[2:]]
    head = "".join(f"<th>{_inline(c)}</th>" for c in header)
    rows = "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r) + "</tr>" for r in body)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _block(lines: list[str]) -> list[str]:
    """HTML for consecutive non-blank lines: a table, a list, a quote or a paragraph."""
    if len(lines) >= 2 and lines[0].startswith("|") and _TABLE_RULE.match(lines[1]):
        return [_table(lines)]
    if _LIST_ITEM.match(lines[0]):
        return [_list(lines)]
    if lines[0].startswith(">"):
        inner = [line.removeprefix(">").strip() for line in lines]
        return ["<blockquote>", *_block(inner), "</blockquote>"]
    # A paragraph may run straight into a list: split it there.
    for position, line in enumerate(lines):
        if position and _LIST_ITEM.match(line) and not line[0].isspace():
            return [*_block(lines[:position]), *_block(lines[position:])]
    return ["<p>" + _inline(" ".join(line.strip() for line in lines)) + "</p>"]


def markdown_to_html(markdown: str) -> str:
    """Simple HTML for the Markdown subset the codebook uses; one block per line of output."""
    out: list[str] = []
    block: list[str] = []
    lines = markdown.split("\n")
    position = 0
    while position < len(lines):
        line = lines[position]
        position += 1
        if line.startswith("```"):
            out += _block(block) if block else []
            block = []
            code = []
            while position < len(lines) and not lines[position].startswith("```"):
                code.append(lines[position])
                position += 1
            position += 1  # the closing fence
            out.append("<pre><code>" + escape("\n".join(code), quote=False) + "</code></pre>")
            continue
        heading = _HEADING.match(line)
        if heading or not line.strip():
            out += _block(block) if block else []
            block = []
            if heading:
                level = len(heading[1])
                out.append(f"<h{level}>{_inline(heading[2])}</h{level}>")
            continue
        block.append(line)
    out += _block(block) if block else []
    return "\n".join(out) + "\n"


def split_sections(markdown: str) -> tuple[str, dict[str, str]]:
    """(text before the first `## ` heading, {section title: its text without the heading})."""
    parts = re.split(r"^## +(.+?)\s*$", markdown, flags=re.M)
    preamble, rest = parts[0], parts[1:]
    return preamble, {rest[i]: rest[i + 1] for i in range(0, len(rest), 2)}


def render_instructions(markdown: str, homepage: str = "") -> str:
    """The project instructions (HTML) for a codebook's text; `homepage` from [project]."""
    preamble, sections = split_sections(markdown)
    missing = [title for title in INSTRUCTION_SECTIONS if title not in sections]
    if missing:
        raise ConfigError(
            f"{GUIDELINES_REPO_PATH}: no section {', '.join(map(repr, missing))}; the labeling "
            f"screen shows {', '.join(INSTRUCTION_SECTIONS)} (labeling/instructions.py)"
        )
    where = f"<code>{GUIDELINES_REPO_PATH}</code> in the project repository"
    if homepage:
        url = escape(homepage)
        where += f', <a href="{url}">{url}</a>'
    omitted = [title for title in sections if title not in INSTRUCTION_SECTIONS]
    note = (
        f"<p><em>Sections {', '.join(INSTRUCTION_SECTIONS)} of the codebook, generated by "
        f"<code>statemedia annotate up</code> ({INSTRUCTIONS_VERSION}); edits made here are "
        "overwritten. The full codebook, with "
        + escape(", ".join(omitted) or "everything else", quote=False)
        + f", is {where}.</em></p>"
    )
    body = [markdown_to_html(preamble), note + "\n"]
    body += [markdown_to_html(f"## {title}\n{sections[title]}") for title in INSTRUCTION_SECTIONS]
    body.append(f"<p>Full codebook: {where}.</p>\n")
    return "".join(body)


def load_instructions(homepage: str = "", path: Path | None = None) -> str:
    """The project instructions for annotation/GUIDELINES.md (or `path`)."""
    return render_instructions(read_text(path or GUIDELINES_PATH, ConfigError), homepage)
