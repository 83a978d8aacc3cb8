"""Checking pooled database connections are alive, without a round trip on every request.

`pool_pre_ping` pings each connection at every checkout: one extra round trip per request, as costly as
the request's own query on a fast read. A connection a request has just given back is alive; the ones
that die are those left idle while the database restarted or a firewall dropped them. So a connection
is pinged only when it has sat in the pool for `IDLE_PING_SECONDS` or more; a failed ping discards it and
the pool hands out another (SQLAlchemy's pessimistic "checkout" recipe).
"""

from __future__ import annotations

import time

from flask import Flask
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

IDLE_PING_SECONDS = 10.0
_CHECKED_IN = "civic311_checked_in"


def replace_pre_ping(app: Flask) -> bool:
    """Before the engine is made: turn `pool_pre_ping` off if the settings asked for it (the idle-time
    check installed by `install` replaces it). Returns whether it did."""
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if not options.pop("pool_pre_ping", False):
        return False
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    return True


def install(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _remember_when(dbapi_connection, record) -> None:
        record.info[_CHECKED_IN] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, proxy) -> None:
        checked_in = record.info.get(_CHECKED_IN)
        if checked_in is None or time.monotonic() - checked_in < IDLE_PING_SECONDS:
            return  # just opened, or just used by the previous request
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # the pool drops this connection and checks out another
            raise exc.DisconnectionError(f"stale pooled connection: {error}") from error
