"""A cheap fingerprint of a config folder (or file): each config file's path, size and
modification time. The service compares it every couple of seconds with the one taken before its
last load, so an edit the file watcher missed (made while the service was starting, or on a
filesystem that sends no events) is still picked up."""

from __future__ import annotations

from pathlib import Path

Fingerprint = tuple[tuple[str, int, int], ...]
_SUFFIXES = (".yaml", ".yml")


def config_fingerprint(path: Path) -> Fingerprint:
    try:
        if path.is_file():
            files = [path]
        elif path.is_dir():
            files = [
                file
                for file in path.rglob("*")
                if file.suffix in _SUFFIXES
                and not any(part.startswith(".") for part in file.relative_to(path).parts)
            ]
        else:
            return ()
        entries: list[tuple[str, int, int]] = []
        for file in files:
            try:
                stat = file.stat()
            except OSError:
                continue
            entries.append((str(file), stat.st_size, stat.st_mtime_ns))
    except OSError:
        return ()
    return tuple(sorted(entries))
