"""A language forced for a block of work (an e-mail in the reporter's language, sent from a job)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_locale: ContextVar[str | None] = ContextVar("civic311_locale", default=None)


def preferred_locale() -> str | None:
    return _locale.get()


@contextmanager
def speaking(locale: str) -> Iterator[None]:
    """Translate messages in `locale` inside the block (Flask-Babel caches per request, so refresh)."""
    from flask_babel import refresh

    token = _locale.set(locale)
    refresh()
    try:
        yield
    finally:
        _locale.reset(token)
        refresh()
