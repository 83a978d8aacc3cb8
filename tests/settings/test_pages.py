"""Every settings page opens for the city's admin, and the wizard resumes where it was left."""

from __future__ import annotations

import pytest

from tests.settings.helpers import post_form, signed_up_admin

PAGES = ["", "setup", "catalog", "catalog/categories/new", "branding", "channels", "hours", "zones", "routing",
         "staff", "kb", "domain", "go-live", "import"]


@pytest.mark.parametrize("page", PAGES)
def test_every_settings_page_opens(app, page):
    client = signed_up_admin(app)
    response = client.get(f"/t/riverton/settings/{page}")
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert 'name="csrf_token"' in response.get_data(as_text=True) or page in ("", "kb")


def test_the_wizard_is_resumable(app):
    client = signed_up_admin(app)
    html = client.get("/t/riverton/settings/setup").get_data(as_text=True)
    assert "0 of 10 steps done" in html and "Continue: Departments and categories" in html
    response = post_form(client, "/t/riverton/settings/catalog?wizard=1", "/t/riverton/settings/setup/catalog/done")
    assert response.headers["Location"].endswith("/t/riverton/settings/branding?wizard=1")
    post_form(client, "/t/riverton/settings/branding?wizard=1", "/t/riverton/settings/setup/branding/done")
    # a new session later: the checklist continues at step 3
    html = client.get("/t/riverton/settings/setup").get_data(as_text=True)
    assert "2 of 10 steps done" in html and "Continue: Channels" in html
