"""The sentences a routing decision is explained with, and their translation when staff read them.

A request keeps its explanation in English, as written when it was routed: it is a record, and the same
words appear in the history and exports whatever language a reader uses. Each sentence is built from one
of the message ids below, so a reader's page can recognise it and show it in their language instead
(`in_reader_language`). A sentence that matches none of them (older data) is shown as it was stored.
"""

from __future__ import annotations

import re
from functools import cache

from flask_babel import gettext

ZONE = "Location is in zone %(zone)s."
RULE = "Rule “%(rule)s” matched: %(reasons)s."
NO_RULE = "No routing rule matched: the category's default department."
SENT_TO = "Sent to %(department)s."
LINES = (ZONE, RULE, NO_RULE, SENT_TO)

BY_CATEGORY = "category is %(category)s"
BY_GROUP = "category group matches"
BY_ZONE = "location is in the rule's zone"
BY_KEYWORDS = "description mentions %(words)s"
BY_CHANNEL = "channel is %(channel)s"
AFTER_HOURS = "filed after hours"
DURING_HOURS = "filed during working hours"
BETWEEN = "filed between %(start)s and %(end)s"
ALWAYS = "always"
REASONS = (BY_CATEGORY, BY_GROUP, BY_ZONE, BY_KEYWORDS, BY_CHANNEL, AFTER_HOURS, DURING_HOURS, BETWEEN, ALWAYS)
REASON_SEPARATOR = "; "


def say(message: str, **values: str) -> str:
    """The English sentence, as stored on the request."""
    return message % values if values else message


def rule_matched(rule: str, reasons: list[str]) -> str:
    return say(RULE, rule=rule, reasons=REASON_SEPARATOR.join(reasons) or ALWAYS)


def in_reader_language(line: object) -> str:
    """The stored English sentence in the reader's language (the current Babel locale)."""
    text = str(line)
    found = _recognise(text, LINES)
    if found is None:
        return text
    message, values = found
    if message == RULE:
        values["reasons"] = REASON_SEPARATOR.join(
            _translate(part, REASONS) for part in values["reasons"].split(REASON_SEPARATOR))
    return gettext(message, **values) if values else gettext(message)


def _translate(text: str, messages: tuple[str, ...]) -> str:
    found = _recognise(text, messages)
    if found is None:
        return text
    message, values = found
    return gettext(message, **values) if values else gettext(message)


def _recognise(text: str, messages: tuple[str, ...]) -> tuple[str, dict[str, str]] | None:
    for message in messages:
        match = _pattern(message).fullmatch(text)
        if match:
            return message, match.groupdict()
    return None


@cache
def _pattern(message: str) -> re.Pattern[str]:
    parts = re.split(r"%\((\w+)\)s", message)
    # re.split alternates literal text and placeholder names: text, name, text, name, ..., text
    regex = "".join(re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+?)" for index, part in enumerate(parts))
    return re.compile(regex, re.S)
