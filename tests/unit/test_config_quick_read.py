"""The quick YAML reader (``config.yamlevents``): the same data and the same places as the exact
reader, places inside list items found on demand, and the exact reader for everything unusual."""

from __future__ import annotations

import textwrap
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deadlinewatch.config.issues import DocumentMarks, IssueLog
from deadlinewatch.config.loader import LoadResult, load_config
from deadlinewatch.config.places import WrittenPlaces
from deadlinewatch.config.yamlevents import ItemMarks
from deadlinewatch.config.yamlsource import YamlDocument, parse_document, parse_exactly

REPO = Path(__file__).resolve().parents[2]


def both(text: str, env: dict[str, str] | None = None) -> tuple[YamlDocument | None, YamlDocument | None]:
    """(quick with fall-back, exact), each with its own log; the logs must match too."""
    quick_log, exact_log = IssueLog(), IssueLog()
    quick = parse_document(text, "c.yaml", env or {}, quick_log)
    exact = parse_exactly(text, "c.yaml", env or {}, exact_log)
    assert quick_log == exact_log
    return quick, exact


def assert_same(text: str, env: dict[str, str] | None = None) -> YamlDocument | None:
    quick, exact = both(text, env)
    assert (quick is None) == (exact is None)
    if quick is None or exact is None:
        return quick
    assert quick.data == exact.data
    for path in exact.marks.values:
        assert quick.marks.place(path) == exact.marks.place(path), path
    for path in exact.marks.keys:
        assert quick.marks.place(path, key=True) == exact.marks.place(path, key=True), path
    # paths that are not written fall back to the nearest written ancestor, in both
    for path in list(exact.marks.values)[:200]:
        missing = (*path, "not-there", 3)
        assert quick.marks.place(missing) == exact.marks.place(missing), missing
        assert quick.marks.place(missing, key=True) == exact.marks.place(missing, key=True), missing
    return quick


def is_quick(document: YamlDocument | None) -> bool:
    return document is not None and document.marks.items is not None


SAMPLES = [
    """
    timezone: UTC
    channels: {desk: {type: console}, mail: {type: email, to: [a@example.org]}}
    commitments:
      - {id: a, title: Ceasefire – "nationwide", due: 2016-08, tags: [x, y]}
      - id: b
        title: |
          Two lines
          of title
        due:
          after: a
          within: 18mo
        history:
          - {at: 2016-01-01, status: pending}
          - at: "2016-02-01"
            status: fulfilled   # a comment
      - "just a string"
      - [1, 2.5, true, null, ~, no, 22:00, 0x1F]
      -
      - {due: {earliest_of: [2016-Q3, {after: b, within: 1y}]}}
    """,
    """
    commitments: [
      {id: é1, title: "ééé, quoted", due: asap},
      {id: e2,
       title: 'multi
         line', due: 2016-W07}, plain, {}
    ]
    agreements:
    - id: x
      title: indentless
    -   id: y
        title: indented more
    """,
    """
    # only top-level scalars and an empty section
    database: ${DB:-sqlite:///x.db}
    http: {listen: "127.0.0.1:8080"}
    sources:
    subscriptions: []
    """,
    "\ufeffcommitments:\n  - {id: bom, title: B, due: 2016}\n",
    "commitments:\n  - {id: a, title: 😀 x, due: 2016}\n  - id: b\n    title: 😀😀\n    due: {after: a, within: 1y}\n",
    "",
    "just a scalar\n",
    "- a\n- {b: c}\n",
]


def test_the_quick_reader_reads_what_the_exact_reader_reads() -> None:
    for sample in SAMPLES:
        text = textwrap.dedent(sample).lstrip("\n") if sample.startswith("\n") else sample
        assert is_quick(assert_same(text, {"DB": "postgresql://db"})) or not text.strip(), text


def test_the_shipped_configs_read_the_same_both_ways() -> None:
    files = sorted((REPO / "config").rglob("*.yaml")) + sorted((REPO / "tests").rglob("*.y*ml"))
    assert files
    for file in files:
        assert_same(file.read_text(encoding="utf-8"))


