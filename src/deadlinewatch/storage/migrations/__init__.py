"""Alembic migrations, run from code by :func:`deadlinewatch.storage.database.migrate`."""
