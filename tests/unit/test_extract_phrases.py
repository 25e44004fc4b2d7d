"""`extract --phrase`: deadline phrases from real agreements, statements and UN resolutions, each
with the date it was announced and the `due` it must give (SPEC §3 forms); and phrases that must
be refused rather than misread. Each row cites the document the phrase comes from; rows marked
"variant" rewrite a cited phrase in another common form (hyphenation, number words, order)."""

from __future__ import annotations

from datetime import date

import pytest

from deadlinewatch.extract.model import AfterDue, Context, NotUnderstood, Precision, format_due
from deadlinewatch.extract.numbers import cardinal, ordinal
from deadlinewatch.extract.phrases import read_phrase

# (announced, phrase, expected due)
PHRASES: list[tuple[str, str, str]] = [
    # Kerry–Lavrov press conference, Moscow, 24 March 2016 (the seed article)
    ("2016-03-24", "by August", "2016-08"),
    ("2016-03-24", "as soon as possible", "asap"),
    ("2016-03-24", "immediately", "immediate"),
    # UN Security Council resolution 2254 (2015), 18 December 2015
    ("2015-12-18", "within a target of six months", "{after: announced, within: 6mo}"),
    ("2015-12-18", "within 18 months", "{after: announced, within: 18mo}"),
    ("2015-12-18", "within one month of the adoption of this resolution", "{after: announced, within: 1mo}"),
    ("2015-12-18", "with a target of early January 2016", "early 2016-01"),
    # US–Russia joint statement on the cessation of hostilities in Syria, 22 February 2016
    ("2016-02-22", "by 12:00 (Damascus time) on February 26, 2016", "2016-02-26T12:00+02:00"),
    ("2016-02-22", "12:00 (Damascus time) on February 26, 2016", "2016-02-26T12:00+02:00"),
    ("2016-02-22", "commencing at 00:00 (Damascus time) on February 27, 2016", "2016-02-27T00:00+02:00"),
    # ISSG statement, Munich, 11 February 2016
    ("2016-02-11", "in one week's time", "{after: announced, within: 1w}"),
    # ISSG statement, Vienna, 14 November 2015
    ("2015-11-14", "with the target date of January 1", "2016-01-01"),
    ("2015-11-14", "within six months", "{after: announced, within: 6mo}"),
    ("2015-11-14", "within 18 months", "{after: announced, within: 18mo}"),
    # Package of Measures for the Implementation of the Minsk Agreements (Minsk II), 12 February 2015
    ("2015-02-12", "as of 15 February 2015, 12am local time", "2015-02-15T00:00"),
    ("2015-02-12", "within 14 days", "{after: announced, within: 14d}"),
    (
        "2015-02-12",
        "no later than the second day after the start of the ceasefire",
        "{after: start-of-ceasefire, within: 2d}",
    ),
    ("2015-02-12", "no later than the fifth day after the withdrawal", "{after: withdrawal, within: 5d}"),
    ("2015-02-12", "on the first day after the pullout", "{after: pullout, within: 1d}"),
    (
        "2015-02-12",
        "within 30 days from the date of signing of this document",
        "{after: announced, within: 30d}",
    ),
    ("2015-02-12", "by the end of 2015", "2015"),
    # Minsk Protocol, 5 September 2014
    ("2014-09-05", "Ensure an immediate bilateral cessation of the use of weapons", "immediate"),
    # UN Security Council resolution 2118 (2013) and OPCW EC-M-33/DEC.1, 27 September 2013
    ("2013-09-27", "not later than 1 November 2013", "2013-11-01"),
    ("2013-09-27", "in the first half of 2014", "2014-06-30"),
    ("2013-09-27", "within seven days", "{after: announced, within: 7d}"),
    # UN Security Council resolution 2401 (2018), 24 February 2018
    ("2018-02-24", "without delay", "asap"),
    # UN Security Council resolution 2139 (2014), 22 February 2014
    ("2014-02-22", "immediately", "immediate"),
    # UN Security Council resolution 1701 (2006), 11 August 2006
    ("2006-08-11", "within one week", "{after: announced, within: 1w}"),
    ("2006-08-11", "within 30 days", "{after: announced, within: 30d}"),
    ("2006-08-11", "the immediate cessation by Hizbollah of all attacks", "immediate"),
    # UN Security Council resolution 687 (1991), 3 April 1991
    (
        "1991-04-03",
        "within fifteen days of the adoption of this resolution",
        "{after: announced, within: 15d}",
    ),
    ("1991-04-03", "within forty-five days", "{after: announced, within: 45d}"),
    (
        "1991-04-03",
        "within one hundred and twenty days of the passage of this resolution",
        "{after: announced, within: 120d}",
    ),
    # UN Security Council resolution 1441 (2002), 8 November 2002
    (
        "2002-11-08",
        "not later than 30 days from the date of this resolution",
        "{after: announced, within: 30d}",
    ),
    (
        "2002-11-08",
        "no later than 45 days following adoption of this resolution",
        "{after: announced, within: 45d}",
    ),
    # Agreement for Bringing Peace to Afghanistan (US–Taliban), Doha, 29 February 2020
    ("2020-02-29", "within the first 135 days", "{after: announced, within: 135d}"),
    ("2020-02-29", "within fourteen (14) months", "{after: announced, within: 14mo}"),
    ("2020-02-29", "by March 10, 2020", "2020-03-10"),
    ("2020-02-29", "on March 10, 2020", "2020-03-10"),
    ("2020-02-29", "by May 29, 2020", "2020-05-29"),
    ("2020-02-29", "by August 27, 2020", "2020-08-27"),
    (
        "2020-02-29",
        "three months after the start of intra-Afghan negotiations",
        "{after: start-of-intra-afghan-negotiations, within: 3mo}",
    ),
    # Stockholm Agreement (Hudaydah), 13 December 2018
    ("2018-12-13", "An immediate ceasefire in the city and governorate of Hudaydah", "immediate"),
    ("2018-12-13", "within 21 days", "{after: announced, within: 21d}"),
    # Lusaka Ceasefire Agreement, 10 July 1999
    (
        "1999-07-10",
        "within 24 hours after the signing of the Ceasefire Agreement",
        "{after: announced, within: 24h}",
    ),
    # General Framework Agreement for Peace in Bosnia and Herzegovina, Annex 1A, initialled 21 November 1995
    ("1995-11-21", "within thirty (30) days", "{after: announced, within: 30d}"),
    (
        "1995-11-21",
        "within forty-five (45) days after the Transfer of Authority",
        "{after: transfer-of-authority, within: 45d}",
    ),
    # Bonn Agreement on Afghanistan, 5 December 2001
    (
        "2001-12-05",
        "within six months of the establishment of the Interim Authority",
        "{after: establishment-of-interim-authority, within: 6mo}",
    ),
    (
        "2001-12-05",
        "within eighteen months of the establishment of the Transitional Authority",
        "{after: establishment-of-transitional-authority, within: 18mo}",
    ),
    (
        "2001-12-05",
        "no later than two years from the date of the convening of the Emergency Loya Jirga",
        "{after: convening-of-emergency-loya-jirga, within: 2y}",
    ),
    # Joint Comprehensive Plan of Action, 14 July 2015; UN Security Council resolution 2231 (2015), 20 July 2015
    (
        "2015-07-14",
        "90 days after the endorsement of this JCPOA by the UN Security Council",
        "{after: endorsement-of-jcpoa, within: 90d}",
    ),
    ("2015-07-20", "ten years after Adoption Day", "{after: adoption-day, within: 10y}"),
    # New START Treaty, signed 8 April 2010 (entry into force read as the announcement: README)
    (
        "2010-04-08",
        "within seven years after entry into force of this Treaty",
        "{after: announced, within: 7y}",
    ),
    # Chemical Weapons Convention, Art. XXI, opened for signature 13 January 1993
    (
        "1993-01-13",
        "180 days after the date of the deposit of the 65th instrument of ratification",
        "{after: deposit-of-65th-instrument, within: 180d}",
    ),
    # Paris Agreement, 12 December 2015 (first global stocktake)
    ("2015-12-12", "in 2023", "2023"),
    # UN General Assembly resolution 70/1 (2030 Agenda), 25 September 2015
    ("2015-09-25", "By 2030", "2030"),
    # EU–UK Withdrawal Agreement, 17 October 2019 (end of the transition period)
    ("2019-10-17", "on 31 December 2020", "2020-12-31"),
    ("2019-10-17", "until 31 December 2020", "2020-12-31"),
    # Final Agreement to End the Armed Conflict (Colombia), 24 November 2016
    ("2016-11-24", "D+180", "{after: d-day, within: 180d}"),
    ("2016-11-24", "within 180 days", "{after: announced, within: 180d}"),
    # Memorandum on the creation of de-escalation areas in Syria, Astana, 4 May 2017
    ("2017-05-04", "within 2 weeks after signing the Memorandum", "{after: announced, within: 2w}"),
    ("2017-05-04", "by 4 June 2017", "2017-06-04"),
    # Revitalised Agreement on the Resolution of the Conflict in South Sudan, 12 September 2018
    (
        "2018-09-12",
        "within thirty (30) days of the signing of this Agreement",
        "{after: announced, within: 30d}",
    ),
    # Juba Agreement for Peace in Sudan, 3 October 2020
    ("2020-10-03", "within 60 days of signing", "{after: announced, within: 60d}"),
    # Good Friday Agreement, 10 April 1998 (decommissioning; prisoners)
    (
        "1998-04-10",
        "within two years following endorsement in referendums",
        "{after: endorsement, within: 2y}",
    ),
    ("1998-04-10", "within two years", "{after: announced, within: 2y}"),
    # Additional Protocol on Idlib (Russia–Turkey), Moscow, 5 March 2020
    ("2020-03-05", "starting from 00:01 on 6 March 2020", "2020-03-06T00:01"),
    # Russia–Turkey ceasefire statement on Syria, 29 December 2016
    ("2016-12-29", "from 00:00 on 30 December 2016", "2016-12-30T00:00"),
    # European Union (Withdrawal) Act 2018, s. 20 ("exit day"), Royal Assent 26 June 2018
    ("2018-06-26", "29 March 2019 at 11.00 p.m.", "2019-03-29T23:00"),
    # UN Security Council resolution 2334 (2016), 23 December 2016 (reports every three months: refused below)
    ("2016-12-23", "within 30 days", "{after: announced, within: 30d}"),
    # variants of the rows above: hyphenation, number words, ordinals, other orders
    ("2015-12-18", "within a six-month period", "{after: announced, within: 6mo}"),  # variant: UNSCR 2254
    ("2015-12-18", "within six-months", "{after: announced, within: 6mo}"),  # variant: UNSCR 2254
    ("2015-12-18", "within eighteen months", "{after: announced, within: 18mo}"),  # variant: UNSCR 2254
    ("2015-12-18", "within one and a half years", "{after: announced, within: 18mo}"),  # variant: UNSCR 2254
    (
        "2015-02-12",
        "no later than the thirtieth day after the signing",
        "{after: announced, within: 30d}",
    ),  # variant: Minsk II
    ("2015-02-12", "within twenty-one days", "{after: announced, within: 21d}"),  # variant: Stockholm
    ("2015-02-12", "a 30-day deadline", "{after: announced, within: 30d}"),  # variant: Minsk II
    ("2016-02-22", "26 February 2016 at 12:00 Damascus time", "2016-02-26T12:00+02:00"),  # variant: US–Russia
    ("2016-02-22", "1200 hours GMT on 26 February 2016", "2016-02-26T12:00Z"),  # variant: US–Russia
    ("2015-02-12", "6 p.m. Kiev time on 15 February 2015", "2015-02-15T18:00+02:00"),  # variant: Minsk II
    ("2015-02-12", "24:00 on 14 February 2015", "2015-02-15T00:00"),  # variant: Minsk II
    ("2016-03-24", "by the end of August", "2016-08"),  # variant: seed
    ("2016-03-24", "in August 2016", "2016-08"),  # variant: seed
    ("2016-03-24", "by year-end", "2016"),  # variant: Minsk II
    ("2016-03-24", "by the end of the year", "2016"),  # variant: Minsk II
    ("2016-03-24", "late April", "late 2016-04"),  # variant: seed
    ("2016-03-24", "mid-January", "mid 2017-01"),  # variant: seed (January is past: next year's)
    ("2016-03-24", "by the end of the third quarter of 2016", "2016-Q3"),  # variant: seed
    ("2016-03-24", "in Q4 2016", "2016-Q4"),  # variant: seed
    ("2016-03-24", "the week of 4 April 2016", "2016-W14"),  # variant: seed
    ("2016-03-24", "before 1 August 2016", "2016-07-31"),  # variant: seed
    ("2016-03-24", "by the 15th of May 2016", "2016-05-15"),  # variant: seed
    ("2016-03-24", "in the coming weeks", "asap"),  # variant: seed
    ("2016-03-24", "forthwith", "immediate"),  # variant: seed
    ("2016-03-24", "at all times", "open"),  # variant: seed (humanitarian access)
    ("2016-03-24", "within 90 hours", "{after: announced, within: 90h}"),  # variant: Lusaka
    (
        "2015-12-18",
        "within a month of the adoption of this resolution",
        "{after: announced, within: 1mo}",
    ),  # variant: UNSCR 2254
    ("2015-02-12", "within a fortnight", "{after: announced, within: 14d}"),  # variant: Minsk II
    ("2016-03-24", "within the coming days", "asap"),  # variant: seed
    ("2020-02-29", "by March 10, 2020 at the latest", "2020-03-10"),  # variant: Doha
    (
        "2015-02-12",
        "within a period not exceeding 30 days",
        "{after: announced, within: 30d}",
    ),  # variant: Minsk II
    (
        "2015-02-12",
        "within thirty days of the date on which this Agreement is signed",
        "{after: announced, within: 30d}",
    ),  # variant: Minsk II
]

