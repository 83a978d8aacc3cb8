"""One notifier interface over e-mail and SMS: `notifier_for(channel).send(recipient, rendered)`."""

from __future__ import annotations

from typing import Protocol

from civic311.platform.notifications import mail, sms
from civic311.platform.notifications.render import Rendered


class Notifier(Protocol):
    channel: str

    def send(self, recipient: str, message: Rendered) -> str:
        """Hand the message to the provider; return its id. Raises when the provider refuses."""


class EmailNotifier:
    channel = "email"

    def send(self, recipient: str, message: Rendered) -> str:
        return mail.deliver_message(mail.build_message(recipient, message.subject, message.text, message.html))


class SmsNotifier:
    channel = "sms"

    def send(self, recipient: str, message: Rendered) -> str:
        return sms.send_sms(recipient, message.sms)


NOTIFIERS: dict[str, Notifier] = {"email": EmailNotifier(), "sms": SmsNotifier()}


def notifier_for(channel: str) -> Notifier:
    return NOTIFIERS[channel]
