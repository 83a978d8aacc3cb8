"""The CSV importer on real exports from Los Angeles, New York City and Boston (tests/data/SOURCES.md)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from civic311.db import db
from civic311.platform.models import ServiceRequest
from civic311.tenancy import tenant_context
from civic311.tenants import imports
from civic311.tenants.catalog import Category, Department
from civic311.tenants.settings_service import SettingsError
from tests.conftest import csrf_token_from
from tests.settings.helpers import city, drain, signed_up_admin

DATA = Path(__file__).resolve().parent.parent / "data"
LA = DATA / "la_myla311_2018-01-01_300rows.csv"
NYC = DATA / "nyc311_sample_200rows.csv"
BOSTON = DATA / "boston311_2022_100rows.csv"


def _catalog(types: dict[str, str]) -> None:
    """One department, and a category per (the file's type -> service code)."""
    dept = Department(name="Public Works")
    db.session.add(dept)
    db.session.flush()
    for name, code in types.items():
        db.session.add(Category(service_code=code, name=name, department_id=dept.id))
    db.session.flush()


def _run(app, tenant_id, path: Path, types: dict[str, str]):
    with app.app_context(), tenant_context(tenant_id):
        _catalog(types)
        job = imports.upload(path.name, path.read_bytes(), "utf-8", None)
        # the guesses found the right columns and matched the types by category name
        assert {"external_id", "requested_at", "category", "status"} <= set(job.mapping)
        assert {k: v for k, v in job.category_map.items() if v} == types
        imports.start(job)
        job_id = job.id
        db.session.commit()
    drain(app)
    with app.app_context(), tenant_context(tenant_id):
        job = db.session.get(imports.ImportJob, (tenant_id, job_id))
        requests = list(db.session.scalars(select(ServiceRequest)))
        db.session.expunge_all()
        return job, requests


def _count_rows(path: Path, column: str, wanted) -> int:
    import csv

    with path.open(newline="", encoding="utf-8") as handle:
        return sum(1 for row in csv.DictReader(handle) if wanted(row))


def test_los_angeles_export(app, two_tenants):
    alpha, _bravo = two_tenants
    types = {"Bulky Items": "bulky", "Graffiti Removal": "graffiti", "Illegal Dumping Pickup": "dumping",
             "Metal/Household Appliances": "appliances", "Dead Animal Removal": "dead-animal"}
    job, requests = _run(app, alpha.id, LA, types)
    assert job.status == "done" and job.total_rows == 300 and job.processed == 300
    assert job.imported == 257 and job.skipped == 43  # 152 + 47 + 24 + 17 + 17 mapped rows
    assert job.imported == _count_rows(LA, "RequestType", lambda r: r["RequestType"] in types)
    unmapped = "the type “%s” is not mapped to a category"
    assert job.skip_reasons == {
        unmapped % "Other": 16, unmapped % "Homeless Encampment": 13, unmapped % "Electronic Waste": 6,
        unmapped % "Single Streetlight Issue": 3, unmapped % "Report Water Waste": 3,
        unmapped % "Multiple Streetlight Issue": 1, unmapped % "Feedback": 1,
    }
    assert len(requests) == 257 and job.closed == 257
    first = next(r for r in requests if r.external_id == "1-870704814")
    assert first.channel == "import" and first.service_name == "Bulky Items"
    assert first.requested_at.isoformat() == "2018-01-01T06:00:09+00:00"  # 12:00:09 AM in Chicago time
    assert first.status == "closed" and first.closed_at.isoformat() == "2018-01-06T16:18:29+00:00"
    assert first.address == "356 S BERENDO ST, 90020" and round(first.lat, 4) == 34.0676
    withdrawn = [r for r in requests if r.close_reason == "withdrawn"]
    assert len(withdrawn) == _count_rows(LA, "Status", lambda r: r["Status"] == "Cancelled"
                                         and r["RequestType"] in types)


def test_new_york_export(app, two_tenants):
    alpha, _bravo = two_tenants
    types = {"Noise - Residential": "noise-residential", "Illegal Parking": "illegal-parking",
             "Street Light Condition": "street-light", "Graffiti": "graffiti"}
    job, requests = _run(app, alpha.id, NYC, types)
    mapped = _count_rows(NYC, "Complaint Type", lambda r: r["Complaint Type"] in types)
    assert mapped == 72
    assert job.status == "done" and job.total_rows == 200
    assert job.imported + job.skipped == 200
    assert job.imported == 70 and job.skipped == 130
    no_place = "Tell us where: place a pin on the map or type an address."
    assert job.skip_reasons[no_place] == 2  # mapped rows with neither an address nor coordinates
    open_ones = [r for r in requests if r.status != "closed"]
    assert len(open_ones) == 70 - job.closed and job.closed == 67


def test_boston_export(app, two_tenants):
    alpha, _bravo = two_tenants
    types = {"Parking Enforcement": "parking", "CE Collection": "ce-collection",
             "Improper Storage of Trash (Barrels)": "trash-storage", "Requests for Street Cleaning": "street-cleaning"}
    job, requests = _run(app, alpha.id, BOSTON, types)
    assert job.status == "done" and job.imported == 40 and job.skipped == 60
    assert job.closed == _count_rows(BOSTON, "case_status", lambda r: r["case_status"] == "Closed"
                                     and r["type"] in types)
    assert all(r.external_id and r.channel == "import" for r in requests)


def test_boston_export_into_the_starter_catalog(app, two_tenants):
    """Old data has no answers to the starter categories' required questions: imported anyway."""
    from civic311.tenants.starter_catalog import adopt_starter_catalog

    alpha, _bravo = two_tenants
    types = {"Parking Enforcement": "illegal-parking", "Requests for Street Cleaning": "street-sweeping",
             "Pick up Dead Animal": "dead-animal", "Graffiti Removal": "graffiti", "PWD Graffiti": "graffiti",
             "Sidewalk Repair (Make Safe)": "sidewalk-repair", "Abandoned Vehicles": "abandoned-vehicle",
             "Request for Pothole Repair": "pothole", "Street Light Outages": "streetlight-out",
             "Rodent Activity": "rodents", "Needle Pickup": "needle-pickup"}
    with app.app_context(), tenant_context(alpha.id):
        adopt_starter_catalog(None, None)
        job = imports.upload(BOSTON.name, BOSTON.read_bytes(), "utf-8", None)
        imports.set_mapping(job, dict(job.mapping), types)
        imports.start(job)
        job_id = job.id
        db.session.commit()
    drain(app)
    wanted = _count_rows(BOSTON, "type", lambda r: r["type"] in types)
    with app.app_context(), tenant_context(alpha.id):
        job = db.session.get(imports.ImportJob, (alpha.id, job_id))
        assert wanted == 49 and job.status == "done" and job.imported == wanted, job.skip_reasons
        assert not any("Answer this question" in reason for reason in job.skip_reasons)
        assert db.session.scalar(select(func.count(ServiceRequest.id)).where(
            ServiceRequest.service_code == "illegal-parking")) == 20


def test_importing_the_same_file_twice_skips_what_is_already_there(app, two_tenants):
    alpha, bravo = two_tenants
    types = {"Parking Enforcement": "parking"}
    first, _ = _run(app, alpha.id, BOSTON, types)
    with app.app_context(), tenant_context(alpha.id):
        job = imports.upload(BOSTON.name, BOSTON.read_bytes(), "utf-8", None)
        imports.start(job)
        job_id = job.id
        db.session.commit()
    drain(app)
    with app.app_context(), tenant_context(alpha.id):
        again = db.session.get(imports.ImportJob, (alpha.id, job_id))
        assert again.imported == 0 and again.skip_reasons["already imported (same id)"] == first.imported
        assert db.session.scalar(select(func.count(ServiceRequest.id))) == first.imported
    with app.app_context(), tenant_context(bravo.id):  # the other city saw nothing
        assert db.session.scalar(select(func.count(ServiceRequest.id))) == 0


def test_a_wrong_encoding_is_refused_with_a_clear_error(ctx, two_tenants):
    alpha, _ = two_tenants
    latin = "case_enquiry_id,open_dt,type\n1,2022-01-01 10:00:00,Señal rota\n".encode("latin-1")
    with tenant_context(alpha.id):
        with pytest.raises(SettingsError) as err:
            imports.upload("old.csv", latin, "utf-8", None)
        assert err.value.field == "file" and "not UTF-8 text" in str(err.value)
        with pytest.raises(SettingsError) as err:
            imports.upload("old.csv", BOSTON.read_text(encoding="utf-8").encode("utf-16"), "utf-8", None)
        assert "not UTF-8 text" in str(err.value)
        job = imports.upload("old.csv", latin, "latin-1", None)  # said right, it reads
        assert job.total_rows == 1


def test_the_import_pages_upload_map_preview_and_report(app):
    client = signed_up_admin(app)
    tenant = city(app)
    with app.app_context(), tenant_context(tenant.id):
        _catalog({"Parking Enforcement": "parking", "CE Collection": "ce-collection"})
        db.session.commit()
    page = client.get("/t/riverton/settings/import").get_data(as_text=True)
    bad = client.post("/t/riverton/settings/import", data={
        "csrf_token": csrf_token_from(page), "encoding": "utf-8",
        "file": (io.BytesIO("id,tipo\n1,señal\n".encode("cp1252")),
                 "old.csv")}, content_type="multipart/form-data")
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'id="file-error"' in html and "not UTF-8 text" in html
    with app.app_context(), tenant_context(tenant.id):
        assert db.session.scalar(select(func.count(imports.ImportJob.id))) == 0
    response = client.post("/t/riverton/settings/import", data={
        "csrf_token": csrf_token_from(page), "encoding": "utf-8", "file": (BOSTON.open("rb"), BOSTON.name)},
        content_type="multipart/form-data")
    assert response.status_code == 302
    mapping_url = response.headers["Location"]
    html = client.get(mapping_url).get_data(as_text=True)
    assert "100 rows" in html and "101004143000" in html  # the preview shows the first rows
    assert "is not mapped to a category" in html and "ready" in html
    form = dict(re.findall(r'<select name="(map-[a-z_]+)" id="[^"]+"[^>]*>.*?<option value="([^"]*)" selected',
                           html, re.S))
    types = re.findall(r'<label for="(type-\d+)">([^<]+)</label>', html)
    data = {"csrf_token": csrf_token_from(html), "action": "start", **form}
    for field, label in types:
        data[field] = {"Parking Enforcement": "parking", "CE Collection": "ce-collection"}.get(label, "")
    started = client.post(mapping_url, data=data)
    assert started.status_code == 302 and started.headers["Location"].endswith("/progress")
    drain(app)
    report = client.get(started.headers["Location"]).get_data(as_text=True)
    assert "Finished: 28 imported" in report and "72 skipped" in report
    assert "Why rows were skipped" in report and "http-equiv=\"refresh\"" not in report
    # While a job runs, the same page shows how far it got and refreshes itself.
    with app.app_context(), tenant_context(city(app).id):
        job = db.session.scalar(select(imports.ImportJob))
        job.status, job.processed = "running", 40
        db.session.commit()
    running = client.get(started.headers["Location"]).get_data(as_text=True)
    assert "40 of 100 rows read" in running and '<progress max="100" value="40"' in running
    assert 'http-equiv="refresh"' in running and 'role="status"' in running
