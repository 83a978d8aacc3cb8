"""Every string the product shows has its Spanish translation, as a live catalogue entry.

An entry left only as obsolete (`#~`) is not used: the page would show English to a Spanish reader.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent / "civic311"
KEYWORDS = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}


def _used_messages() -> dict[str, str]:
    used: dict[str, str] = {}
    methods = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    for filename, lineno, message, _comments, _context in extract_from_dir(str(ROOT), methods, keywords=KEYWORDS):
        used.setdefault(message if isinstance(message, str) else message[0], f"{filename}:{lineno}")
    return used


def test_every_string_in_the_code_has_a_spanish_translation():
    with open(ROOT / "translations/es/LC_MESSAGES/messages.po", "rb") as handle:
        catalog = read_po(handle)
    translated = {(m.id if isinstance(m.id, str) else m.id[0]) for m in catalog
                  if m.id and (m.string if isinstance(m.string, str) else all(m.string))}
    missing = sorted(f"{where}: {message!r}" for message, where in _used_messages().items()
                     if message not in translated)
    assert not missing, "untranslated:\n" + "\n".join(missing)
