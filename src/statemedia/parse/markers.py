"""Texts that platforms render in place of content: the one home for the parsers that find them and
the cleaning rules (statemedia.clean) that take them out of a post's text."""

from __future__ import annotations

# What Telegram's web preview (t.me/s) shows instead of media it does not render.
PLACEHOLDERS = frozenset({"Please open Telegram to view this post", "VIEW IN TELEGRAM"})
