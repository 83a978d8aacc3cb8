"""Console forms. Every request action carries the version the person saw (see lifecycle.check_version)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

STATUS_CHOICES = [("new", _l("New")), ("acknowledged", _l("Acknowledged")), ("in_progress", _l("In progress"))]
CLOSE_REASON_CHOICES = [
    ("", _l("Choose a reason")), ("resolved", _l("Resolved")), ("duplicate", _l("Duplicate of another request")),
    ("referred", _l("Referred to another agency")), ("not_actionable", _l("Nothing the city can do")),
    ("no_access", _l("Crew could not get access")), ("withdrawn", _l("Withdrawn by the reporter")),
]
LOCALE_CHOICES = [("en", _l("English")), ("es", _l("Spanish"))]


class _RequestAction(FlaskForm):
    version = HiddenField()


class AcknowledgeForm(_RequestAction):
    message = TextAreaField(_l("Message to the reporter (optional)"), validators=[Optional(), Length(max=4000)])


class StatusForm(_RequestAction):
    status = SelectField(_l("New status"), choices=STATUS_CHOICES)
    message = TextAreaField(_l("Message to the reporter (optional)"), validators=[Optional(), Length(max=4000)])


class AssignForm(_RequestAction):
    assignee = SelectField(_l("Assign to"), choices=[], validate_choice=False)


class CloseForm(_RequestAction):
    reason = SelectField(_l("Reason for closing"), choices=CLOSE_REASON_CHOICES, validators=[DataRequired()])
    into = StringField(_l("Tracking number of the original (for duplicates)"), validators=[Optional(),
                                                                                            Length(max=24)])
    message = TextAreaField(_l("Closing note to the reporter"), validators=[Optional(), Length(max=4000)])


class ReopenForm(_RequestAction):
    message = TextAreaField(_l("Why is it reopened?"), validators=[DataRequired(), Length(max=4000)])


class ReplyForm(_RequestAction):
    response = SelectField(_l("Standard response"), choices=[], validate_choice=False)
    message = TextAreaField(_l("Reply to the reporter"), validators=[DataRequired(), Length(max=4000)])


class NoteForm(_RequestAction):
    message = TextAreaField(_l("Internal note (staff only)"), validators=[DataRequired(), Length(max=4000)])


class MergeForm(_RequestAction):
    into = StringField(_l("Merge into request number"), validators=[DataRequired(), Length(max=24)])


class RecategorizeForm(_RequestAction):
    category_id = SelectField(_l("New category"), choices=[], validate_choice=False, validators=[DataRequired()])


class MoveForm(_RequestAction):
    lat = DecimalField(_l("Latitude"), places=6, validators=[InputRequired(), NumberRange(-90, 90)])
    lng = DecimalField(_l("Longitude"), places=6, validators=[InputRequired(), NumberRange(-180, 180)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])


ACTION_FORMS = {
    "acknowledge": AcknowledgeForm, "status": StatusForm, "assign": AssignForm, "close": CloseForm,
    "reopen": ReopenForm, "reply": ReplyForm, "note": NoteForm, "merge": MergeForm,
    "recategorize": RecategorizeForm, "move": MoveForm,
}


class BulkForm(FlaskForm):
    action = SelectField(_l("With the selected requests"), choices=[
        ("assign", _l("Assign to")), ("status", _l("Change status to"))])
    assignee = SelectField(_l("Assignee"), choices=[], validate_choice=False)
    status = SelectField(_l("Status"), choices=STATUS_CHOICES)


class SaveViewForm(FlaskForm):
    name = StringField(_l("Name of this view"), validators=[DataRequired(), Length(max=80)])
    filters = HiddenField()


class DeleteForm(FlaskForm):
    pass


class StandardResponseForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=120)])
    locale = SelectField(_l("Language"), choices=LOCALE_CHOICES)
    body = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=4000)])
    active = BooleanField(_l("Offer this response"), default=True)


class TotpEnrolForm(FlaskForm):
    code = StringField(_l("6-digit code from your authenticator app"), validators=[DataRequired(), Length(6, 8)],
                       render_kw={"inputmode": "numeric", "autocomplete": "one-time-code"})
