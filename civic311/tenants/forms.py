"""Forms of the city settings pages and the setup wizard."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DecimalField,
    FloatField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from civic311.accounts.models import CITY_ROLES
from civic311.tenants.catalog import PRIORITIES

COLOR = Regexp(r"^#[0-9a-fA-F]{6}$", message=_l("Use a colour like #1f4e79."))
SLA_UNITS = (("business_days", _l("business days")), ("business_hours", _l("business hours")),
             ("days", _l("calendar days")), ("hours", _l("hours")))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PlainForm(FlaskForm):
    """Just the CSRF token: buttons that do one thing (enable, delete, move, go live)."""


class DepartmentForm(FlaskForm):
    name = StringField(_l("Department name"), validators=[DataRequired(), Length(max=120)])
    contact_email = StringField(_l("Contact e-mail"), validators=[Optional(), Email(), Length(max=200)])
    enabled = BooleanField(_l("Taking requests now"), default=True)


class CategoryForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    name_es = StringField(_l("Name in Spanish"), validators=[Optional(), Length(max=120)])
    service_code = StringField(_l("Service code"), validators=[
        Optional(), Length(max=64), Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("Use letters, digits, - _ and ."))])
    department_id = SelectField(_l("Default department"), choices=[], default="")
    priority = SelectField(_l("Priority"), choices=[(p, p) for p in PRIORITIES], default="normal")
    sla_value = IntegerField(_l("Target time"), validators=[DataRequired(), NumberRange(min=1, max=365)], default=3)
    sla_unit = SelectField(_l("Unit"), choices=SLA_UNITS, default="business_days")
    description = TextAreaField(_l("Description for residents"), validators=[Optional(), Length(max=2000)])
    active = BooleanField(_l("Offered to residents"), default=True)


class QuestionForm(FlaskForm):
    description = StringField(_l("Question"), validators=[DataRequired(), Length(max=300)])
    description_es = StringField(_l("Question in Spanish"), validators=[Optional(), Length(max=300)])
    datatype = SelectField(_l("Answer type"), choices=[
        ("string", _l("Short text")), ("text", _l("Long text")), ("number", _l("Number")),
        ("singlevaluelist", _l("One choice")), ("multivaluelist", _l("Several choices"))])
    choices = TextAreaField(_l("Choices, one a line"), validators=[Optional(), Length(max=2000)])
    required = BooleanField(_l("Required"))


class BrandingForm(FlaskForm):
    display_name = StringField(_l("Name shown to residents"), validators=[Optional(), Length(max=120)])
    logo = FileField(_l("Logo (PNG, JPEG or WebP)"))
    primary_color = StringField(_l("Main colour"), validators=[DataRequired(), COLOR])
    accent_color = StringField(_l("Accent colour"), validators=[DataRequired(), COLOR])
    welcome_en = TextAreaField(_l("Welcome text in English"), validators=[Optional(), Length(max=1000)])
    welcome_es = TextAreaField(_l("Welcome text in Spanish"), validators=[Optional(), Length(max=1000)])
    phone = StringField(_l("City phone number"), validators=[Optional(), Length(max=40)])
    hours_text = StringField(_l("Opening hours shown on the portal"), validators=[Optional(), Length(max=200)])
    # The map: checked in the service (settings_service.check_map), which knows the rules.
    tile_url = StringField(_l("Map tile address"), validators=[Optional(), Length(max=300)])
    tile_attribution = StringField(_l("Map attribution"), validators=[Optional(), Length(max=300)])
    map_lat = FloatField(_l("Map centre latitude"), validators=[Optional(), NumberRange(min=-90, max=90)])
    map_lng = FloatField(_l("Map centre longitude"), validators=[Optional(), NumberRange(min=-180, max=180)])


class ChannelsForm(FlaskForm):
    portal = BooleanField(_l("Resident portal (web)"))
    api = BooleanField(_l("Open311 API (apps and partners)"))
    agent = BooleanField(_l("Agent desk (phone and walk-in)"))


class EscalationForm(FlaskForm):
    """What `civic311.platform.escalation` does at each SLA level; saved as {"at_risk": [...], "breached": [...]}."""

    at_risk_notify_supervisor = BooleanField(_l("When a request is at risk: e-mail the department's supervisor"))
    breached_notify_supervisor = BooleanField(_l("When a request is overdue: e-mail the department's supervisor"))
    breached_raise_priority = BooleanField(_l("When a request is overdue: raise its priority"))
    breached_reassign_to_supervisor = BooleanField(_l("When a request is overdue: assign it to the supervisor"))

    FIELDS = {"at_risk_notify_supervisor": ("at_risk", "notify_supervisor"),
              "breached_notify_supervisor": ("breached", "notify_supervisor"),
              "breached_raise_priority": ("breached", "raise_priority"),
              "breached_reassign_to_supervisor": ("breached", "reassign_to_supervisor")}

    @classmethod
    def data_from_policy(cls, policy: dict | None) -> dict[str, bool]:
        policy = policy or {}
        return {name: action in (policy.get(level) or []) for name, (level, action) in cls.FIELDS.items()}

    def policy(self) -> dict[str, list[str]]:
        result: dict[str, list[str]] = {"at_risk": [], "breached": []}
        for name, (level, action) in self.FIELDS.items():
            if getattr(self, name).data:
                result[level].append(action)
        return result


class HolidayPresetForm(FlaskForm):
    """Which national calendar's holidays the target times skip (`tenant.holiday_country`), or none."""

    country = SelectField(_l("National holidays"), choices=[
        ("US", _l("United States")), ("CA", _l("Canada")), ("MX", _l("Mexico")), ("PR", _l("Puerto Rico")),
        ("ES", _l("Spain")), ("none", _l("None: only the city's own holidays below"))], default="US")


