from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, NumberRange

from civic311.admin.service import SUPPORT_HOURS
from civic311.billing.plans import FEATURE_NAMES


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(min=3, max=500)])


class ExtendTrialForm(FlaskForm):
    days = IntegerField(_l("Extra days"), default=14, validators=[DataRequired(), NumberRange(min=1, max=90)])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(min=3, max=500)])


class FlagForm(FlaskForm):
    name = SelectField(_l("Feature"), choices=[(code, FEATURE_NAMES[code]) for code in FEATURE_NAMES],
                       validators=[DataRequired()])
    enabled = SelectField(_l("For this city"), choices=[("on", _l("On, whatever the plan says")),
                                                          ("off", _l("Off, whatever the plan says"))], default="on")


class OperatorOrgForm(FlaskForm):
    name = StringField(_l("Organization name"), validators=[DataRequired(), Length(max=120)])
    slug = StringField(_l("Short address"), validators=[DataRequired(), Length(min=3, max=40)])


class InviteForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(check_deliverability=False)])


class SupportAccessForm(FlaskForm):
    hours = SelectField(_l("For how long"), coerce=int, default=4, choices=[
        (1, _l("1 hour")), (4, _l("4 hours")), (24, _l("1 day")), (72, _l("3 days"))])


class EmptyForm(FlaskForm):
    """A button that changes something: CSRF only."""


__all__ = ["ReasonForm", "ExtendTrialForm", "FlagForm", "OperatorOrgForm", "InviteForm", "SupportAccessForm",
           "EmptyForm", "SUPPORT_HOURS"]
