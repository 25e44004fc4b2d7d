"""The HTTP listening socket, bound by ``run`` before it plans anything: a second ``run`` on a
port that is taken stops at once, before it touches the database (uvicorn is handed the socket)."""

from __future__ import annotations

import errno
import socket


class ListenFailed(Exception):
    """The address cannot be served; the message names it and says what to do."""


def split_listen(listen: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8080`` for IPv6; an empty host is 127.0.0.1)."""
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ListenFailed(f"{listen!r} is not HOST:PORT (for example 127.0.0.1:8080)")
    return host.strip("[]") or "127.0.0.1", int(port)


def bind_listener(listen: str) -> socket.socket:
    """A socket bound to ``listen`` and listening (so no other process can take the port meanwhile)."""
    host, port = split_listen(listen)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ListenFailed(f"cannot serve HTTP on {listen}: unknown host {host!r} ({exc.strerror})") from None
    # One socket: prefer IPv4 for a name such as localhost, so http://127.0.0.1:PORT/ answers.
    infos.sort(key=lambda info: info[0] != socket.AF_INET)
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            why = "the address is already in use (is another deadlinewatch running?)"
        elif exc.errno == errno.EACCES:
            why = "permission denied (ports below 1024 need privileges)"
        else:
            why = exc.strerror or str(exc)
        raise ListenFailed(
            f"cannot serve HTTP on {listen}: {why}; stop whatever holds it, or choose another address "
            "with --http HOST:PORT or the config's http.listen"
        ) from None
    sock.setblocking(False)
    return sock


def dashboard_address(listen: str) -> str:
    """The URL a person on this machine opens for the dashboard."""
    host, port = split_listen(listen)
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/"