class HolidayForm(FlaskForm):
    day = StringField(_l("Date (YYYY-MM-DD)"), validators=[DataRequired(), Regexp(
        r"^\d{4}-\d{2}-\d{2}$", message=_l("Use a date like 2026-07-04."))])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])


class ZonesForm(FlaskForm):
    geojson = FileField(_l("GeoJSON file"))
    kind = StringField(_l("What they are (ward, district…)"), validators=[DataRequired(), Length(max=40)],
                       default="ward")
    replace = BooleanField(_l("Replace the zones of this kind"), default=True)


class RuleForm(FlaskForm):
    name = StringField(_l("Rule name"), validators=[DataRequired(), Length(max=120)])
    category_ids = SelectMultipleField(_l("Categories (none: any)"), choices=[], validate_choice=False)
    zone_ids = SelectMultipleField(_l("Zones (none: anywhere)"), choices=[], validate_choice=False)
    keywords = StringField(_l("Words in the description, comma-separated"), validators=[Optional(), Length(max=300)])
    after_hours = SelectField(_l("Time"), choices=[("", _l("Any time")), ("1", _l("Only after hours")),
                                                   ("0", _l("Only in working hours"))], default="")
    department_id = SelectField(_l("Send to department"), choices=[], default="")
    priority = SelectField(_l("Set priority"), choices=[("", _l("Keep"))] + [(p, p) for p in PRIORITIES],
                           default="")
    sla_value = IntegerField(_l("Set target time"), validators=[Optional(), NumberRange(min=1, max=365)])
    sla_unit = SelectField(_l("Unit"), choices=SLA_UNITS, default="business_days")


class RuleTestForm(FlaskForm):
    category_id = SelectField(_l("Category"), choices=[])
    lat = DecimalField(_l("Latitude"), places=None, validators=[Optional(), NumberRange(min=-90, max=90)])
    lng = DecimalField(_l("Longitude"), places=None, validators=[Optional(), NumberRange(min=-180, max=180)])
    text = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])


class InviteForm(FlaskForm):
    email = StringField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    role = SelectField(_l("Role"), choices=[(r, r) for r in CITY_ROLES], default="staff")
    department_ids = MultiCheckboxField(_l("Departments (none: all)"), choices=[], validate_choice=False)


class OperatorForm(FlaskForm):
    operator_org_id = SelectField(_l("Contact center"), choices=[])
    phone_line = StringField(_l("The city's line they answer"), validators=[Optional(), Length(max=40)])


class DomainForm(FlaskForm):
    hostname = StringField(_l("Domain"), validators=[DataRequired(), Length(max=253), Regexp(
        r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
        message=_l("Type a domain like 311.yourcity.gov, without http://."))])


class ImportUploadForm(FlaskForm):
    file = FileField(_l("CSV file"))
    encoding = SelectField(_l("Text encoding"), choices=[("utf-8", "UTF-8"), ("cp1252", "Windows-1252"),
                                                         ("latin-1", "ISO-8859-1")], default="utf-8")
