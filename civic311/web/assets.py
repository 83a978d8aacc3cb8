"""Front-end packages served by the app itself from `node_modules/` (installed by `npm ci` from the lock
file): no CDN at run time, so residents' browsers talk only to their city's host."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, send_from_directory

NODE_MODULES = Path(__file__).resolve().parent.parent.parent / "node_modules"
# package -> the folder inside it that may be served (nothing else in node_modules is reachable).
ALLOWED = {"leaflet": "dist"}
MAX_AGE = 7 * 24 * 3600  # a week: the lock file pins the version; a deploy with a new one is rare

bp = Blueprint("assets", __name__, url_prefix="/assets/vendor")


@bp.get("/<package>/<path:path>")
def vendor(package: str, path: str):
    folder = ALLOWED.get(package)
    if folder is None:
        abort(404)
    # send_from_directory refuses paths that climb out of the folder, and answers 404 for missing files.
    response = send_from_directory(NODE_MODULES / package / folder, path, max_age=MAX_AGE)
    response.cache_control.public = True
    return response


BLUEPRINTS = [bp]
