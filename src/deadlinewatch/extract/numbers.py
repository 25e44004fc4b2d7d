"""Number words and ordinals as they appear in agreements: "fourteen", "twenty-one", "one hundred
and twenty", "thirty (30)", "30 (thirty)", "a", "thirtieth", "21st".

``NUMBER`` and ``ORDINAL`` are regular-expression fragments (no groups of their own);
:func:`cardinal` and :func:`ordinal` turn the text they matched into an int, or ``None``.
"""

from __future__ import annotations

import re

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_ORDINAL_UNITS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19,
}  # fmt: skip
_ORDINAL_TENS = {
    "twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50, "sixtieth": 60,
    "seventieth": 70, "eightieth": 80, "ninetieth": 90,
}  # fmt: skip

_SEP = r"(?:-|\s+|\s*-\s*)"
_UNIT_WORD = "|".join(sorted(_UNITS, key=len, reverse=True))
_TENS_WORD = "|".join(sorted(_TENS, key=len, reverse=True))
_BELOW_100 = rf"(?:(?:{_TENS_WORD})(?:{_SEP}(?:{_UNIT_WORD}))?|{_UNIT_WORD})"
_WORDS = (
    rf"(?:{_BELOW_100}{_SEP}hundred(?:(?:{_SEP}and)?{_SEP}{_BELOW_100})?|(?:a|one){_SEP}hundred|{_BELOW_100})"
)
_DIGITS = r"\d{1,3}(?:,\d{3})*"

NUMBER = rf"(?:(?:{_WORDS})(?:\s*\(\s*{_DIGITS}\s*\))?|{_DIGITS}(?:\s*\(\s*(?:{_WORDS})\s*\))?|an?|one)"
"""A cardinal: digits, words, words with digits in brackets (or the reverse), or "a"/"an"."""

_ORD_UNIT_WORD = "|".join(sorted(_ORDINAL_UNITS, key=len, reverse=True))
_ORD_TENS_WORD = "|".join(sorted(_ORDINAL_TENS, key=len, reverse=True))
_ORD_WORDS = (
    rf"(?:(?:{_TENS_WORD}){_SEP}(?:{_ORD_UNIT_WORD})|{_ORD_TENS_WORD}|{_ORD_UNIT_WORD}"
    rf"|(?:{_BELOW_100}{_SEP})?hundredth|(?:{_BELOW_100}{_SEP}hundred(?:{_SEP}and)?{_SEP})"
    rf"(?:(?:{_TENS_WORD}){_SEP}(?:{_ORD_UNIT_WORD})|{_ORD_TENS_WORD}|{_ORD_UNIT_WORD}))"
)
ORDINAL = rf"(?:\d{{1,3}}(?:st|nd|rd|th)|{_ORD_WORDS})"
"""An ordinal: "5th", "fifth", "thirtieth", "twenty-first", "one hundred and twentieth"."""

_TOKEN = re.compile(r"[a-z]+|\d+")


def _words_value(tokens: list[str], table: dict[str, int], tens: dict[str, int]) -> int | None:
    total, current = 0, 0
    for token in tokens:
        if token == "and":
            continue
        if token == "hundred":
            current = (current or 1) * 100
        elif token in table:
            current += table[token]
        elif token in tens:
            current += tens[token]
        elif token == "hundredth":
            current = (current or 1) * 100
        else:
            return None
    return total + current


def cardinal(text: str) -> int | None:
    """The value of a :data:`NUMBER` match; bracketed digits win over the words they repeat, and a
    disagreement between the two ("thirty (40)") is ``None`` (not understood)."""
    lowered = text.lower().strip()
    if lowered in ("a", "an"):
        return 1
    digits = re.findall(r"\d{1,3}(?:,\d{3})*", lowered)
    words = re.sub(r"\([^)]*\)|\d[\d,]*", " ", lowered)
    word_value = None
    if words.strip(" ()"):
        word_value = _words_value(_TOKEN.findall(words), _UNITS, _TENS)
        if word_value is None:
            return None
    if digits:
        value = int(digits[0].replace(",", ""))
        if word_value is not None and word_value != value:
            return None
        return value
    return word_value


def ordinal(text: str) -> int | None:
    """The value of an :data:`ORDINAL` match ("thirtieth" -> 30, "21st" -> 21)."""
    lowered = text.lower().strip()
    if m := re.fullmatch(r"(\d{1,3})(st|nd|rd|th)", lowered):
        return int(m.group(1))
    tokens = _TOKEN.findall(lowered)
    if not tokens:
        return None
    *head, last = tokens
    last_value = _ORDINAL_UNITS.get(last) or _ORDINAL_TENS.get(last)
    if last == "hundredth":
        value = _words_value([*head, "hundred"], _UNITS, _TENS)
        return value
    if last_value is None:
        return None
    head_value = _words_value(head, _UNITS, _TENS) if head else 0
    return None if head_value is None else head_value + last_value
