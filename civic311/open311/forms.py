"""Forms of the API keys console."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange


class IssueKeyForm(FlaskForm):
    name = StringField(_l("Name of the key"), validators=[DataRequired(), Length(max=120)],
                       description=_l("Who or what will use it, e.g. “Public Works back office”."))
    rate_limit = IntegerField(_l("Requests per minute"), default=60,
                              validators=[DataRequired(), NumberRange(min=1, max=10000)])


class RevokeKeyForm(FlaskForm):
    """Only the CSRF token: the key comes from the URL."""
