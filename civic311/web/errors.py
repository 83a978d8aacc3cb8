"""Error pages for people; the Open311 blueprint answers its own errors in XML or JSON."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if request.path.startswith("/open311/") or request.path.startswith("/billing/stripe/"):
            return exc
        titles = {
            400: _("That request could not be understood"),
            403: _("You cannot open this page"),
            404: _("Page not found"),
            405: _("That action is not allowed here"),
            409: _("Someone else changed this first"),
            413: _("That upload is too large"),
            429: _("Too many attempts"),
        }
        title = titles.get(exc.code or 500, _("Something went wrong"))
        return render_template("error.html", title=title, code=exc.code, description=exc.description), exc.code