# (announced, phrase): must be refused, never read as some other date
REFUSED: list[tuple[str, str]] = [
    (
        "2025-01-15",
        "no later than the 16th day of the first phase",
    ),  # Israel–Hamas agreement, 15 January 2025
    ("2025-01-15", "the first phase, which lasts 42 days"),  # Israel–Hamas agreement, 15 January 2025
    ("2023-11-22", "for a period of four days"),  # Israel–Hamas humanitarian pause, 22 November 2023
    ("2016-09-09", "for seven continuous days"),  # US–Russia arrangement on Syria, 9 September 2016
    ("2016-12-29", "at midnight on 29 December 2016"),  # midnight: which side of the day?
    (
        "1998-07-17",
        "on the first day of the month after the 60th day following the date of the deposit of the 60th instrument",
    ),  # Rome Statute, art. 126
    ("2015-12-18", "early 2016"),  # no such window
    ("2016-03-24", "by mid-2016"),
    ("2016-03-24", "by the summer"),  # seasons depend on the hemisphere
    ("2016-03-24", "within six to eight months"),  # a range
    ("2016-03-24", "within a reasonable time"),
    ("2016-03-24", "03/04/2016"),  # day/month or month/day?
    ("2016-03-24", "within 10 working days"),
    ("2016-03-24", "six months"),  # a length, not a deadline
    ("2016-03-24", "by August and a draft constitution by 2017"),  # two deadlines
    ("2016-03-24", "30 February 2016"),  # no such day
    ("2016-03-24", "12:00 (Atlantis time) on 1 April 2016"),  # unknown zone
    ("2016-03-24", "within thirty (40) days"),  # words and digits disagree
    ("2016-03-24", "by Thursday"),  # said on a Thursday: today or next week?
    ("2016-03-24", "in the next fiscal year"),
    ("2016-12-23", "every three months"),  # UNSCR 2334: a recurring report, not a deadline
    ("2016-03-24", "by 5 p.m. on Friday"),  # a time the reader would drop
    ("2016-03-24", "no later than 15 days before the elections"),  # before an event: no such due form
    ("2016-03-24", "later this year"),
]


