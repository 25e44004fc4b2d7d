"""Country names and demonyms -> a canonical name and a tag ("Syrian" -> Syria, ``syria``)."""

from __future__ import annotations

import re
from collections import Counter

_COUNTRIES = {
    "Syria": ["Syria", "Syrian", "Syrians"],
    "United States": ["United States", "US", "U.S.", "USA", "American"],
    "Russia": ["Russia", "Russian", "Russians"],
    "Ukraine": ["Ukraine", "Ukrainian"],
    "Iran": ["Iran", "Iranian"],
    "Iraq": ["Iraq", "Iraqi"],
    "Turkey": ["Turkey", "Turkish", "Türkiye"],
    "Israel": ["Israel", "Israeli"],
    "Palestine": ["Palestine", "Palestinian", "Gaza"],
    "Lebanon": ["Lebanon", "Lebanese"],
    "Jordan": ["Jordan", "Jordanian"],
    "Egypt": ["Egypt", "Egyptian"],
    "Saudi Arabia": ["Saudi Arabia", "Saudi"],
    "Yemen": ["Yemen", "Yemeni"],
    "Libya": ["Libya", "Libyan"],
    "South Sudan": ["South Sudan", "South Sudanese"],
    "Sudan": ["Sudan", "Sudanese"],
    "Afghanistan": ["Afghanistan", "Afghan"],
    "Pakistan": ["Pakistan", "Pakistani"],
    "China": ["China", "Chinese"],
    "Colombia": ["Colombia", "Colombian"],
    "France": ["France", "French"],
    "United Kingdom": ["United Kingdom", "UK", "U.K.", "British", "Britain"],
    "Germany": ["Germany", "German"],
    "Qatar": ["Qatar", "Qatari"],
    "Armenia": ["Armenia", "Armenian"],
    "Azerbaijan": ["Azerbaijan", "Azerbaijani"],
    "Georgia": ["Georgia", "Georgian"],
    "Ethiopia": ["Ethiopia", "Ethiopian"],
    "Eritrea": ["Eritrea", "Eritrean"],
    "Somalia": ["Somalia", "Somali"],
    "Mali": ["Mali", "Malian"],
    "Myanmar": ["Myanmar", "Burmese"],
    "North Korea": ["North Korea", "DPRK"],
    "South Korea": ["South Korea"],
    "Bosnia and Herzegovina": ["Bosnia"],
    "Serbia": ["Serbia", "Serbian"],
    "Kosovo": ["Kosovo"],
    "Cyprus": ["Cyprus", "Cypriot"],
    "Venezuela": ["Venezuela", "Venezuelan"],
    "Democratic Republic of the Congo": ["DRC", "Congo", "Congolese"],
    "Rwanda": ["Rwanda", "Rwandan"],
    "Mozambique": ["Mozambique"],
    "Philippines": ["Philippines", "Filipino"],
}
_LOOKUP = {alias.lower(): name for name, aliases in _COUNTRIES.items() for alias in aliases}
_PATTERN = re.compile(
    r"(?<![\w.])(?:"
    + "|".join(
        re.escape(alias)
        for _, aliases in _COUNTRIES.items()
        for alias in sorted(aliases, key=len, reverse=True)
    )
    + r")(?![\w])"
)


def countries_in(text: str) -> list[str]:
    """Canonical country names mentioned in ``text`` ("US" only in capitals: "us" is a pronoun)."""
    found: list[str] = []
    for m in _PATTERN.finditer(text):
        word = m.group(0)
        if word.lower() in ("us", "uk", "drc", "dprk") and not word.isupper():
            continue
        if word[0].islower():
            continue
        name = _LOOKUP[word.lower()]
        if name not in found:
            found.append(name)
    return found


def most_mentioned(texts: list[str]) -> list[str]:
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(countries_in(text))
    if not counts:
        return []
    top = max(counts.values())
    return [name for name, count in counts.items() if count == top]


def tag_of(country: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", country.lower()).strip("-")
