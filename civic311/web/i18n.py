"""Languages: English and Spanish catalogues in civic311/translations; more by adding a catalogue.

The language is chosen by, in order: `?lang=` (remembered in the session), the signed-in person's
preference, the browser's Accept-Language, and the city's default, always among the city's locales.
"""

from __future__ import annotations

from flask import Flask, g, has_request_context, request, session
from flask_babel import Babel
from flask_login import current_user

from civic311.web.security import is_api_request

SUPPORTED = ("en", "es")
LANGUAGE_NAMES = {"en": "English", "es": "Español"}


def available_locales() -> list[str]:
    tenant = g.get("tenant")
    if tenant is not None:
        return [code for code in tenant.locales if code in SUPPORTED] or ["en"]
    return list(SUPPORTED)


def select_locale() -> str:
    from civic311.platform.locale_hint import preferred_locale

    hint = preferred_locale()  # jobs and messages to a resident speak the resident's language
    if hint:
        return hint
    if not has_request_context():
        return "en"
    allowed = available_locales()
    asked = request.args.get("lang")
    if asked in allowed:
        if not is_api_request():
            session["lang"] = asked
        return asked
    if not is_api_request():  # API calls have no session and no signed-in person
        if session.get("lang") in allowed:
            return session["lang"]
        if current_user and current_user.is_authenticated and getattr(current_user, "locale", None) in allowed:
            return current_user.locale
    best = request.accept_languages.best_match(allowed)
    if best:
        return best
    tenant = g.get("tenant")
    return tenant.default_locale if tenant is not None and tenant.default_locale in allowed else allowed[0]


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_locale, default_translation_directories="translations")

    @app.context_processor
    def _language_context():
        from flask_babel import get_locale

        return {
            "current_locale": str(get_locale() or "en"),
            "available_locales": available_locales(),
            "language_names": LANGUAGE_NAMES,
        }
