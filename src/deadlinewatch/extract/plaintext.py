"""HTML to plain text (offsets in the output of ``extract`` refer to this plain text)."""

from __future__ import annotations

import html
import re

_DROP = re.compile(r"<(script|style|noscript|template)\b.*?</\1\s*>", re.I | re.S)
_BLOCK = re.compile(
    r"<\s*(?:br|/p|/div|/li|/h[1-6]|/tr|/blockquote|/section|/article|p|h[1-6]|li)\b[^>]*>", re.I
)
_TAG = re.compile(r"<[^>]+>")


def looks_like_html(name: str, text: str) -> bool:
    return name.lower().endswith((".html", ".htm")) or bool(
        re.match(r"\s*(?:<!doctype html|<html\b)", text, re.I)
    )


def html_to_text(markup: str) -> str:
    text = _DROP.sub(" ", markup)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    text = _BLOCK.sub("\n\n", text)
    text = html.unescape(_TAG.sub("", text))
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r"\n\s*\n(?:\s*\n)+", "\n\n", text)
    return text.strip()
