"""One commit per request: views never commit. A response under 400 commits; anything else rolls
back, unless the view marked `g.commit_anyway` (a refused login must still count as an attempt)."""

from __future__ import annotations

import logging

from flask import Flask, Response, g
from sqlalchemy.orm.exc import StaleDataError

from civic311.db import db

log = logging.getLogger("civic311.web")


def init_app(app: Flask) -> None:
    @app.after_request
    def _commit(response: Response) -> Response:
        # A refused form still keeps what must be remembered (a failed login attempt): commit_anyway.
        if response.status_code >= 400 and not g.get("commit_anyway"):
            db.session.rollback()
            return response
        try:
            db.session.commit()
        except StaleDataError:
            db.session.rollback()
            log.warning("a concurrent change won; this one was not saved")
            return Response("This record was changed by someone else. Reload and try again.", status=409)
        return response

    @app.teardown_request
    def _rollback_on_error(exc):
        if exc is not None:
            db.session.rollback()
