"""Rendering a message from its folder: templates/<name>/<locale>/{subject.txt, body.txt, body.html, sms.txt}.

Each message carries its own translations (Warehouse's layout), so a job renders it in the follower's
language without a request. The few words filled into them (statuses, close reasons) are below, per
language, for the same reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
LOCALES = ("en", "es")

STATUS_WORDS = {
    "en": {"new": "received, waiting to be looked at", "acknowledged": "acknowledged: staff have seen it",
           "in_progress": "in progress: work is under way", "closed": "closed"},
    "es": {"new": "recibido, a la espera de revisión", "acknowledged": "confirmado: el personal lo ha visto",
           "in_progress": "en curso: se está trabajando en ello", "closed": "cerrado"},
}
REASON_WORDS = {
    "en": {"resolved": "the problem was fixed", "duplicate": "already reported",
           "referred": "referred to the agency responsible", "not_actionable": "no action could be taken",
           "no_access": "crews could not get access", "withdrawn": "withdrawn"},
    "es": {"resolved": "el problema se resolvió", "duplicate": "ya se había reportado",
           "referred": "se remitió a la agencia responsable", "not_actionable": "no se pudo tomar ninguna medida",
           "no_access": "el personal no pudo acceder", "withdrawn": "retirado"},
}
LEVEL_WORDS = {
    "en": {"at_risk": "at risk of missing its due date", "breached": "past its due date"},
    "es": {"at_risk": "en riesgo de no cumplir su plazo", "breached": "fuera de plazo"},
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    sms: str


def pick_locale(locale: str | None) -> str:
    base = (locale or "en").replace("-", "_").split("_")[0].lower()
    return base if base in LOCALES else "en"


def words(table: dict[str, dict[str, str]], locale: str, key: str | None) -> str:
    if not key:
        return ""
    return table[pick_locale(locale)].get(key) or table["en"].get(key) or key


@lru_cache(maxsize=1)
def _environment() -> Environment:
    # Escaping by extension: .html parts always escaped; .txt parts not (an apostrophe must not read &#39;).
    return Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True, default=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def available(name: str) -> bool:
    return (TEMPLATE_DIR / name / "en" / "subject.txt").is_file()


def render(name: str, locale: str | None, context: dict) -> Rendered:
    """The four parts of message `name` in `locale` (English when that language is missing)."""
    lang = pick_locale(locale)
    if not (TEMPLATE_DIR / name / lang).is_dir():
        lang = "en"

    def part(filename: str) -> str:
        return _environment().get_template(f"{name}/{lang}/{filename}").render(**context)

    return Rendered(
        subject=" ".join(part("subject.txt").split()),
        text=part("body.txt"),
        html=part("body.html"),
        sms=" ".join(part("sms.txt").split())[:480],
    )