@pytest.mark.parametrize(("announced", "phrase", "expected"), PHRASES, ids=[p for _, p, _ in PHRASES])
def test_phrase_gives_the_expected_due(announced: str, phrase: str, expected: str) -> None:
    reading = read_phrase(phrase, Context(date.fromisoformat(announced)))
    assert format_due(reading.due) == expected, reading.reasoning
    assert reading.reasoning


@pytest.mark.parametrize(("announced", "phrase"), REFUSED, ids=[p for _, p in REFUSED])
def test_phrase_is_refused_not_misread(announced: str, phrase: str) -> None:
    with pytest.raises(NotUnderstood):
        read_phrase(phrase, Context(date.fromisoformat(announced)))


def test_the_table_is_large_enough() -> None:
    assert len(PHRASES) >= 60
    assert len({p for _, p, _ in PHRASES}) >= 60


def test_a_month_without_a_year_is_the_next_one_on_or_after_the_announcement() -> None:
    assert format_due(read_phrase("by August", Context(date(2016, 8, 30))).due) == "2016-08"
    assert format_due(read_phrase("by August", Context(date(2016, 9, 1))).due) == "2017-08"
    assert format_due(read_phrase("by 26 February", Context(date(2016, 2, 26))).due) == "2016-02-26"
    assert format_due(read_phrase("by 26 February", Context(date(2016, 2, 27))).due) == "2017-02-26"


