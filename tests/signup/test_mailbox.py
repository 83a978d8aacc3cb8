"""The demo mailbox: the confirmation link without the terminal, only in the demo without real mail."""

from __future__ import annotations

import re

from civic311.platform.notifications.mail import LOG_OUTBOX
from tests.conftest import host_client
from tests.settings.helpers import signed_up_admin


def test_the_demo_mailbox_shows_the_confirmation_link(app, monkeypatch):
    monkeypatch.setitem(app.config, "DEMO_MAILBOX", True)
    LOG_OUTBOX.clear()
    client = signed_up_admin(app)
    setup = client.get("/t/riverton/settings/setup").get_data(as_text=True)
    assert 'href="/demo/mailbox"' in setup
    box = host_client(app, "localhost").get("/demo/mailbox")
    assert box.status_code == 200
    html = box.get_data(as_text=True)
    assert "dana@riverton.gov" in html
    link = re.search(r'href="http://localhost(/signup/verify/[^"]+)"', html).group(1)
    assert client.get(link).status_code == 302


def test_the_demo_mailbox_is_off_unless_the_demo_turns_it_on(app, monkeypatch):
    client = signed_up_admin(app)
    assert 'href="/demo/mailbox"' not in client.get("/t/riverton/settings/setup").get_data(as_text=True)
    assert host_client(app, "localhost").get("/demo/mailbox").status_code == 404
    monkeypatch.setitem(app.config, "DEMO_MAILBOX", True)
    monkeypatch.setenv("MAIL_TRANSPORT", "ses")  # real mail configured: never a mailbox page
    assert host_client(app, "localhost").get("/demo/mailbox").status_code == 404
