"""The portal's forms. Every message is translatable; the category's questions become a form built
from its `Question` rows, the same questions agents ask on the phone."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from civic311.tenants.catalog import Category, Question

EMAIL_MESSAGE = _l("Enter an e-mail address like name@example.com.")


class TrackForm(FlaskForm):
    number = StringField(_l("Tracking number"), validators=[DataRequired(_l("Enter the tracking number."))],
                         render_kw={"autocomplete": "off", "spellcheck": "false", "placeholder": "SPR-26-000123"})


class CategoryForm(FlaskForm):
    category = RadioField(_l("What is the problem?"), choices=[],
                          validators=[InputRequired(_l("Choose the kind of problem."))], validate_choice=True)


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def question_field_name(question: Question) -> str:
    return f"q_{question.code}"


def details_form_class(category: Category, locale: str) -> type[FlaskForm]:
    """A form with one field per question of the category; intake checks the answers."""

    class DetailsForm(FlaskForm):
        description = TextAreaField(_l("Describe the problem"), validators=[Optional(), Length(max=4000, message=_l(
            "Use at most %(max)d characters."))])

    for question in category.questions:
        if not question.variable:
            continue
        label = question.prompt(locale)
        description = (question.help_i18n or {}).get(locale) or question.help_text or ""
        kw = {"description": description, "validators": [Optional()]}
        if question.datatype == "singlevaluelist":
            choices = [(str(v["key"]), (v.get("name_i18n") or {}).get(locale) or v.get("name", v["key"]))
                       for v in question.values]
            field = RadioField(label, choices=choices, validate_choice=False, **kw)
        elif question.datatype == "multivaluelist":
            choices = [(str(v["key"]), (v.get("name_i18n") or {}).get(locale) or v.get("name", v["key"]))
                       for v in question.values]
            field = MultiCheckboxField(label, choices=choices, validate_choice=False, **kw)
        elif question.datatype == "text":
            field = TextAreaField(label, **kw)
        elif question.datatype == "number":
            field = StringField(label, render_kw={"inputmode": "decimal"}, **kw)
        elif question.datatype == "datetime":
            field = StringField(label, render_kw={"type": "datetime-local"}, **kw)
        else:
            field = StringField(label, **kw)
        field.kwargs["render_kw"] = {**field.kwargs.get("render_kw", {}),
                                     **({"required": True} if question.required else {})}
        setattr(DetailsForm, question_field_name(question), field)
    return DetailsForm


class LocationForm(FlaskForm):
    address = StringField(_l("Address or nearest landmark"), validators=[Optional(), Length(max=300, message=_l(
        "Use at most %(max)d characters."))], render_kw={"autocomplete": "street-address"})
    lat = HiddenField()
    lng = HiddenField()


class ContactForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[Optional(), Length(max=120)], render_kw={"autocomplete": "name"})
    email = EmailField(_l("E-mail"), validators=[Optional(), Email(EMAIL_MESSAGE, check_deliverability=False)],
                       render_kw={"autocomplete": "email"})
    phone = TelField(_l("Phone"), validators=[Optional(), Length(max=40)], render_kw={"autocomplete": "tel"})
    anonymous = BooleanField(_l("Report anonymously (we will not be able to contact you)"))


class ReviewForm(FlaskForm):
    photos = MultipleFileField(_l("Photos"), render_kw={"accept": "image/jpeg,image/png,image/webp"})


class DeflectionForm(FlaskForm):
    article_id = HiddenField()


class FollowForm(FlaskForm):
    email = EmailField(_l("Your e-mail"), validators=[DataRequired(_l("Enter your e-mail address.")),
                                                      Email(EMAIL_MESSAGE, check_deliverability=False)],
                       render_kw={"autocomplete": "email"})


class ReopenForm(FlaskForm):
    reason = TextAreaField(_l("Why is the problem not solved?"),
                           validators=[DataRequired(_l("Say why the problem is not solved.")), Length(max=2000)])
    token = HiddenField()


class SurveyStartForm(FlaskForm):
    token = HiddenField()


class SignInForm(FlaskForm):
    # No format check at sign-in: a wrong address simply does not match (and `.test` demo accounts work).
    email = EmailField(_l("E-mail"), validators=[DataRequired(_l("Enter your e-mail address.")), Length(max=254)],
                       render_kw={"autocomplete": "email"})
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))],
                             render_kw={"autocomplete": "current-password"})


class SignUpForm(FlaskForm):
    name = StringField(_l("Your name (optional)"), validators=[Optional(), Length(max=120)],
                       render_kw={"autocomplete": "name"})
    email = EmailField(_l("E-mail"), validators=[DataRequired(_l("Enter your e-mail address.")),
                                                 Email(EMAIL_MESSAGE, check_deliverability=False)],
                       render_kw={"autocomplete": "email"})
    password = PasswordField(_l("Password (at least 10 characters)"),
                             validators=[DataRequired(_l("Choose a password."))],
                             render_kw={"autocomplete": "new-password"})
    locale = SelectField(_l("Language"), choices=[])


class PreferencesForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[Optional(), Length(max=120)], render_kw={"autocomplete": "name"})
    phone = TelField(_l("Phone"), validators=[Optional(), Length(max=40)], render_kw={"autocomplete": "tel"})
    locale = SelectField(_l("Language"), choices=[])
    notify_email = BooleanField(_l("E-mail me when my requests change"))
    notify_sms = BooleanField(_l("Text me when my requests change (needs a phone number)"))

    def validate_notify_sms(self, field: BooleanField) -> None:
        # Say so rather than save the choice switched off behind the resident's back.
        if field.data and not (self.phone.data or "").strip():
            raise ValidationError(_l("Add a phone number to get text messages."))
