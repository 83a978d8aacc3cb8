from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField, SelectField
from wtforms.validators import DataRequired, Email, Length

from civic311.billing.plans import PLANS


class PlanForm(FlaskForm):
    plan = RadioField(_l("Plan"), choices=[(p.code, p.name) for p in PLANS.values()], validators=[DataRequired()])
    interval = SelectField(_l("Billing period"), choices=[("month", _l("Monthly")), ("year", _l("Yearly"))],
                           validators=[DataRequired()])


class BillingContactForm(FlaskForm):
    billing_email = EmailField(_l("Billing e-mail"), validators=[
        DataRequired(), Email(check_deliverability=False), Length(max=200)])


class EmptyForm(FlaskForm):
    """A button that changes something: CSRF only."""