def test_the_end_of_a_year_is_the_year_window() -> None:
    reading = read_phrase("the end of 2015", Context(date(2015, 2, 12)))
    assert (format_due(reading.due), reading.precision) == ("2015", Precision.YEAR)
    reading = read_phrase("by year-end", Context(date(2015, 2, 12)))
    assert (format_due(reading.due), reading.precision) == ("2015", Precision.YEAR)


def test_an_explicit_zone_overrides_the_default_zone() -> None:
    ctx = Context(date(2016, 2, 22), "America/New_York")
    assert (
        format_due(read_phrase("12:00 (Damascus time) on February 26, 2016", ctx).due)
        == "2016-02-26T12:00+02:00"
    )
    assert format_due(read_phrase("12:00 on February 26, 2016", ctx).due) == "2016-02-26T12:00"
    summer = read_phrase("12:00 (Damascus time) on 1 July 2016", ctx)
    assert format_due(summer.due) == "2016-07-01T12:00+03:00"


def test_a_relative_phrase_keeps_its_referent() -> None:
    reading = read_phrase("no later than the fifth day after the withdrawal", Context(date(2015, 2, 12)))
    assert reading.due == AfterDue("5d", "the withdrawal")
    assert reading.precision is Precision.RELATIVE


def test_an_explicit_deadline_beats_an_urgency_word() -> None:
    reading = read_phrase("immediately, and in any case within 30 days", Context(date(2016, 3, 24)))
    assert format_due(reading.due) == "{after: announced, within: 30d}"


@pytest.mark.parametrize(
    ("text", "value"),
    [("fourteen", 14), ("twenty-one", 21), ("twenty one", 21), ("one hundred and twenty", 120),
     ("thirty (30)", 30), ("30 (thirty)", 30), ("a", 1), ("135", 135), ("thirty (40)", None)],
)  # fmt: skip
def test_number_words(text: str, value: int | None) -> None:
    assert cardinal(text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [("fifth", 5), ("thirtieth", 30), ("twenty-first", 21), ("21st", 21), ("one hundred and twentieth", 120)],
)
def test_ordinals(text: str, value: int) -> None:
    assert ordinal(text) == value
