from __future__ import annotations

import pytest

from civic311.platform.notifications import mail, sms
from tests.engines.helpers import smtp_sink


@pytest.fixture
def settings(app):
    return app.config["CIVIC311"]


@pytest.fixture
def sink(app, settings, monkeypatch):
    """Every e-mail of the test goes to a local SMTP server."""
    with smtp_sink() as server:
        monkeypatch.setattr(settings, "smtp_url", server.url)
        yield server


@pytest.fixture(autouse=True)
def _empty_log_outboxes():
    mail.LOG_OUTBOX.clear()
    sms.LOG_OUTBOX.clear()
    yield


@pytest.fixture
def redis_down(app, settings, monkeypatch):
    """REDIS_URL points at a closed port for the test; the cached connection is dropped before and after."""
    from tests.engines.helpers import closed_port

    app.extensions.pop("civic311_redis", None)
    monkeypatch.setattr(settings, "redis_url", f"redis://127.0.0.1:{closed_port()}/0")
    yield
    app.extensions.pop("civic311_redis", None)
