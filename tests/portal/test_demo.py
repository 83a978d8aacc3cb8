from __future__ import annotations

from civic311.demo.context import DemoContext
from civic311.portal import demo


def test_demo_announcements_show_in_both_languages(app, city, portal):
    ctx = DemoContext(app=app, cities={"springfield": city})
    demo.seed(ctx)
    from civic311.db import db

    db.session.commit()
    assert "Holiday trash schedule" in portal.get("/").get_data(as_text=True)
    assert "Horario de basura en días festivos" in portal.get("/?lang=es").get_data(as_text=True)
    assert any("resident@springfield.test" in line for line in ctx.summary_lines)
