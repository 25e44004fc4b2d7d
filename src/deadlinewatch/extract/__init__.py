"""Read commitments and their deadlines out of plain text (``deadlinewatch extract``).

Pure and offline: ``phrases`` turns one time expression into a config ``due`` (``numbers``,
``zones``, ``dates``, ``periods``, ``relative`` and ``urgency`` hold its rules), ``sentences`` and
``document`` find the commitments of a text, ``fragment`` prints them as a config fragment.
"""
