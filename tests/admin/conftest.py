from __future__ import annotations

from tests.billing.conftest import stripe_fake  # noqa: F401  (the admin acts on subscriptions too)
