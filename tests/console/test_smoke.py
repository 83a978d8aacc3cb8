"""Every console page renders for the people who use it."""

from tests.console.conftest import client_for


def test_every_page_renders_for_a_supervisor_and_an_operator(app, world):
    c = client_for(app, world.supervisor)
    for path in ("/t/alpha/queue", f"/t/alpha/requests/{world.pothole.number}", "/t/alpha/desk/",
                 "/t/alpha/dashboard/", "/t/alpha/responses/", "/t/alpha/responses/new", "/t/alpha/kb/",
                 "/t/alpha/kb/new", "/staff/two-factor", "/t/alpha/desk/new?service_code=POTHOLE&channel=phone"):
        r = c.get(path)
        assert r.status_code == 200, (path, r.get_data(as_text=True)[:3000])
    o = client_for(app, world.operator)
    r = o.get("/ops/")
    assert r.status_code == 200, r.get_data(as_text=True)[:3000]
    assert "Alphaville" in r.get_data(as_text=True) and "Bravotown" in r.get_data(as_text=True)