_names = st.sampled_from(["id", "title", "due", "tags", "at", "after", "a b", "x"])
_scalars = st.one_of(
    st.text(alphabet="abcé -:,#'\"{}[]\n0123456789", max_size=12),
    st.integers(-5, 5000),
    st.booleans(),
    st.none(),
    st.sampled_from(["2016-08-31", "no", "22:00", "1e3", "~", "${X}", "${X:-d}"]),
)


def _nested(inner: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.one_of(st.lists(inner, max_size=3), st.dictionaries(_names, inner, max_size=3))


_values = st.recursive(_scalars, _nested, max_leaves=12)
_documents = st.fixed_dictionaries(
    {},
    optional={
        "commitments": st.lists(_values, max_size=4),
        "agreements": st.lists(st.dictionaries(_names, _values, max_size=4), max_size=3),
        "channels": st.dictionaries(_names, _values, max_size=2),
        "timezone": _scalars,
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=_documents, flow=st.sampled_from([True, False, None]), width=st.sampled_from([20, 80]))
def test_any_dumped_document_reads_the_same_both_ways(
    document: object, flow: bool | None, width: int
) -> None:
    text = yaml.safe_dump(document, default_flow_style=flow, width=width, allow_unicode=True, sort_keys=False)
    assert_same(text, {"X": "from env"})


def test_anything_unusual_is_read_the_exact_way() -> None:
    unusual = [
        "base: &b {title: T}\ncommitments:\n  - {<<: *b, id: a}\n",  # anchors, aliases, merge keys
        "commitments:\n  - !!str {id: a}\n",  # an explicit tag
        "commitments:\n  - {id: a, id: b}\n",  # a repeated key
        "commitments:\n  - {id: a, title: Talks, whichever first, due: 2016}\n",  # a comma in a value
        "commitments:\n  - {id: a, title: ${NOT_SET}}\n",  # an unset variable
        "commitments:\n  - {1: a}\n",  # a key that is not a string
        "a: 1\n---\nb: 2\n",  # two documents
        "commitments:\n  - {id: a\n",  # a syntax error
        "a: " + "[" * 80 + "]" * 80 + "\n",  # deep nesting
    ]
    for text in unusual:
        quick, _ = both(text)
        assert not is_quick(quick), text
        assert_same(text)


def load(tmp_path: Path, text: str) -> LoadResult:
    file = tmp_path / "c.yaml"
    file.write_text(text, encoding="utf-8")
    return load_config(file, {})


def many_commitments(count: int) -> list[str]:
    return [f"  - {{id: c{i}, title: Commitment {i}, due: 2026-03}}" for i in range(count)]


def test_errors_inside_items_of_a_large_file_name_their_line_and_column(tmp_path: Path) -> None:
    lines = ["commitments:", *many_commitments(2000)]
    lines[1500] = "  - {id: c1499, title: Ünïcödé title, due: 2026-03, dew: 2026-04}"
    lines[1700:1700] = [
        "  - id: block",
        "    title: Block",
        "    due:",
        "      earliest_of: [2026-01, {after: c1, within: 18 fortnights}]",
        "  - id: refers",
        "    title: Refers",
        "    agreement: nope",
        "    due:",
        "      earliest_of: [2026-01, {within: 18mo, after: ghost}]",
    ]
    result = load(tmp_path, "\n".join(lines) + "\n")
    assert result.config is None
    assert [str(error).removeprefix(f"{tmp_path / 'c.yaml'}:") for error in result.errors] == [
        "1501:53: commitments.c1499.dew: unknown key 'dew'",
        "1704:7: commitments.block.due: '18 fortnights' is not a duration: use a number and a unit "
        "(45s, 90m, 12h, 14d, 2w, 6mo, 1y) or ISO 8601 (P18M, P14D, PT12H)",
        "1707:16: commitments.refers.agreement: unknown agreement 'nope'",
        "1709:52: commitments.refers.due.earliest_of[1].after: unknown commitment 'ghost'",
    ]


def test_a_duplicate_id_names_both_places_in_a_large_file(tmp_path: Path) -> None:
    lines = ["commitments:", *many_commitments(3000), "  - {title: Again, id: c17, due: 2026}"]
    result = load(tmp_path, "\n".join(lines) + "\n")
    file = tmp_path / "c.yaml"
    assert [str(e) for e in result.errors] == [
        f"{file}:3002:24: commitments.c17.id: duplicate commitment id 'c17': also defined at {file}:19:10"
    ]


def test_show_finds_the_line_of_an_item_and_of_its_due(tmp_path: Path) -> None:
    text = "\n".join(
        [
            "channels:",
            "  desk: {type: console}",
            "commitments:",
            *many_commitments(3),
            "  - id: block",
            "    title: Block",
            "    tags: [a]",
            "    due: 2026-05",
            "subscriptions:",
            "  - {name: all, notify: [desk]}",
        ]
    )
    config = load(tmp_path, text + "\n").config
    assert config is not None
    file = tmp_path / "c.yaml"
    assert config.locate("commitments", "c1") == f"{file}:5"
    assert config.locate("commitments", "c1", "due") == f"{file}:5"
    assert config.locate("commitments", "block") == f"{file}:7"
    assert config.locate("commitments", "block", "due") == f"{file}:10"
    assert config.locate("commitments", "block", "title") == f"{file}:7"
    assert config.locate("subscriptions", "all") == f"{file}:12"
    assert config.locate("channels", "desk") == f"{file}:2"
    assert config.locate("commitments", "nope") is None
    assert config.locate("commitments") is None


def test_an_item_that_cannot_be_read_alone_is_located_in_the_whole_document() -> None:
    whole = DocumentMarks("c.yaml", values={("commitments", 0, "title"): (7, 9)})
    asked: list[str] = []

    def parse_item(text: str, file: str) -> DocumentMarks | None:
        asked.append("item")
        return None

    def parse_document(text: str, file: str) -> DocumentMarks:
        asked.append("document")
        return whole

    items = ItemMarks("c.yaml", "commitments:\n  - {title: x}\n", parse_item, parse_document)
    items.add("commitments", 2, 5, 16, 26, (0, 0))
    assert items.place(("commitments", 0), key=False) == (2, 5)
    assert items.place(("commitments", 0, "title"), key=False) == (7, 9)
    assert items.place(("commitments", 0, "title"), key=False) == (7, 9)
    assert asked == ["item", "document"]
    assert items.place(("commitments", 1, "title"), key=False) is None  # no such item
    assert items.place(("agreements", 0), key=False) is None


def test_an_item_read_alone_must_start_where_it_did() -> None:
    def parse_item(text: str, file: str) -> DocumentMarks | None:
        return DocumentMarks(file, values={(): (1, 1), ("title",): (1, 2)})  # not at 2:5

    whole = DocumentMarks("c.yaml", values={("commitments", 0, "title"): (2, 13)})
    items = ItemMarks("c.yaml", "", parse_item, lambda text, file: whole)
    items.add("commitments", 2, 5, 16, 26, (0, 0))
    assert items.place(("commitments", 0, "title"), key=False) == (2, 13)


def test_written_places_keep_the_first_item_and_a_due_only_where_recorded() -> None:
    places = WrittenPlaces()
    places.add("commitments", "a", "one.yaml", 3, 5)
    places.add("commitments", "a", "two.yaml", 9, 9)
    places.add("agreements", "a", "two.yaml", 4)
    assert places.locate("commitments", "a") == "one.yaml:3"
    assert places.locate("commitments", "a", ("due",)) == "one.yaml:5"
    assert places.locate("commitments", "a", ("due", "after")) == "one.yaml:3"
    assert places.locate("agreements", "a", ("due",)) == "two.yaml:4"
    assert places.locate("channels", "a") is None
