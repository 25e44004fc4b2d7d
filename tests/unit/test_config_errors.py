"""Every kind of config error: exact FILE:LINE, field path and a key phrase of the message."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from deadlinewatch.config.loader import ConfigIssue, LoadResult, load_config


def load(tmp_path: Path, text: str, env: dict[str, str] | None = None, name: str = "c.yaml") -> LoadResult:
    file = tmp_path / name
    file.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return load_config(file, env or {})


def one_error(result: LoadResult) -> ConfigIssue:
    assert result.config is None
    assert len(result.errors) == 1, [str(e) for e in result.errors]
    return result.errors[0]


def assert_error(result: LoadResult, line: int, field: str, phrase: str) -> None:
    error = one_error(result)
    assert (error.line, error.field) == (line, field), str(error)
    assert phrase in error.message, str(error)
    assert str(error).startswith(f"{error.file}:{line}:{error.column}: {field}: ")


def test_unknown_key_in_commitment(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        """
        commitments:
          - id: a
            title: A
            due: 2016-08
            tagz: [x]
        """,
    )
    assert_error(result, 5, "commitments.a.tagz", "unknown key 'tagz' (did you mean 'tags'?)")
    assert result.errors[0].column == 5


def test_unknown_top_level_key(tmp_path: Path) -> None:
    assert_error(load(tmp_path, "timezon: UTC\n"), 1, "timezon", "unknown top-level key 'timezon'")


def test_wrong_type(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        """
        commitments:
          - id: a
            title: [not, a, string]
            due: 2016
        """,
    )
    assert_error(result, 3, "commitments.a.title", "valid string")


def test_missing_key_points_at_parent(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        """
        commitments:
          - id: a
            due: 2016
        """,
    )
    assert_error(result, 2, "commitments.a.title", "missing required key 'title'")


def test_item_without_id_is_named_by_position(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        """
        commitments:
          - id: a
            title: A
            due: 2016
          - title: B
            due: 2016
        """,
    )
    assert_error(result, 5, "commitments[1].id", "missing required key 'id'")


def test_duplicate_id_in_one_file(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        """
        commitments:
          - {id: a, title: A, due: 2016}
          - {id: a, title: B, due: 2017}
        """,
    )
    error = one_error(result)
    assert (error.line, error.field) == (3, "commitments.a.id")
    assert f"duplicate commitment id 'a': also defined at {tmp_path / 'c.yaml'}:2:" in error.message


def test_duplicate_subscription_name(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        """
        channels: {console: {type: console}}
        subscriptions:
          - {name: s, notify: [console]}
          - {name: s, notify: [console]}
        """,
    )
    assert_error(result, 4, "subscriptions.s.name", "duplicate subscription name 's'")


def test_duplicate_source_id(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        """
        sources:
          - {id: f, type: file, path: a.csv}
          - {id: f, type: file, path: b.csv}
        """,
    )
    assert_error(result, 3, "sources.f.id", "duplicate source id 'f'")


def test_unknown_agreement(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        """
        commitments:
          - id: a
            title: A
            agreement: nope
            due: 2016
        """,
    )
    assert_error(result, 4, "commitments.a.agreement", "unknown agreement 'nope'")


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        ("commitments:\n  - {id: a, title: A, due: 2016, policy: p}\n", 2, "commitments.a.policy"),
        ("agreements:\n  - {id: g, title: G, policy: p}\n", 2, "agreements.g.policy"),
        (
            "channels: {c: {type: console}}\nsubscriptions:\n  - {name: s, notify: [c], policy: p}\n",
            3,
            "subscriptions.s.policy",
        ),
    ],
)
def test_unknown_policy(tmp_path: Path, text: str, line: int, field: str) -> None:
    assert_error(load(tmp_path, text), line, field, "unknown policy 'p'")


def test_default_policy_may_be_named_without_being_defined(tmp_path: Path) -> None:
    result = load(tmp_path, "commitments:\n  - {id: a, title: A, due: 2016, policy: default}\n")
    assert result.errors == ()


def test_unknown_channel_in_notify(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        """
        channels: {console: {type: console}}
        subscriptions:
          - name: s
            notify:
              - console
              - slak
        """,
    )
    assert_error(result, 6, "subscriptions.s.notify[1]", "unknown channel 'slak'")


def test_unknown_smtp_profile(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        """
        channels:
          mail: {type: email, to: [a@example.org], smtp: nope}
        """,
    )
    assert_error(result, 2, "channels.mail.smtp", "unknown smtp profile 'nope'")


def test_unknown_commitment_in_after(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        """
        commitments:
          - id: a
            title: A
            due: {after: nope, within: 18mo}
        """,
    )
    assert_error(result, 4, "commitments.a.due.after", "unknown commitment 'nope'")


def test_unknown_commitment_inside_derived_member(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        """
        commitments:
          - id: a
            title: A
            due:
              earliest_of:
                - 2016-08
                - {after: nope, within: 30d}
        """,
    )
    assert_error(result, 7, "commitments.a.due.earliest_of[1].after", "unknown commitment 'nope'")


def test_unknown_commitment_in_source_rule(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        """
        commitments: [{id: a, title: A, due: 2016}]
        sources:
          - id: feed
            type: feed
            url: https://example.org/rss
            rules:
              - {match: "x", commitments: [a, nope]}
        """,
    )
    assert_error(result, 7, "sources.feed.rules[0].commitments[1]", "unknown commitment 'nope'")


def test_unknown_commitment_in_http_json(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        """
        sources:
          - id: api
            type: http_json
            url: https://example.org/api
            status: "items[?id=='{id}'].status | [0]"
            commitments: [nope]
        """,
    )
    assert_error(result, 6, "sources.api.commitments[0]", "unknown commitment 'nope'")


def test_unknown_commitment_in_match(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        """
        channels: {c: {type: console}}
        subscriptions:
          - name: s
            notify: [c]
            match: {commitments: [nope]}
        """,
    )
    assert_error(result, 5, "subscriptions.s.match.commitments[0]", "unknown commitment 'nope'")


def test_cycle_among_relative_deadlines(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        """
        commitments:
          - {id: a, title: A, due: {after: b, within: 1d}}
          - id: b
            title: B
            due: {latest_of: [2016, {after: a, within: 1d}]}
        """,
    )
    error = one_error(result)
    assert error.field == "commitments.a.due"
    assert error.line == 2
    assert "cycle: a -> b -> a" in error.message


def test_self_reference_is_a_cycle(tmp_path: Path) -> None:
    result = load(tmp_path, "commitments:\n  - {id: a, title: A, due: {after: a, within: 1d}}\n")
    assert_error(result, 2, "commitments.a.due", "cycle: a -> a")


def test_invalid_time_zone(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        """
        agreements:
          - id: g
            title: G
            timezone: Mars/Olympus
        """,
    )
    assert_error(result, 4, "agreements.g.timezone", "unknown time zone 'Mars/Olympus'")


def test_invalid_top_level_time_zone(tmp_path: Path) -> None:
    assert_error(load(tmp_path, "timezone: Nowhere/Land\n"), 1, "timezone", "unknown time zone")


def test_impossible_date(tmp_path: Path) -> None:
    result = load(tmp_path, "commitments:\n  - id: a\n    title: A\n    due: 2016-02-30\n")
    assert_error(result, 4, "commitments.a.due", "does not exist on the calendar")


def test_impossible_history_date(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        """
        commitments:
          - id: a
            title: A
            due: 2016
            history:
              - {at: 2016-02-30, status: missed}
        """,
    )
    assert_error(result, 6, "commitments.a.history[0].at", "does not exist on the calendar")


def test_bad_due_form(tmp_path: Path) -> None:
    result = load(tmp_path, "commitments:\n  - id: a\n    title: A\n    due: by August\n")
    assert_error(result, 4, "commitments.a.due", "is not a due date")


def test_bad_status(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        """
        commitments:
          - id: a
            title: A
            due: 2016
            history:
              - at: 2016-08-01
                status: done
        """,
    )
    assert_error(result, 7, "commitments.a.history[0].status", "'fulfilled'")


def test_bad_email_address(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        """
        smtp:
          default: {host: localhost, from: dw@example.org}
        channels:
          mail:
            type: email
            to: [desk@example.org, not-an-address]
        """,
    )
    assert_error(result, 6, "channels.mail.to[1]", "not a valid email address")


def test_bad_regular_expression(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        """
        commitments: [{id: a, title: A, due: 2016}]
        sources:
          - id: feed
            type: feed
            url: https://example.org/rss
            rules:
              - match: "(unclosed"
                commitments: [a]
        """,
    )
    assert_error(result, 7, "sources.feed.rules[0].match", "invalid regular expression")


def test_bad_jmespath(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        """
        sources:
          - id: api
            type: http_json
            url: https://example.org/api
            status: "items[?id=="
        """,
    )
    assert_error(result, 5, "sources.api.status", "invalid JMESPath expression")


def test_bad_cron(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        """
        channels: {c: {type: console}}
        subscriptions:
          - name: s
            notify: [c]
            digest: {cron: "0 8 * * FUNDAY"}
        """,
    )
    assert_error(result, 5, "subscriptions.s.digest.cron", "day-of-week")


def test_bad_duration(tmp_path: Path) -> None:
    result = load(tmp_path, "policies:\n  default:\n    grace: 3 days\n")
    assert_error(result, 3, "policies.default.grace", "is not a duration")


def test_remind_before_must_give_distinct_instants(tmp_path: Path) -> None:
    result = load(tmp_path, "policies:\n  default:\n    remind_before: [30d, 7d, 1w]\n")
    assert_error(result, 3, "policies.default.remind_before[2]", "1w gives the same instant as 7d")


def test_remind_before_values_that_coincide_without_a_dst_change_are_an_error(tmp_path: Path) -> None:
    # SPEC §2: 1d and 24h give the same instant on every day without a daylight-saving change.
    result = load(tmp_path, "policies:\n  default:\n    remind_before: [7d, 1d, 24h]\n")
    error = one_error(result)
    assert str(error) == (
        f"{error.file}:3:29: policies.default.remind_before[2]: 24h gives the same instant as 1d on "
        "any day without a daylight-saving change: each must differ; remove one of them"
    )
    result = load(tmp_path, "policies:\n  p:\n    remind_before: [PT36H, P1DT12H, 1d]\n")
    assert_error(result, 3, "policies.p.remind_before[1]", "P1DT12H gives the same instant as PT36H")


def test_remind_before_values_distinct_in_elapsed_time_pass(tmp_path: Path) -> None:
    result = load(tmp_path, "policies:\n  default:\n    remind_before: [1mo, 30d, 1d, 23h, 25h]\n")
    assert result.config is not None, [str(e) for e in result.errors]


def test_remind_before_must_be_positive(tmp_path: Path) -> None:
    result = load(tmp_path, "policies:\n  p:\n    remind_before: [0d]\n")
    assert_error(result, 3, "policies.p.remind_before[0]", "not positive")


def test_open_form_needs_announced(tmp_path: Path) -> None:
    result = load(tmp_path, "commitments:\n  - id: a\n    title: A\n    due: asap\n")
    assert_error(result, 4, "commitments.a.due", "'asap' needs an 'announced' date")


def test_after_announced_needs_announced(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        """
        agreements: [{id: g, title: G}]
        commitments:
          - id: a
            title: A
            agreement: g
            due: {after: announced, within: 14d}
        """,
    )
    assert_error(result, 6, "commitments.a.due", "'after: announced' needs an 'announced' date")


def test_open_form_with_agreement_announced_is_valid(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        """
        agreements: [{id: g, title: G, announced: 2016-03-24}]
        commitments: [{id: a, title: A, agreement: g, due: immediate}]
        """,
    )
    assert result.errors == ()


def test_unknown_event_name(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        """
        channels: {c: {type: console}}
        subscriptions:
          - name: s
            notify: [c]
            events: [reminder, overdu]
        """,
    )
    assert_error(result, 5, "subscriptions.s.events[1]", "'overdue'")


def test_quiet_hours_time_format(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        """
        channels: {c: {type: console}}
        subscriptions:
          - name: s
            notify: [c]
            quiet_hours:
              start: 22:00
              end: 7am
        """,
    )
    assert_error(result, 7, "subscriptions.s.quiet_hours.end", '"HH:MM"')


def test_huge_title_is_rejected(tmp_path: Path) -> None:
    result = load(tmp_path, "commitments:\n  - id: a\n    title: " + "x" * 20_000 + "\n    due: 2016\n")
    error = one_error(result)
    assert (error.line, error.field) == (3, "commitments.a.title")
    assert "at most 10000" in error.message
    assert "xxxxxxxxxx" not in str(error)


def test_hostile_id_is_rejected(tmp_path: Path) -> None:
    result = load(tmp_path, 'commitments:\n  - id: "<!channel> hi"\n    title: A\n    due: 2016\n')
    error = one_error(result)
    assert (error.line, error.field) == (2, "commitments[0].id")
    assert "is not a valid id" in error.message


def test_unknown_channel_type(tmp_path: Path) -> None:
    result = load(tmp_path, "channels:\n  x: {type: pager}\n")
    assert_error(result, 2, "channels.x.type", "unknown channel type 'pager'")


def test_missing_env_var_is_an_error_at_its_line(tmp_path: Path) -> None:
    result = load(tmp_path, "timezone: UTC\ndatabase: ${NO_SUCH_VAR}\n")
    assert_error(result, 2, "database", "environment variable NO_SUCH_VAR is not set")


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    result = load(tmp_path, "commitments:\n  - id: a\n    title: [unclosed\n    due: 2016\n")
    error = one_error(result)
    assert error.field == "(yaml)"
    assert "YAML syntax error" in error.message
    assert error.line >= 3


def test_yaml_duplicate_key_in_mapping(tmp_path: Path) -> None:
    result = load(tmp_path, "commitments:\n  - id: a\n    title: A\n    title: B\n    due: 2016\n")
    assert_error(result, 4, "commitments[0].title", "appears twice")


def test_three_independent_errors_are_all_reported(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        """
        timezone: Mars/Base
        commitments:
          - id: a
            title: A
            due: 2016-13
          - id: b
            title: B
            due: 2016
            agreement: missing
        """,
    )
    assert result.config is None
    assert [(e.line, e.field) for e in result.errors] == [
        (1, "timezone"),
        (5, "commitments.a.due"),
        (9, "commitments.b.agreement"),
    ]


def test_missing_config_path(tmp_path: Path) -> None:
    result = load_config(tmp_path / "nowhere", {})
    assert result.config is None
    assert "no such file or folder" in result.errors[0].message


def test_alias_bomb_is_rejected_quickly(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    result = load(tmp_path, "\n".join(lines) + "\n")
    assert_error(result, 1, "(yaml)", "aliases expand too far")
