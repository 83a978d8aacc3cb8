"""City settings pages under /t/<slug>/settings (admins only); the setup wizard walks through them.

Views are thin: parse the form, load through the city, call a service verb, render. A refused input
re-renders the page with the error next to its field and a 422, so nothing is half-saved (the request
wrapper rolls back anything below a 400 that was not committed... and everything at 400 and above).
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from civic311.db import db
from civic311.tenants import settings_service as svc
from civic311.tenants import wizard
from civic311.tenants.catalog import CHANNELS, Category, Department, Holiday, Question, Zone
from civic311.tenants.forms import (
    BrandingForm,
    CategoryForm,
    ChannelsForm,
    DepartmentForm,
    EscalationForm,
    HolidayForm,
    HolidayPresetForm,
    PlainForm,
    QuestionForm,
)
from civic311.web.city import city_blueprint, city_row_or_404, current_access

bp = city_blueprint("settings", __name__, "/settings")


@bp.before_request
def _admins_only():
    if not current_access().at_least("admin"):
        abort(403)


@bp.context_processor
def _wizard_context():
    return {"steps": wizard.STEPS, "done_steps": wizard.done_keys(g.tenant) if g.get("tenant") else set(),
            "in_wizard": request.args.get("wizard") == "1"}


def load(model, raw_id: str):
    """A row of the current city, or 404 (another city's row is simply not found)."""
    return city_row_or_404(model, raw_id)


def back(endpoint: str, **kw):
    if request.args.get("wizard") == "1":
        kw["wizard"] = "1"
    return redirect(url_for(endpoint, **kw))


def refused(template: str, target_form, exc: svc.SettingsError, **context):
    target = getattr(target_form, exc.field, None) if target_form is not None else None
    if target is not None and hasattr(target, "errors"):
        if isinstance(target.errors, tuple):
            target.errors = list(target.errors)
        target.errors.append(str(exc))
    else:
        flash(str(exc), "error")
    return render_template(template, **context), 422


# --- the wizard -----------------------------------------------------------------------------------

@bp.get("/")
def index():
    return render_template("settings/index.html", progress=wizard.progress(g.tenant))


@bp.get("/setup")
def setup():
    """Resume the wizard where the clerk left it."""
    step = wizard.next_step(g.tenant)
    return render_template("settings/setup.html", next_step=step, progress=wizard.progress(g.tenant),
                           form=PlainForm())


@bp.post("/setup/<key>/done")
def step_done(key: str):
    if key not in wizard.STEP_KEYS or not PlainForm().validate_on_submit():
        abort(400)
    wizard.mark_done(g.tenant, key)
    step = wizard.next_step(g.tenant, key)
    if step is None:
        return redirect(url_for("settings.setup"))
    return redirect(url_for(step.endpoint, wizard="1"))


# --- 1. departments and categories ------------------------------------------------------------------

def _department_choices() -> list[tuple[str, str]]:
    return [("", _("(none)"))] + [(str(d.id), d.name) for d in
                                  db.session.scalars(select(Department).order_by(Department.name))]


def _starter():
    try:
        from civic311.tenants import starter_catalog
    except ImportError:
        return None
    return starter_catalog


def _catalog_page(dept_form=None, status=200):
    starter = _starter()
    departments = list(db.session.scalars(select(Department).order_by(Department.name)))
    categories = list(db.session.scalars(select(Category).order_by(Category.position, Category.name)))
    return render_template("settings/catalog.html", departments=departments, categories=categories,
                           dept_form=dept_form or DepartmentForm(prefix="dept"), plain=PlainForm(),
                           starter_groups=starter.starter_groups() if starter else None), status


@bp.get("/catalog")
def catalog():
    return _catalog_page()


@bp.post("/catalog/departments")
def add_department():
    form = DepartmentForm(prefix="dept")
    if not form.validate_on_submit():
        return _catalog_page(form, 422)
    try:
        svc.add_department(form.name.data, form.contact_email.data, form.enabled.data)
    except svc.SettingsError as exc:
        form.name.errors.append(str(exc))
        return _catalog_page(form, 422)
    flash(_("Department added."))
    return back("settings.catalog")


@bp.post("/catalog/departments/<dept_id>/toggle")
def toggle_department(dept_id: str):
    dept = load(Department, dept_id)
    if not PlainForm().validate_on_submit():
        abort(400)
    svc.set_department_enabled(dept, not dept.enabled)
    flash(_("%(name)s now takes requests.", name=dept.name) if dept.enabled
          else _("%(name)s is paused: its categories are hidden until you enable it.", name=dept.name))
    return back("settings.catalog")


@bp.post("/catalog/adopt")
def adopt():
    if not PlainForm().validate_on_submit() or _starter() is None:
        abort(400)
    groups = request.form.getlist("group")
    codes = request.form.getlist("category")
    if not groups and not codes:
        flash(_("Choose at least one group or category to adopt."), "error")
        return _catalog_page(status=422)
    try:
        added = svc.adopt_starter(groups, codes)
    except svc.SettingsError as exc:  # a group or category the starter catalog does not have
        flash(str(exc), "error")
        return _catalog_page(status=422)
    flash(_("%(n)s categories added from the starter catalog.", n=added))
    return back("settings.catalog")


def _category_form(category: Category | None) -> CategoryForm:
    if category is not None and request.method == "GET":
        form = CategoryForm(obj=category)
        form.name_es.data = category.name_i18n.get("es", "")
        form.department_id.data = str(category.department_id) if category.department_id else ""
    else:
        form = CategoryForm()
    form.department_id.choices = _department_choices()
    return form


@bp.route("/catalog/categories/new", methods=["GET", "POST"], defaults={"category_id": None})
@bp.route("/catalog/categories/<category_id>", methods=["GET", "POST"])
def category(category_id: str | None):
    item = load(Category, category_id) if category_id else None
    form = _category_form(item)
    question_form = QuestionForm(prefix="q")
    context = {"form": form, "item": item, "question_form": question_form, "plain": PlainForm()}
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("settings/category.html", **context), 422
        try:
            item = svc.save_category(item, {f.name: f.data for f in form if f.name != "csrf_token"})
        except svc.SettingsError as exc:
            return refused("settings/category.html", form, exc, **context)
        flash(_("Saved. New requests use it now; earlier requests keep what they were filed with."))
        return back("settings.category", category_id=str(item.id))
    return render_template("settings/category.html", **context)


@bp.post("/catalog/categories/<category_id>/questions")
def add_question(category_id: str):
    item = load(Category, category_id)
    question_form = QuestionForm(prefix="q")
    form = _category_form(item)
    context = {"form": form, "item": item, "question_form": question_form, "plain": PlainForm()}
    if not question_form.validate_on_submit():
        return render_template("settings/category.html", **context), 422
    try:
        svc.add_question(item, question_form.description.data, question_form.datatype.data,
                         question_form.required.data, question_form.choices.data or "",
                         question_form.description_es.data or "")
    except svc.SettingsError as exc:
        return refused("settings/category.html", question_form, exc, **context)
    flash(_("Question added."))
    return back("settings.category", category_id=category_id)


@bp.post("/catalog/questions/<question_id>/delete")
def delete_question(question_id: str):
    question = load(Question, question_id)
    if not PlainForm().validate_on_submit():
        abort(400)
    category_id = str(question.category_id)
    svc.delete_question(question)
    flash(_("Question removed."))
    return back("settings.category", category_id=category_id)


# --- 2. branding ----------------------------------------------------------------------------------

@bp.route("/branding", methods=["GET", "POST"])
def branding():
    city = g.tenant
    if request.method == "GET":
        lat, lng = (city.map_center or [None, None])[:2]
        form = BrandingForm(obj=city, welcome_en=city.welcome_text.get("en", ""),
                            welcome_es=city.welcome_text.get("es", ""), map_lat=lat, map_lng=lng)
    else:
        form = BrandingForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("settings/branding.html", form=form), 422
        upload = form.logo.data
        data = upload.read() if upload and getattr(upload, "filename", "") else None
        try:
            svc.update_branding(city, svc.Branding(
                display_name=form.display_name.data or "", primary_color=form.primary_color.data,
                accent_color=form.accent_color.data, welcome_en=form.welcome_en.data or "",
                welcome_es=form.welcome_es.data or "", phone=form.phone.data or "",
                hours_text=form.hours_text.data or "", logo=data, map=_map_settings(form)))
        except svc.SettingsError as exc:
            return refused("settings/branding.html", form, exc, form=form)
        flash(_("Branding saved."))
        return back("settings.branding")
    return render_template("settings/branding.html", form=form)


def _map_settings(form: BrandingForm) -> svc.MapSettings | None:
    """The map part of the branding form; None when the form did not carry it (leave the map alone)."""
    if "tile_url" not in request.form:
        return None
    lat, lng = form.map_lat.data, form.map_lng.data
    return svc.MapSettings(tile_url=form.tile_url.data or "", attribution=form.tile_attribution.data or "",
                           center=None if lat is None and lng is None else (lat, lng))


# --- 3. channels ----------------------------------------------------------------------------------

@bp.route("/channels", methods=["GET", "POST"])
def channels():
    city = g.tenant
    form = ChannelsForm(data=city.channels) if request.method == "GET" else ChannelsForm()
    categories = list(db.session.scalars(select(Category).order_by(Category.position, Category.name)))
    offered = [c for c in CHANNELS if c != "import"]
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        per_category = {c.id: request.form.getlist(f"ch-{c.id}") for c in categories}
        svc.update_channels(city, {"portal": form.portal.data, "api": form.api.data, "agent": form.agent.data},
                            per_category)
        flash(_("Channels saved."))
        return back("settings.channels")
    return render_template("settings/channels.html", form=form, categories=categories, offered=offered)


# --- 4. working hours, holidays, escalation -------------------------------------------------------

def _hours_page(status=200, **forms):
    from datetime import date

    holidays = list(db.session.scalars(select(Holiday).order_by(Holiday.day)))
    # Rows made before the national calendar was switched on (or by an older demo) may repeat it: say so.
    doubled = {h.day for h in holidays if svc.national_holiday_on(g.tenant.holiday_country, date.fromisoformat(h.day))}
    policy = g.tenant.escalation_policy or {}
    return render_template(
        "settings/hours.html", holidays=holidays, doubled=doubled, hours=g.tenant.working_hours, plain=PlainForm(),
        hour_errors=forms.get("hour_errors", {}),
        preset_form=forms.get("preset_form") or HolidayPresetForm(prefix="preset",
                                                                  country=g.tenant.holiday_country or "none"),
        national=svc.national_holidays_listed(g.tenant.holiday_country, date.today()),
        holiday_form=forms.get("holiday_form") or HolidayForm(prefix="holiday"),
        escalation_form=forms.get("escalation_form") or EscalationForm(
            prefix="esc", data=EscalationForm.data_from_policy(policy)),
    ), status


@bp.get("/hours")
def hours():
    return _hours_page()


@bp.post("/hours/working")
def save_hours():
    if not PlainForm().validate_on_submit():
        abort(400)
    wanted = {}
    for day in svc.DAYS:
        if request.form.get(f"open{day}"):
            wanted[day] = (request.form.get(f"start{day}", ""), request.form.get(f"end{day}", ""))
    try:
        svc.update_working_hours(g.tenant, wanted)
    except svc.SettingsError as exc:
        return _hours_page(422, hour_errors={exc.field: str(exc)})
    flash(_("Working hours saved. New requests use them for their target times."))
    return back("settings.hours")


@bp.post("/hours/preset")
def holiday_preset():
    form = HolidayPresetForm(prefix="preset")
    if not form.validate_on_submit():
        return _hours_page(422, preset_form=form)
    country = None if form.country.data == "none" else form.country.data
    try:
        svc.set_national_calendar(g.tenant, country)
    except svc.SettingsError as exc:
        form.country.errors.append(str(exc))
        return _hours_page(422, preset_form=form)
    flash(_("National holidays saved.") if country else _("National holidays turned off: only the city's own "
                                                         "holidays stop the clock."))
    return back("settings.hours")


@bp.post("/hours/holidays")
def add_holiday():
    form = HolidayForm(prefix="holiday")
    if not form.validate_on_submit():
        return _hours_page(422, holiday_form=form)
    try:
        svc.add_holiday(form.day.data, form.name.data)
    except svc.SettingsError as exc:
        form.day.errors.append(str(exc))
        return _hours_page(422, holiday_form=form)
    flash(_("Holiday added."))
    return back("settings.hours")


@bp.post("/hours/holidays/<holiday_id>/delete")
def delete_holiday(holiday_id: str):
    holiday = load(Holiday, holiday_id)
    if not PlainForm().validate_on_submit():
        abort(400)
    svc.delete_holiday(holiday)
    return back("settings.hours")


@bp.post("/hours/escalation")
def escalation():
    form = EscalationForm(prefix="esc")
    if not form.validate_on_submit():
        return _hours_page(422, escalation_form=form)
    svc.update_escalation(g.tenant, form.policy())
    flash(_("Escalation policy saved."))
    return back("settings.hours")


# --- 5. zones -------------------------------------------------------------------------------------

@bp.route("/zones", methods=["GET", "POST"])
def zones():
    from civic311.tenants.forms import ZonesForm

    form = ZonesForm()
    items = list(db.session.scalars(select(Zone).order_by(Zone.kind, Zone.name)))
    context = {"form": form, "zones": items, "plain": PlainForm()}
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("settings/zones.html", **context), 422
        upload = form.geojson.data
        if not upload or not getattr(upload, "filename", ""):
            form.geojson.errors.append(_("Choose a GeoJSON file."))
            return render_template("settings/zones.html", **context), 422
        try:
            created = svc.import_zones(upload.read(), form.kind.data, form.replace.data)
        except svc.SettingsError as exc:
            return refused("settings/zones.html", form, exc, **context)
        flash(_("%(n)s zones saved.", n=len(created)))
        return back("settings.zones")
    return render_template("settings/zones.html", **context)


@bp.post("/zones/<zone_id>/delete")
def delete_zone(zone_id: str):
    zone = load(Zone, zone_id)
    if not PlainForm().validate_on_submit():
        abort(400)
    svc.delete_zone(zone)
    return back("settings.zones")
