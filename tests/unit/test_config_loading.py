"""Loading valid configs: merging files, interpolation, YAML typing and conversion to domain objects."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, time
from pathlib import Path

from deadlinewatch.config.loader import LoadResult, load_config
from deadlinewatch.config.schema import EmailChannel, FeedSource, HttpJsonSource, SlackChannel, SmtpProfile
from deadlinewatch.domain.model import (
    AbsoluteDue,
    CalendarDue,
    DerivedDue,
    EventKind,
    OpenDue,
    Precision,
    RelativeDue,
    Status,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "configs"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def ok(result: LoadResult) -> None:
    assert result.errors == (), [str(e) for e in result.errors]
    assert result.config is not None


def test_valid_fixture_with_every_due_form() -> None:
    result = load_config(FIXTURES / "valid", {})
    ok(result)
    assert result.config is not None
    commitments = result.config.watchlist.commitments
    assert isinstance(commitments["f-instant"].due, CalendarDue)
    assert commitments["f-instant"].due.precision is Precision.INSTANT
    assert isinstance(commitments["f-instant-z"].due, AbsoluteDue)
    assert commitments["f-instant-offset"].due == AbsoluteDue(datetime(2016, 2, 26, 8, 0, tzinfo=UTC))
    precisions = {cid: c.due.precision for cid, c in commitments.items() if isinstance(c.due, CalendarDue)}
    assert precisions["f-week"] is Precision.WEEK
    assert precisions["f-mid"] is Precision.PART_OF_MONTH
    assert precisions["f-quarter"] is Precision.QUARTER
    assert isinstance(commitments["f-open"].due, OpenDue)
    assert isinstance(commitments["f-after"].due, RelativeDue)
    assert isinstance(commitments["f-latest"].due, DerivedDue)
    assert commitments["f-late"].overdue_at_opens
    # file order: deadlinewatch.yaml before dueforms.yml
    assert list(commitments)[:2] == ["syria-transition-framework", "syria-draft-constitution"]
    summary = result.config.summary()
    assert "\n" not in summary
    assert "1 agreement, 21 commitments, 2 subscriptions, 3 channels, 1 source" in summary


def test_example_values_are_converted() -> None:
    result = load_config(FIXTURES / "valid" / "deadlinewatch.yaml", {"SMTP_HOST": "mail.example.org"})
    ok(result)
    config = result.config
    assert config is not None
    assert config.database == "sqlite:///data/deadlinewatch.db"
    assert config.http_listen == "127.0.0.1:8080"
    smtp = config.smtp["default"]
    assert isinstance(smtp, SmtpProfile)
    assert (smtp.host, smtp.port, smtp.starttls, smtp.from_address) == (
        "mail.example.org",
        587,
        True,
        "deadlinewatch@example.org",
    )
    email = config.channels["desk-email"]
    assert isinstance(email, EmailChannel) and email.configured
    slack = config.channels["syria-slack"]
    assert isinstance(slack, SlackChannel) and not slack.configured
    assert config.channels["console"].configured
    feed = config.sources[0]
    assert isinstance(feed, FeedSource)
    assert feed.rules[0].match.search("New DRAFT CONSTITUTION text")
    framework = config.watchlist.commitments["syria-transition-framework"]
    # a date-only history entry is 00:00 in the agreement's zone (Asia/Damascus, UTC+3 in summer)
    assert framework.history[0].at == datetime(2016, 7, 31, 21, 0, tzinfo=UTC)
    assert framework.history[0].status is Status.MISSED
    agreement = config.watchlist.agreements["kerry-lavrov-2016"]
    assert agreement.announced == datetime(2016, 3, 24)
    desk = config.watchlist.subscriptions[0]
    assert desk.match.tags == frozenset({"syria"})
    assert desk.match.commitments is None
    assert desk.events is None
    assert desk.quiet_hours is not None and desk.quiet_hours.start == time(22, 0)
    assert desk.digest is not None and desk.digest.timezone == "America/New_York"
    ops = config.watchlist.subscriptions[1]
    assert ops.events == frozenset(
        {
            EventKind.SOURCE_FAILING,
            EventKind.SOURCE_RECOVERED,
            EventKind.CHANNEL_FAILING,
            EventKind.CONFIG_ERROR,
        }
    )
    policy = config.watchlist.policies["default"]
    assert policy.escalate_after_set and policy.escalate_after is not None
    assert (
        config.locate("commitments", "syria-elections") == f"{FIXTURES / 'valid' / 'deadlinewatch.yaml'}:47"
    )
    assert config.locate("commitments", "nope") is None


def test_slack_token_from_env_is_used_and_never_shown() -> None:
    result = load_config(FIXTURES / "valid" / "deadlinewatch.yaml", {"SLACK_BOT_TOKEN": "xoxb-secret-123"})
    ok(result)
    assert result.warnings == ()
    assert result.config is not None
    slack = result.config.channels["syria-slack"]
    assert isinstance(slack, SlackChannel) and slack.configured
    assert slack.token is not None and slack.token.get_secret_value() == "xoxb-secret-123"
    assert "xoxb-secret-123" not in repr(result.config.channels)


def test_warnings_for_missing_credentials(tmp_path: Path) -> None:
    write(
        tmp_path,
        "c.yaml",
        """
        smtp:
          default: {host: "${SMTP_HOST:-}", from: dw@example.org}
        channels:
          slack: {type: slack, channel: "#x"}
          mail: {type: email, to: [a@example.org]}
        """,
    )
    result = load_config(tmp_path, {})
    ok(result)
    assert [(w.line, w.field) for w in result.warnings] == [
        (4, "channels.slack.token"),
        (5, "channels.mail.smtp"),
    ]
    assert "no host" in result.warnings[1].message


def test_env_interpolation(tmp_path: Path) -> None:
    write(
        tmp_path,
        "c.yaml",
        """
        database: "postgresql://${DB_USER}:${DB_PASS:-x}@${DB_HOST:-localhost}/dw"
        smtp:
          default: {host: h, port: "${SMTP_PORT:-2525}", starttls: false, from: dw@example.org}
        """,
    )
    result = load_config(tmp_path, {"DB_USER": "me", "DB_PASS": "hunter2"})
    ok(result)
    assert result.config is not None
    assert result.config.database == "postgresql://me:hunter2@localhost/dw"
    assert result.config.smtp["default"].port == 2525


def test_secret_values_do_not_appear_in_messages(tmp_path: Path) -> None:
    write(
        tmp_path,
        "c.yaml",
        "smtp:\n  default: {host: h, password: ${PW}, port: ${PW}, from: dw@example.org}\n",
    )
    result = load_config(tmp_path, {"PW": "hunter2-secret"})
    assert result.errors
    assert all("hunter2" not in str(e) for e in result.errors)


def test_yaml_keeps_no_and_times_as_strings(tmp_path: Path) -> None:
    write(
        tmp_path,
        "c.yaml",
        """
        agreements:
          - {id: g, title: G, parties: [no, yes, on, off], announced: 2016-03-24}
        channels: {c: {type: console}}
        subscriptions:
          - {name: s, notify: [c], quiet_hours: {start: 22:00, end: 07:00}}
        """,
    )
    result = load_config(tmp_path, {})
    ok(result)
    assert result.config is not None
    assert result.config.watchlist.agreements["g"].parties == ("no", "yes", "on", "off")
    quiet = result.config.watchlist.subscriptions[0].quiet_hours
    assert quiet is not None and (quiet.start, quiet.end, quiet.timezone) == (time(22), time(7), "UTC")


def test_folder_files_are_merged_in_sorted_order(tmp_path: Path) -> None:
    write(tmp_path, "b/second.yml", "commitments:\n  - {id: b, title: B, due: 2017}\n")
    write(tmp_path, "a.yaml", "timezone: Europe/Paris\ncommitments:\n  - {id: a, title: A, due: 2016}\n")
    write(tmp_path, "notes.txt", "not: yaml config\n")
    write(tmp_path, ".hidden/x.yaml", "commitments:\n  - {id: a, title: A, due: 2016}\n")
    result = load_config(tmp_path, {})
    ok(result)
    assert result.config is not None
    assert list(result.config.watchlist.commitments) == ["a", "b"]
    assert result.config.watchlist.timezone == "Europe/Paris"
    assert [p.name for p in result.config.files] == ["a.yaml", "second.yml"]


def test_duplicate_id_across_files_names_both_places(tmp_path: Path) -> None:
    first = write(tmp_path, "a.yaml", "commitments:\n  - {id: x, title: A, due: 2016}\n")
    second = write(tmp_path, "b.yaml", "timezone: UTC\ncommitments:\n  - {id: x, title: B, due: 2016}\n")
    result = load_config(tmp_path, {})
    assert result.config is None
    [error] = result.errors
    assert (error.file, error.line, error.field) == (str(second), 3, "commitments.x.id")
    assert f"also defined at {first}:2:" in error.message


def test_same_map_key_in_two_files(tmp_path: Path) -> None:
    first = write(tmp_path, "a.yaml", "policies:\n  default: {grace: 1d}\n")
    second = write(tmp_path, "b.yaml", "policies:\n  strict: {grace: 0d}\n  default: {grace: 2d}\n")
    result = load_config(tmp_path, {})
    [error] = result.errors
    assert (error.file, error.line, error.field) == (str(second), 3, "policies.default")
    assert f"also defined at {first}:2:3" in error.message


def test_same_channel_and_smtp_in_two_files(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "channels: {c: {type: console}}\nsmtp: {s: {host: h, from: a@example.org}}\n")
    write(tmp_path, "b.yaml", "channels: {c: {type: console}}\nsmtp: {s: {host: h, from: a@example.org}}\n")
    result = load_config(tmp_path, {})
    assert [(e.line, e.field) for e in result.errors] == [(1, "channels.c"), (2, "smtp.s")]


def test_same_scalar_in_two_files(tmp_path: Path) -> None:
    first = write(tmp_path, "a.yaml", "timezone: UTC\n")
    second = write(tmp_path, "b.yaml", "database: sqlite://\ntimezone: Europe/London\n")
    result = load_config(tmp_path, {})
    [error] = result.errors
    assert (error.file, error.line, error.field) == (str(second), 2, "timezone")
    assert f"also set at {first}:1:1" in error.message


def test_history_is_sorted_by_instant_and_naive_entries_use_the_commitment_zone(tmp_path: Path) -> None:
    write(
        tmp_path,
        "c.yaml",
        """
        timezone: UTC
        commitments:
          - id: a
            title: A
            due: 2016
            timezone: Asia/Tokyo
            history:
              - {at: "2016-05-01T00:00Z", status: fulfilled}
              - {at: 2016-05-01, status: in_progress, verified: true, origin: un-feed}
              - {at: 2016-05-01, status: partial}
        """,
    )
    result = load_config(tmp_path, {})
    ok(result)
    assert result.config is not None
    history = result.config.watchlist.commitments["a"].history
    assert [h.status for h in history] == [Status.IN_PROGRESS, Status.PARTIAL, Status.FULFILLED]
    assert history[0].at == datetime(2016, 4, 30, 15, 0, tzinfo=UTC)
    assert history[0].verified and history[0].origin == "un-feed"


def test_policy_conversion(tmp_path: Path) -> None:
    write(
        tmp_path,
        "c.yaml",
        """
        policies:
          default: {repeat_overdue_every: 0d}
          quiet: {escalate_after: none, remind_before: []}
        """,
    )
    result = load_config(tmp_path, {})
    ok(result)
    assert result.config is not None
    policies = result.config.watchlist.policies
    assert policies["default"].repeat_overdue_every is not None
    assert policies["default"].repeat_overdue_every.is_zero
    assert not policies["default"].escalate_after_set
    assert policies["quiet"].escalate_after_set and policies["quiet"].escalate_after is None
    assert policies["quiet"].remind_before == ()


def test_http_json_source(tmp_path: Path) -> None:
    write(
        tmp_path,
        "c.yaml",
        """
        commitments: [{id: a, title: A, due: 2016}]
        sources:
          - id: api
            type: http_json
            url: https://example.org/api
            headers: {Authorization: "Bearer ${API_TOKEN:-none}"}
            status: "items[?id=='{id}'].state | [0]"
            map: {done: fulfilled, true: in_progress, 3: partial}
        """,
    )
    result = load_config(tmp_path, {})
    ok(result)
    assert result.config is not None
    source = result.config.sources[0]
    assert isinstance(source, HttpJsonSource)
    assert source.status.search({"items": [{"id": "a", "state": "done"}]}, "a") == "done"
    assert source.map == {"done": Status.FULFILLED, "true": Status.IN_PROGRESS, "3": Status.PARTIAL}
    assert source.headers == {"Authorization": "Bearer none"}


def test_unquoted_comma_in_flow_mapping_value_is_kept_with_a_warning(tmp_path: Path) -> None:
    # The shared conformance case 02 writes `title: Review ..., whichever first,` unquoted.
    path = write(
        tmp_path,
        "c.yaml",
        """
        agreements: [{id: a, title: Talks, announced: 2020-01-01}]
        commitments:
          - {id: x, agreement: a, title: Review at two years, whichever first, due: 2020-05}
        """,
    )
    result = load_config(path, {})
    ok(result)
    assert result.config is not None
    assert result.config.watchlist.commitments["x"].title == "Review at two years, whichever first"
    assert len(result.warnings) == 1
    assert "unquoted comma" in result.warnings[0].message
    assert result.warnings[0].line == 3


def test_misspelt_key_without_value_is_still_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.yaml",
        """
        agreements: [{id: a, title: Talks, announced: 2020-01-01}]
        commitments:
          - {id: x, agreement: a, title: Talks, due: 2020-05, remind_befor}
        """,
    )
    result = load_config(path, {})
    assert result.config is None
    assert any("remind_befor" in e.message for e in result.errors)
