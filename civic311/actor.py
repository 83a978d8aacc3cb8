"""Who is acting right now: a person in the web layer, or the system in jobs and commands.

History entries and audit rows read this, so a service function never needs the web request.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    label: str
    user_id: uuid.UUID | None = None
    operator_org_id: uuid.UUID | None = None
    support_access: bool = False
    is_staff: bool = False

    @classmethod
    def system(cls, what: str = "system") -> Actor:
        return cls(label=what)


_actor: ContextVar[Actor | None] = ContextVar("civic311_actor", default=None)


def current_actor() -> Actor:
    return _actor.get() or Actor.system()


@contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    token = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(token)


def set_request_actor(actor: Actor | None) -> None:
    _actor.set(actor)
