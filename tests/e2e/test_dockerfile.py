"""There is no container engine here: check the Dockerfile's promises as text, and run the very
commands it runs (CMD and HEALTHCHECK) against the example config."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = (REPO / "Dockerfile").read_text(encoding="utf-8")


def instruction(name: str) -> str:
    lines = DOCKERFILE.replace("\\\n", " ").splitlines()
    found = [line.split(None, 1)[1] for line in lines if line.startswith(name + " ")]
    assert found, f"no {name} in the Dockerfile"
    return found[-1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_image_is_built_from_the_lock_file_and_runs_unprivileged() -> None:
    assert re.search(r"^FROM python:3\.1[1-9]-slim", DOCKERFILE, re.M)
    assert "pip install -r /tmp/build/requirements.lock" in DOCKERFILE
    assert "--no-deps" in DOCKERFILE
    user = instruction("USER")
    assert not user.startswith("root") and not user.startswith("0")
    assert instruction("EXPOSE") == "8080"
    assert set(json.loads(instruction("VOLUME"))) == {"/config", "/data"}
    assert instruction("STOPSIGNAL") == "SIGTERM"


def test_the_command_and_healthcheck_work(tmp_path: Path) -> None:
    port = free_port()
    command = json.loads(instruction("CMD"))
    assert command[:2] == ["deadlinewatch", "run"]
    argv = [
        str(REPO / "config") if arg == "/config" else f"127.0.0.1:{port}" if arg == "0.0.0.0:8080" else arg
        for arg in command
    ]
    healthcheck = json.loads(instruction("HEALTHCHECK").split("CMD", 1)[1].strip())
    probe = [sys.executable if healthcheck[0] == "python" else healthcheck[0]] + [
        arg.replace("127.0.0.1:8080", f"127.0.0.1:{port}") for arg in healthcheck[1:]
    ]
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(
        DEADLINEWATCH_CONFIG=str(REPO / "config"),
        DEADLINEWATCH_DATABASE_URL=f"sqlite:///{tmp_path / 'deadlinewatch.db'}",
        PYTHONUNBUFFERED="1",
    )
    executable = str(Path(sys.executable).parent / argv[0])
    service = subprocess.Popen(
        [executable, *argv[1:]], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        healthy = False
        for _ in range(120):  # a guard, not a timing assertion
            if subprocess.run(probe, env=env, capture_output=True, timeout=10).returncode == 0:
                healthy = True
                break
            assert service.poll() is None, service.stderr.read().decode() if service.stderr else ""
            time.sleep(0.25)
        assert healthy, "the HEALTHCHECK never passed"
        started = time.monotonic()
        service.send_signal(signal.SIGTERM)
        code = service.wait(timeout=30)
        print(f"exit after SIGTERM: {time.monotonic() - started:.2f} s")
        assert code == 0
    finally:
        if service.poll() is None:
            service.kill()
            service.wait()
    assert (tmp_path / "deadlinewatch.db").exists()
