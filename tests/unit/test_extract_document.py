"""`extract` on whole texts: the seed article (every commitment of SPEC §1 with its due), a
deadline counted from another commitment of the same text, and honest 'open' with a warning."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from deadlinewatch.extract.document import Extraction, Finding, read_document
from deadlinewatch.extract.model import Context, format_due

SEED = Path(__file__).parent.parent / "fixtures" / "kerry-lavrov-2016.txt"


@pytest.fixture(scope="module")
def seed() -> Extraction:
    text = SEED.read_text(encoding="utf-8")
    return read_document(text, Context(date(2016, 3, 24), "Asia/Damascus"), "kerry-lavrov-2016")


def _one(extraction: Extraction, *words: str) -> Finding:
    found = [f for f in extraction.findings if all(w in f.title.lower() for w in words)]
    assert len(found) == 1, [f.title for f in extraction.findings]
    return found[0]


def _due(finding: Finding) -> str:
    return format_due(finding.due, finding.after_id)


@pytest.mark.parametrize(
    ("words", "due"),
    [
        (("framework", "transition"), "2016-08"),
        (("draft constitution",), "2016-08"),
        (("direct talks",), "asap"),
        (("detainees",), "asap"),
        (("humanitarian access",), "open"),
        (("cessation of hostilities",), "immediate"),
    ],
)
def test_seed_commitment_found_with_its_due(seed: Extraction, words: tuple[str, ...], due: str) -> None:
    assert _due(_one(seed, *words)) == due


def test_seed_elections_follow_the_draft_constitution(seed: Extraction) -> None:
    elections = _one(seed, "elections")
    constitution = _one(seed, "draft constitution")
    assert _due(elections) == f"{{after: {constitution.id}, within: 18mo}}"
    assert "2254" in elections.reasoning


def test_seed_parties_tags_and_sources(seed: Extraction) -> None:
    text = SEED.read_text(encoding="utf-8")
    assert seed.parties == ("United States", "Russia")
    assert seed.tags == ("syria",)
    detainees = _one(seed, "detainees")
    assert detainees.parties == ("Assad regime", "opposition")
    assert "detainees" in detainees.tags
    assert detainees.source.phrase == "as soon as possible"
    assert _one(seed, "direct talks").parties == ("Syrian government", "opposition groups")
    assert _one(seed, "draft constitution").source.phrase == "by August"
    for finding in seed.findings:
        assert text[finding.source.start : finding.source.end] == finding.source.quote
        assert finding.warning is None
    assert len({f.id for f in seed.findings}) == len(seed.findings)


def test_no_commitment_from_history_or_opinion(seed: Extraction) -> None:
    quotes = " ".join(f.source.quote for f in seed.findings)
    assert "vetoed" not in quotes
    assert "many years to come" not in quotes
    assert "cannot agree" not in quotes


MINSK_LIKE = (
    "The parties agreed that the withdrawal of all heavy weapons by both sides shall be completed within 14 days. "
    "The release and exchange of all hostages shall be ensured no later than the fifth day after the withdrawal.\n\n"
    "The sides agreed to hold local elections in the autumn.\n\n"
    "The monitors shall report no later than ten days after the adoption of the budget."
)


def test_a_deadline_counted_from_another_commitment_of_the_same_text() -> None:
    extraction = read_document(MINSK_LIKE, Context(date(2015, 2, 12)), "minsk")
    withdrawal = _one(extraction, "withdrawal")
    hostages = _one(extraction, "hostages")
    assert _due(withdrawal) == "{after: announced, within: 14d}"
    assert _due(hostages) == f"{{after: {withdrawal.id}, within: 5d}}"
    assert hostages.source.phrase == "no later than the fifth day after the withdrawal"


def test_what_is_not_understood_is_left_open_with_a_warning() -> None:
    extraction = read_document(MINSK_LIKE, Context(date(2015, 2, 12)), "minsk")
    elections = _one(extraction, "elections")
    assert _due(elections) == "open"
    assert elections.warning is not None and "autumn" in elections.warning
    report = _one(extraction, "report")
    assert _due(report) == "open"
    assert report.warning is not None and "budget" in report.warning


# UN Security Council resolution 2254 (2015), 18 December 2015: operative paragraphs 2, 4 and 12, abridged
RESOLUTION_2254 = (
    "2. Requests the Secretary-General, through his good offices and the efforts of his Special Envoy for Syria, "
    "to convene representatives of the Syrian government and the opposition to engage in formal negotiations on a "
    "political transition process on an urgent basis, with a target of early January 2016 for the initiation of talks.\n\n"
    "4. Expresses its support, in this regard, for a Syrian-led political process that is facilitated by the United "
    "Nations and, within a target of six months, establishes credible, inclusive and non-sectarian governance and sets "
    "a schedule and process for drafting a new constitution, and further expresses its support for free and fair "
    "elections, pursuant to the new constitution, to be held within 18 months.\n\n"
    "12. Calls on the parties to immediately allow humanitarian agencies rapid, safe and unhindered access throughout Syria."
)


def test_a_resolution_paragraph_with_two_deadlines_gives_two_commitments() -> None:
    extraction = read_document(RESOLUTION_2254, Context(date(2015, 12, 18)), "unscr-2254")
    dues = {f.title: _due(f) for f in extraction.findings}
    assert dues == {
        "Convene representatives of the Syrian government and the opposition to engage in formal": "early 2016-01",
        "Syrian-led political process that is facilitated by the United Nations": "{after: announced, within: 6mo}",
        "Free and fair elections": "{after: announced, within: 18mo}",
        "Allow humanitarian agencies rapid": "immediate",
    }
    convene = _one(extraction, "convene")
    assert "Secretary-General" in convene.parties
    assert all(f.warning is None for f in extraction.findings)
