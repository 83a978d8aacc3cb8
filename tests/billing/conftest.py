from __future__ import annotations

import pytest

from tests.billing.stripe_fake import API_KEY, WEBHOOK_SECRET, RecordedStripe


@pytest.fixture
def stripe_fake(app):
    """Stripe configured, answering through the recorded stand-in."""
    settings = app.config["CIVIC311"]
    saved = (settings.stripe_api_key, settings.stripe_webhook_secret)
    settings.stripe_api_key, settings.stripe_webhook_secret = API_KEY, WEBHOOK_SECRET
    fake = RecordedStripe()
    app.extensions["civic311_stripe_http"] = fake
    yield fake
    app.extensions.pop("civic311_stripe_http", None)
    settings.stripe_api_key, settings.stripe_webhook_secret = saved
