"""Post identities, derived from the source and the raw post, never from cleaned text.

Improving a cleaning rule must not change an id; only a change in the raw bytes or in a parser's
boundaries does. Identical raw posts in one source get an occurrence suffix in file order.
"""

from __future__ import annotations

import hashlib


def raw_digest(source: str, raw_text: str) -> str:
    """16 hex digits of sha256(source, raw lines): the identity of a raw post."""
    return hashlib.sha256(f"{source}\x1f{raw_text}".encode()).hexdigest()[:16]


def raw_post_id(source: str, digest: str, occurrence: int = 1) -> str:
    """Id for a post without a platform id: `<source>-<digest>`, `-<n>` for the n-th identical copy."""
    return f"{source}-{digest}" if occurrence == 1 else f"{source}-{digest}-{occurrence}"


def native_post_id(source: str, native_id: str) -> str:
    """Id for a post with a platform id such as "MFARussia/12345": `<source>-mfarussia/12345`."""
    return f"{source}-{native_id.lower()}"


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of raw bytes."""
    return hashlib.sha256(data).hexdigest()
