"""Parser `tme_html@1`: saved HTML of a channel's web preview (`https://t.me/s/<channel>`).

Every `.tgme_widget_message` with `data-post="<channel>/<id>"` is one draft: its text is the
`.js-message_text` element (with <br> as newlines), its date the `<time datetime>` (stated), its
origin the forwarded-from name. Its lines run from the line holding `data-post` to its closing tag
or the next message's line; the text element's lines are `post_body`, the rest `post_metadata`.
Service messages are `service_message`; lines outside messages are `export_structure`.

Signature: at least one `<div class="tgme_widget_message" data-post="…">`. Field checks, each an
error naming the file, the line and the message: `data-post` is "<channel>/<positive integer>" with
a Telegram username; a view count (`.tgme_widget_message_views`) is a number as t.me writes it
("953", "8.1K", "1.2M"); every reaction (`.tgme_reaction`) shows its count. A `<time datetime>` that
cannot be read leaves the date `unknown`; a readable one outside the plausible window is an error
(statemedia.parse.dates). Every message element must close before the next one opens (and the last
before the end of the file): an unclosed one would hold all later messages, their text included.
With that, and `closing_div` scanning at most to the next message, the parser is linear.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from selectolax.lexbor import LexborHTMLParser, LexborNode

from statemedia.parse import FileContext, MessageWalk, Mismatch, ParsedFile, fail
from statemedia.parse.dates import UNKNOWN, DateReading, read_timestamp
from statemedia.records import Draft, SourceLine
from statemedia.vocab import DateConfidence, LineCategory, RecordKind

MESSAGE = "div.tgme_widget_message[data-post]"
# The same elements found in the raw text, for their offsets (selectolax keeps no source positions).
_MESSAGE_TAG = re.compile(
    r'<div\b[^>]*?\bclass="(?:[^"]*\s)?tgme_widget_message(?:\s[^"]*)?"[^>]*?\bdata-post="([^"]+)"'
    r'|<div\b[^>]*?\bdata-post="([^"]+)"[^>]*?\bclass="(?:[^"]*\s)?tgme_widget_message(?:\s[^"]*)?"'
)
_TEXT_TAG = re.compile(r'<div\b[^>]*?\bclass="(?:[^"]*\s)?js-message_text(?:\s[^"]*)?"')
_DIV = re.compile(r"<(/?)div\b", re.IGNORECASE)
_SPACE_RUN = re.compile(r"\s+")
SERVICE_CLASS = "service_message"  # t.me's CSS class of a service message (pin, photo change)
USERNAME = re.compile(r"[A-Za-z0-9_]+")  # a Telegram username as t.me links spell it
COUNT = re.compile(r"[0-9]+(?:[.,][0-9]+)?[KMB]?")  # a count as t.me shows it: 953, 8.1K, 1.2M
_VIEWS_TAG = re.compile(r'class="(?:[^"]*\s)?tgme_widget_message_views(?:\s[^"]*)?"')
_VERBATIM = frozenset({"pre", "code"})  # whitespace inside is the author's, not markup layout


def closing_div(text: str, start: int, limit: int | None = None) -> int:
    """Offset of the `</div>` that closes the <div> opening at `start`, or `limit` (default: the
    text's end) if it does not close before that."""
    limit = len(text) if limit is None else limit
    depth = 0
    for match in _DIV.finditer(text, start, limit):
        depth += -1 if match.group(1) else 1
        if depth == 0:
            return match.start()
    return limit


def page_signature(lines: Sequence[SourceLine]) -> Mismatch | None:
    """A saved t.me/s page: at least one message element with its `data-post`."""
    text = "\n".join(line.text for line in lines)
    if "tgme_widget_message" not in text or _MESSAGE_TAG.search(text) is None:
        return Mismatch(
            None,
            'no Telegram message: no <div class="tgme_widget_message" data-post="…"> element',
            "save the page https://t.me/s/<channel> after its messages have loaded",
        )
    return None


def count_problem(node: LexborNode) -> str | None:
    """What is wrong with a message's view count or reactions, or None if they are numbers."""
    for views in node.css(".tgme_widget_message_views"):
        shown = views.text(deep=True).strip()
        if not COUNT.fullmatch(shown):
            return f"view count {shown!r} is not a number like 953, 8.1K or 1.2M"
    for k, reaction in enumerate(node.css(".tgme_reaction"), start=1):
        count = "".join(
            child.text_content or ""
            for child in reaction.iter(include_text=True)
            if child.tag == "-text"
        ).strip()
        if not COUNT.fullmatch(count):
            shown = reaction.text(deep=True).strip()
            return f"reaction {k} ({shown!r}) shows no count"
    return None


def _in_verbatim(node: LexborNode) -> bool:
    parent = node.parent
    while parent is not None and parent.tag not in ("div", "html"):
        if parent.tag in _VERBATIM:
            return True
        parent = parent.parent
    return False


def element_text(node: LexborNode) -> str:
    """Visible text of an element as a browser lays it out: <br> is a newline, other runs of
    whitespace are one space (except inside <pre>/<code>)."""
    parts = []
    for child in node.traverse(include_text=True):
        if child.tag == "br":
            parts.append("\n")
        elif child.tag == "-text":
            raw = child.text_content or ""
            parts.append(raw if _in_verbatim(child) else _SPACE_RUN.sub(" ", raw))
    return "".join(parts).strip("\n")  # spaces at line ends are left to cleaning's normalise_line


def message_date(message: LexborNode) -> DateReading:
    """The stated date from the message's permalink `<time datetime="…">`."""
    time = message.css_first(".tgme_widget_message_date time[datetime]") or message.css_first(
        "time[datetime]"
    )
    raw = time.attributes.get("datetime") if time is not None else None
    reading = read_timestamp(raw) if raw else None
    if reading is None:
        return UNKNOWN
    return DateReading(reading.value, DateConfidence.STATED, f'<time datetime="{raw}">')


def parse_page(lines: Sequence[SourceLine], ctx: FileContext) -> ParsedFile:
    """Parse a saved t.me/s channel page."""
    text = "\n".join(line.text for line in lines)  # offsets agree with each line's char_start
    nodes = LexborHTMLParser(text).css(MESSAGE)
    tags = list(_MESSAGE_TAG.finditer(text))
    posts = [node.attributes.get("data-post") or "" for node in nodes]
    walk = MessageWalk.start(
        lines,
        ctx,
        agree=posts == [match.group(1) or match.group(2) for match in tags],
        mismatch=f"found {len(nodes)} messages in the HTML but {len(tags)} message tags in the text",
    )
    line_of = walk.line_of
    for k, (node, tag) in enumerate(zip(nodes, tags, strict=True)):
        first = line_of(tag.start())
        # The next message often opens on the line where this one closes ("</div></div><div …"):
        # that line belongs to the message it opens.
        following = tags[k + 1].start() if k + 1 < len(tags) else len(text)
        closing = closing_div(text, tag.start(), following)
        if closing == following:
            # Unclosed, the element holds every later message: their text would be this one's,
            # and each message's queries would walk all later ones (quadratic).
            raise fail(
                ctx,
                lines[first],
                f"message {posts[k]}: its <div> does not close before the "
                + ("next message" if k + 1 < len(tags) else "end of the file"),
                "use the page exactly as t.me served it (this one looks truncated or edited)",
            )
        last = line_of(closing)
        if k + 1 < len(tags):
            last = min(last, line_of(following) - 1)
        walk.take(
            first,
            last,
            overlap="two messages start on one line, so lines cannot name one message",
            advice="use the page exactly as t.me served it",
        )
        post = posts[k]
        channel, _, number = post.partition("/")
        if (
            not USERNAME.fullmatch(channel)
            or not number.isascii()
            or not number.isdigit()
            or int(number) <= 0
        ):
            raise fail(
                ctx,
                lines[first],
                f'data-post="{post}" is not "<channel>/<message id>"',
                "save the page from https://t.me/s/<channel>",
            )
        problem = count_problem(node)
        if problem is not None:
            views = _VIEWS_TAG.search(text, tag.start(), following)
            where = lines[line_of(views.start())] if views and "view" in problem else lines[first]
            raise fail(
                ctx, where, f"message {post}: {problem}", "use the page exactly as t.me served it"
            )
        if SERVICE_CLASS in (node.attributes.get("class") or "").split():
            walk.service(first, last, post)
            continue
        roles = {n: LineCategory.POST_METADATA for n in range(first, last + 1)}
        text_node = node.css_first(".js-message_text")
        span_end = lines[last].char_start + len(lines[last].text)
        found = _TEXT_TAG.search(text, tag.start(), span_end)
        if found is not None:
            body_end = closing_div(text, found.start(), span_end)
            for n in range(line_of(found.start()), line_of(body_end) + 1):
                if n in roles:
                    roles[n] = LineCategory.POST_BODY
        forwarded = node.css_first(".tgme_widget_message_forwarded_from_name")
        reading = message_date(node)
        walk.parsed.drafts.append(
            Draft(
                kind=RecordKind.TELEGRAM_POST,
                lines=tuple(lines[first : last + 1]),
                roles=walk.roles(first, last, roles),
                published_date=reading.value,
                date_confidence=reading.confidence,
                date_evidence=reading.evidence,
                forwarded_from=(forwarded.text(deep=True).strip() or None)
                if forwarded is not None
                else None,
                url=f"https://t.me/{post}",
                native_id=post,
                text=element_text(text_node) if text_node is not None else "",
            )
        )
    return walk.finish()
