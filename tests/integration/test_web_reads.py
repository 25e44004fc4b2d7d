"""Reads that cost what they return (issue 10): the per-planner read model behind the HTTP app —
pagination, filters, direct lookup, gzip, and states that follow status changes and time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from test_web_support import NOW, TOKEN, client_for, load_test_config, make_runtime

from deadlinewatch.config.loader import load_config
from deadlinewatch.domain.planning import Planner, Situation
from deadlinewatch.services.report import commitment_states
from deadlinewatch.storage import Store
from deadlinewatch.web.readmodel import SnapshotCache, states_of
from deadlinewatch.web.runtime import StaticRuntime

AUTH = {"Authorization": f"Bearer {TOKEN}"}
ALL_IDS = [
    "syria-transition-framework",
    "syria-draft-constitution",
    "syria-detainee-releases",
    "syria-elections",
    "weapons-withdrawal",
]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def runtime(store: Store, tmp_path: Path, clock: Clock) -> StaticRuntime:
    return make_runtime(store, tmp_path, clock=clock)


@pytest.fixture
def client(runtime: StaticRuntime) -> TestClient:
    return client_for(runtime)


def _ids(body: dict[str, object]) -> list[str]:
    items = body["items"]
    assert isinstance(items, list)
    return [item["id"] for item in items]


# --- pagination ------------------------------------------------------------------------------------


def test_a_page_carries_its_pagination(client: TestClient) -> None:
    body = client.get("/api/commitments").json()
    assert set(body) == {"items", "total", "limit", "offset", "next_cursor"}
    assert _ids(body) == ALL_IDS
    assert (body["total"], body["limit"], body["offset"], body["next_cursor"]) == (5, 100, 0, None)


def test_cursor_pages_walk_every_row_once(client: TestClient) -> None:
    seen: list[str] = []
    params: dict[str, str | int] = {"limit": 2}
    for _ in range(10):  # bounded: 5 rows in pages of 2 is 3 pages
        body = client.get("/api/commitments", params=params).json()
        assert body["total"] == 5
        seen += _ids(body)
        if body["next_cursor"] is None:
            break
        params = {"limit": 2, "cursor": body["next_cursor"]}
    assert seen == ALL_IDS


def test_offset_pages(client: TestClient) -> None:
    body = client.get("/api/commitments", params={"limit": 2, "offset": 2}).json()
    assert _ids(body) == ALL_IDS[2:4]
    assert body["next_cursor"] == ALL_IDS[3]
    last = client.get("/api/commitments", params={"limit": 2, "offset": 4}).json()
    assert _ids(last) == ALL_IDS[4:] and last["next_cursor"] is None
    past = client.get("/api/commitments", params={"offset": 50}).json()
    assert _ids(past) == [] and past["total"] == 5


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "query.limit"),
        ({"limit": 1001}, "query.limit"),
        ({"offset": -1}, "query.offset"),
        ({"status": "done-ish"}, "query.status"),
        ({"cursor": "no-such-id"}, "cursor"),
    ],
)
def test_bad_paging_or_filter_values_are_422_naming_the_field(
    client: TestClient, params: dict[str, object], field: str
) -> None:
    response = client.get("/api/commitments", params=params)
    assert response.status_code == 422
    assert response.json()["detail"]["field"] == field


def test_max_page_is_accepted(client: TestClient) -> None:
    assert client.get("/api/commitments", params={"limit": 1000}).json()["limit"] == 1000


# --- filters ---------------------------------------------------------------------------------------


def test_filters_combine_and_count_what_matches(client: TestClient) -> None:
    def ids(**params: object) -> tuple[list[str], int]:
        body = client.get("/api/commitments", params=params).json()
        return _ids(body), body["total"]

    assert ids(status="missed") == (["syria-transition-framework"], 1)
    assert ids(agreement="kerry-lavrov-2016", tag="syria") == (ALL_IDS[:2], 2)
    assert ids(agreement="kerry-lavrov-2016", overdue="false")[0] == [
        "syria-transition-framework",
        "syria-detainee-releases",
        "syria-elections",
    ]
    assert ids(tag="syria", status="not_started", overdue="true") == (["syria-draft-constitution"], 1)
    assert ids(agreement="nothing-like-it") == ([], 0)
    both = ids(status="not_started", limit=1)
    assert both[1] == 4 and both[0] == ["syria-draft-constitution"]
    after = client.get("/api/commitments", params={"status": "not_started", "cursor": both[0][0]}).json()
    assert _ids(after) == ["syria-detainee-releases", "syria-elections", "weapons-withdrawal"]


# --- the read model ---------------------------------------------------------------------------------


def test_one_commitment_is_looked_up_directly(client: TestClient, runtime: StaticRuntime) -> None:
    planner = runtime.planner()
    assert planner is not None
    body = client.get("/api/commitments/syria-draft-constitution").json()
    assert body["overdue"] is True and body["status"] == "not_started"
    model = states_of(planner, NOW)
    assert model.row("syria-draft-constitution") is not None and model.row("nope") is None


def test_the_model_is_built_once_per_planner(client: TestClient, runtime: StaticRuntime) -> None:
    client.get("/api/commitments")
    planner = runtime.planner()
    assert planner is not None
    first = states_of(planner, NOW)
    client.get("/api/commitments/syria-elections")
    client.get("/metrics")
    assert states_of(planner, NOW) is first


def test_cached_states_follow_a_status_change(client: TestClient, runtime: StaticRuntime) -> None:
    before = client.get("/api/commitments/syria-draft-constitution").json()
    assert before["status"] == "not_started" and before["overdue"] is True
    metrics = client.get("/metrics").text
    assert 'deadlinewatch_commitments{status="fulfilled"} 0' in metrics
    assert "deadlinewatch_commitments_overdue 1" in metrics

    response = client.post(
        "/api/commitments/syria-draft-constitution/status", json={"status": "fulfilled"}, headers=AUTH
    )
    assert response.status_code == 201

    after = client.get("/api/commitments/syria-draft-constitution").json()
    assert after["status"] == "fulfilled" and after["overdue"] is False and after["status_origin"] == "api"
    listed = client.get("/api/commitments", params={"status": "fulfilled"}).json()
    assert _ids(listed) == ["syria-draft-constitution"]
    metrics = client.get("/metrics").text
    assert 'deadlinewatch_commitments{status="fulfilled"} 1' in metrics
    assert "deadlinewatch_commitments_overdue 0" in metrics
    # the derived deadline became known: the elections are due 18 months after fulfilment
    elections = client.get("/api/commitments/syria-elections").json()
    assert elections["pending"] is False and elections["window"] is not None
    assert "fulfilled" in client.get("/").text


def test_cached_states_follow_time_across_a_boundary(client: TestClient, clock: Clock) -> None:
    clock.now = datetime(2016, 9, 1, tzinfo=UTC)  # withdrawal due 14 days after 1 September
    early = client.get("/api/commitments/weapons-withdrawal").json()
    assert early["overdue"] is False and early["relative"].startswith("closes in")
    overdue_from = datetime.fromisoformat(early["window"]["overdue_from"].replace("Z", "+00:00"))
    clock.now = overdue_from + timedelta(hours=1)
    late = client.get("/api/commitments/weapons-withdrawal").json()
    assert late["overdue"] is True and late["relative"] == "overdue 1 hour"
    listed = client.get("/api/commitments", params={"overdue": "true"}).json()
    assert "weapons-withdrawal" in _ids(listed)
    clock.now = datetime(2016, 9, 1, tzinfo=UTC)  # a clock stepped back: recomputed, not stale
    assert client.get("/api/commitments/weapons-withdrawal").json()["overdue"] is False


def test_the_model_agrees_with_the_status_report_at_every_instant(tmp_path: Path) -> None:
    """The incremental model and the plain per-request computation (``deadlinewatch status``) give
    the same rows, however time moves (forward through boundaries, or back)."""
    folder = tmp_path / "cfg"
    folder.mkdir()
    config = load_test_config(folder)
    planner = Planner(Situation(config.watchlist))
    instants = [
        datetime(2016, 1, 1, tzinfo=UTC) + timedelta(days=d, hours=h)
        for d in range(0, 400, 9)
        for h in (0, 7)
    ]
    instants += [datetime(2016, 8, 31, 20, 59, tzinfo=UTC), datetime(2016, 8, 31, 21, 0, tzinfo=UTC)]
    instants += [datetime(2016, 3, 1, tzinfo=UTC)]  # back in time
    for instant in instants:
        model = states_of(planner, instant)
        got = [model.state(row, instant) for row in model.rows()]
        assert got == commitment_states(planner, instant), instant


def test_example_config_model_agrees_with_the_report() -> None:
    root = Path(__file__).resolve().parents[2]
    result = load_config(root / "config", {"SLACK_BOT_TOKEN": "x", "SMTP_PASSWORD": "x"})
    if result.config is None:
        pytest.skip(f"the example config needs more environment: {result.errors[:1]}")
    planner = Planner(Situation(result.config.watchlist))
    for year, month in ((2016, 3), (2016, 9), (2030, 1)):
        instant = datetime(year, month, 1, tzinfo=UTC)
        model = states_of(planner, instant)
        assert [model.state(r, instant) for r in model.rows()] == commitment_states(planner, instant)


# --- whole pages and transport ------------------------------------------------------------------


def test_responses_are_gzipped_when_asked(client: TestClient) -> None:
    for path in ("/api/commitments", "/", "/metrics", "/calendar.ics"):
        response = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200, path
        assert response.headers.get("content-encoding") == "gzip", path
        assert response.headers["x-content-type-options"] == "nosniff"
    zipped = client.get("/api/commitments", headers={"Accept-Encoding": "gzip"})
    assert zipped.json()["total"] == 5  # the client undid the encoding
    plain = client.get("/api/commitments", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.json() == zipped.json()


def test_healthz_is_constant(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_dashboard_is_rendered_once_and_each_response_gets_its_own_nonce(client: TestClient) -> None:
    first, second = client.get("/"), client.get("/")
    n1 = first.headers["content-security-policy"].split("'nonce-")[1].split("'")[0]
    n2 = second.headers["content-security-policy"].split("'nonce-")[1].split("'")[0]
    assert n1 != n2
    assert first.text.replace(n1, "N") == second.text.replace(n2, "N")
    assert first.text.count(f'nonce="{n1}"') == 2


def test_snapshot_cache_rebuilds_on_a_new_key_and_throttles_the_same_source() -> None:
    ticks = [0.0]
    cache: SnapshotCache[str] = SnapshotCache(throttle=10.0, min_age=60.0)
    builds: list[str] = []

    def build(value: str) -> str:
        builds.append(value)
        ticks[0] += 1.0  # each build "takes" a second
        return value

    def monotonic() -> float:
        return ticks[0]

    assert cache.get(("a", 1), lambda: build("a1"), monotonic=monotonic) == "a1"
    assert cache.get(("a", 1), lambda: build("again"), monotonic=monotonic) == "a1"
    # same source, newer revision, within max(min_age, 10 x build time): served as is
    assert cache.get(("a", 2), lambda: build("a2"), monotonic=monotonic) == "a1"
    ticks[0] += 61.0
    assert cache.get(("a", 2), lambda: build("a2"), monotonic=monotonic) == "a2"
    # another source (a new planner) is never throttled
    assert cache.get(("b", 1), lambda: build("b1"), monotonic=monotonic) == "b1"
    assert builds == ["a1", "a2", "b1"]


def test_dashboard_gzip_is_the_page_with_this_responses_nonce(client: TestClient) -> None:
    import gzip
    import re

    plain = client.get("/", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    with client.stream("GET", "/", headers={"Accept-Encoding": "gzip"}) as response:
        assert response.headers["content-encoding"] == "gzip"
        raw = b"".join(response.iter_raw())
    nonce = re.search(r"'nonce-([A-Za-z0-9_-]+)'", response.headers["content-security-policy"])
    assert nonce is not None
    text = gzip.decompress(raw).decode()
    other = re.search(r"'nonce-([A-Za-z0-9_-]+)'", plain.headers["content-security-policy"])
    assert other is not None
    assert text == plain.text.replace(other.group(1), nonce.group(1))


def test_nonce_page_pieces_round_trip() -> None:
    import gzip

    from deadlinewatch.web.noncepage import NoncePage

    pieces = ['<style nonce="', '">' + "x" * 100_000 + '<script nonce="', '">ü</script>' * 50]
    page = NoncePage(pieces)
    assert gzip.decompress(page.gzipped("abc")) == "abc".join(pieces).encode()
    assert page.text("q") == "q".join(pieces).encode()


def test_read_gate_bounds_reads_in_progress_and_never_holds_healthz() -> None:
    import asyncio

    import httpx

    from deadlinewatch.web.readgate import ReadGate

    inside = 0
    most = 0
    release = asyncio.Event()

    async def app(scope: dict[str, object], receive: object, send: object) -> None:
        nonlocal inside, most
        assert callable(send)
        if scope["path"] != "/healthz":
            inside += 1
            most = max(most, inside)
            await release.wait()
            inside -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=ReadGate(app, limit=2))  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            reads = [asyncio.create_task(client.get("/api/commitments")) for _ in range(6)]
            for _ in range(200):  # until two reads are inside (bounded)
                if inside == 2:
                    break
                await asyncio.sleep(0.01)
            health = await asyncio.wait_for(client.get("/healthz"), 30)  # not behind the full gate
            assert health.status_code == 200
            assert inside == 2
            release.set()
            answers = await asyncio.wait_for(asyncio.gather(*reads), 30)
            assert [a.status_code for a in answers] == [200] * 6
            write = await asyncio.wait_for(client.post("/api/commitments/x/ack"), 30)
            assert write.status_code == 200

    asyncio.run(scenario())
    assert most == 2


def test_read_gate_holds_reads_while_deliveries_are_in_progress() -> None:
    import asyncio

    import httpx

    from deadlinewatch.web.readgate import ReadGate

    delivering = [True]
    served: list[str] = []

    async def app(scope: dict[str, object], receive: object, send: object) -> None:
        assert callable(send)
        served.append(str(scope["path"]))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def scenario() -> None:
        gate = ReadGate(app, busy=lambda: delivering[0], max_wait=60.0, poll=0.01)  # type: ignore[arg-type]
        transport = httpx.ASGITransport(app=gate)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            read = asyncio.create_task(client.get("/metrics"))
            health = await asyncio.wait_for(client.get("/healthz"), 30)
            assert health.status_code == 200
            await asyncio.sleep(0.05)
            assert served == ["/healthz"]  # the read is still waiting for the deliveries
            delivering[0] = False
            assert (await asyncio.wait_for(read, 30)).status_code == 200
        assert served == ["/healthz", "/metrics"]

    asyncio.run(scenario())


def test_read_gate_never_starves_readers() -> None:
    import asyncio

    import httpx

    from deadlinewatch.web.readgate import ReadGate

    async def app(scope: dict[str, object], receive: object, send: object) -> None:
        assert callable(send)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def scenario() -> int:
        gate = ReadGate(app, busy=lambda: True, max_wait=0.05, poll=0.01)  # type: ignore[arg-type]
        transport = httpx.ASGITransport(app=gate)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return (await asyncio.wait_for(client.get("/"), 30)).status_code

    assert asyncio.run(scenario()) == 200


def test_read_gate_checks_deliveries_again_when_a_queued_read_gets_its_place() -> None:
    """A read that queued behind others while all was quiet must not start in the middle of a burst
    that began meanwhile; and a gap of a few milliseconds in a burst (a tick wrote rows, the
    dispatcher has not claimed them yet) does not let reads through."""
    import asyncio

    import httpx

    from deadlinewatch.web.readgate import ReadGate

    delivering = [False]
    served: list[str] = []
    release = asyncio.Event()

    async def app(scope: dict[str, object], receive: object, send: object) -> None:
        assert callable(send)
        served.append(str(scope["path"]))
        if scope["path"] == "/first":
            await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def until(condition: object) -> None:
        assert callable(condition)
        for _ in range(3000):  # generous guard: 30 s
            if condition():
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the condition never held")

    async def scenario() -> None:
        gate = ReadGate(app, limit=1, busy=lambda: delivering[0], max_wait=60.0, poll=0.01, linger=0.2)  # type: ignore[arg-type]
        transport = httpx.ASGITransport(app=gate)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            first = asyncio.create_task(client.get("/first"))
            await until(lambda: served == ["/first"])
            queued = asyncio.create_task(client.get("/queued"))  # behind /first; nothing delivering
            await asyncio.sleep(0.05)
            delivering[0] = True  # a burst begins while /queued waits for its place
            release.set()
            assert (await asyncio.wait_for(first, 30)).status_code == 200
            await asyncio.sleep(0.1)
            assert served == ["/first"]  # /queued got its place and still waits for the burst
            delivering[0] = False  # a gap between the tick and the claim ...
            await asyncio.sleep(0.03)
            delivering[0] = True  # ... that the linger bridges
            await asyncio.sleep(0.1)
            assert served == ["/first"]
            delivering[0] = False
            assert (await asyncio.wait_for(queued, 30)).status_code == 200
        assert served == ["/first", "/queued"]

    asyncio.run(scenario())
