"""Signup and invitation forms (platform host)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

TIMEZONES = (
    ("America/New_York", _l("Eastern (New York)")),
    ("America/Chicago", _l("Central (Chicago)")),
    ("America/Denver", _l("Mountain (Denver)")),
    ("America/Phoenix", _l("Mountain, no daylight saving (Phoenix)")),
    ("America/Los_Angeles", _l("Pacific (Los Angeles)")),
    ("America/Anchorage", _l("Alaska (Anchorage)")),
    ("Pacific/Honolulu", _l("Hawaii (Honolulu)")),
    ("America/Puerto_Rico", _l("Atlantic (Puerto Rico)")),
    ("America/Mexico_City", _l("Mexico City")),
    ("Europe/Madrid", _l("Central Europe (Madrid)")),
)
LANGUAGES = (("en", _l("English")), ("es", _l("Spanish")))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SignupForm(FlaskForm):
    city_name = StringField(_l("City name"), validators=[DataRequired(), Length(max=120)])
    slug = StringField(_l("Web address"), validators=[DataRequired(), Length(min=3, max=40, message=_l(
        "Use 3 to 40 lowercase letters, digits and single hyphens, starting with a letter."))])
    admin_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("Your work e-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Choose a password"), validators=[DataRequired(), Length(min=10, max=200)])
    timezone = SelectField(_l("Time zone"), choices=TIMEZONES, default="America/Chicago")
    languages = MultiCheckboxField(_l("Languages residents can use"), choices=LANGUAGES, default=["en", "es"])


class AcceptInvitationForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    password = PasswordField(_l("Choose a password"), validators=[DataRequired(), Length(min=10, max=200)])
    confirm = PasswordField(_l("Type it again"), validators=[DataRequired(), EqualTo("password")])


SLUG_PATTERN = Regexp(r"^[a-z0-9-]+$")
