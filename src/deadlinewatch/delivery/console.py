"""The console channel: one readable line per notification on a text stream (stdout by default)."""

from __future__ import annotations

import sys
from typing import TextIO

from deadlinewatch.delivery.base import DeliveryError, Outgoing, SendReceipt
from deadlinewatch.delivery.rendering import render_text_line


class ConsoleChannel:
    def __init__(self, name: str = "console", stream: TextIO | None = None) -> None:
        self.name = name
        self._stream = stream

    async def send(self, message: Outgoing) -> SendReceipt:
        stream = self._stream if self._stream is not None else sys.stdout
        try:
            stream.write(render_text_line(message) + "\n")
            stream.flush()
        except (OSError, ValueError) as exc:  # closed pipe or stream
            raise DeliveryError(f"console: cannot write: {exc}", permanent=False) from exc
        return SendReceipt(channel=self.name)

    async def aclose(self) -> None:
        return None
