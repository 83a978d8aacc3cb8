"""Agent desk forms. The category's questions are built from its `Question` rows, exactly the
questions the web form asks, so a caller and a web visitor are asked the same things."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
    widgets,
)
from wtforms.validators import Email, Length, Optional

from civic311.tenants.catalog import Category, Question

CHANNEL_CHOICES = [("phone", _l("Phone call")), ("walk_in", _l("Walk-in")), ("email", _l("E-mail"))]
EMAIL_MESSAGE = _l("Enter an e-mail address like name@example.com.")


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class ContactForm(FlaskForm):
    """An information-only contact: the answer given, and who asked."""

    channel = SelectField(_l("How did they reach you?"), choices=CHANNEL_CHOICES)
    caller_phone = TelField(_l("Caller's phone"), validators=[Optional(), Length(max=40)])
    caller_email = EmailField(_l("Caller's e-mail"), validators=[Optional(), Email(EMAIL_MESSAGE,
                                                                                   check_deliverability=False)])
    kb_article_id = HiddenField()
    note = TextAreaField(_l("What did they ask?"), validators=[Optional(), Length(max=2000)])


class JoinForm(FlaskForm):
    channel = HiddenField()
    caller_phone = HiddenField()
    caller_email = HiddenField()
    locale = HiddenField()


def question_field_name(question: Question) -> str:
    return f"q_{question.code}"


def _choices(question: Question, locale: str) -> list[tuple[str, str]]:
    return [(str(v["key"]), (v.get("name_i18n") or {}).get(locale) or v.get("name", v["key"])) for v in question.values]


def intake_form_class(category: Category, locale: str) -> type[FlaskForm]:
    """One field per question of the category, then where, who, and how they reached us.

    Intake itself checks the answers (required, choices, numbers), so the errors are the portal's too.
    """

    class DeskIntakeForm(FlaskForm):
        channel = HiddenField()
        confirm_new = HiddenField()  # "1" once the agent has seen the likely duplicates and files anyway

    for question in category.questions:
        if not question.variable:
            continue
        label = question.prompt(locale) + (" *" if question.required else "")
        kw = {"description": (question.help_i18n or {}).get(locale) or question.help_text or "",
              "validators": [Optional()]}
        if question.datatype == "singlevaluelist":
            field = SelectField(label, choices=[("", _l("Choose one"))] + _choices(question, locale),
                                validate_choice=False, **kw)
        elif question.datatype == "multivaluelist":
            field = MultiCheckboxField(label, choices=_choices(question, locale), validate_choice=False, **kw)
        elif question.datatype == "text":
            field = TextAreaField(label, **kw)
        elif question.datatype == "number":
            field = StringField(label, render_kw={"inputmode": "decimal"}, **kw)
        elif question.datatype == "datetime":
            field = StringField(label, render_kw={"type": "datetime-local"}, **kw)
        else:
            field = StringField(label, **kw)
        setattr(DeskIntakeForm, question_field_name(question), field)

    DeskIntakeForm.description = TextAreaField(_l("What the caller describes"), validators=[Optional(),
                                                                                            Length(max=4000)])
    DeskIntakeForm.address = StringField(_l("Address or nearest landmark"), validators=[Optional(), Length(max=300)])
    DeskIntakeForm.lat = StringField(_l("Latitude (if known)"), validators=[Optional(), Length(max=20)],
                                     render_kw={"inputmode": "decimal"})
    DeskIntakeForm.lng = StringField(_l("Longitude (if known)"), validators=[Optional(), Length(max=20)],
                                     render_kw={"inputmode": "decimal"})
    DeskIntakeForm.name = StringField(_l("Caller's name"), validators=[Optional(), Length(max=120)])
    DeskIntakeForm.phone = TelField(_l("Caller's phone"), validators=[Optional(), Length(max=40)])
    DeskIntakeForm.email = EmailField(_l("Caller's e-mail"), validators=[Optional(), Email(
        EMAIL_MESSAGE, check_deliverability=False)])
    DeskIntakeForm.locale = SelectField(_l("Caller's language"), choices=[("en", _l("English")),
                                                                         ("es", _l("Spanish"))])
    DeskIntakeForm.anonymous = BooleanField(_l("The caller wants to stay anonymous"))
    DeskIntakeForm.note = TextAreaField(_l("Note for the contact log (not sent to anyone)"),
                                        validators=[Optional(), Length(max=2000)])
    return DeskIntakeForm
