from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField, widgets
from wtforms.validators import DataRequired, Length, Optional


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class ArticleForm(FlaskForm):
    title = StringField(_l("Question or title"), validators=[DataRequired(), Length(max=200)])
    locale = SelectField(_l("Language"), choices=[("en", _l("English")), ("es", _l("Spanish"))])
    body = TextAreaField(_l("Answer"), validators=[DataRequired(), Length(max=20000)],
                         render_kw={"rows": 10})
    keywords = StringField(_l("Keywords"), validators=[Optional(), Length(max=1000)],
                           description=_l("Words callers use, separated by commas: pothole, bache, hole in road"))
    category_ids = MultiCheckboxField(_l("Linked categories"), choices=[], validate_choice=False)
    published = BooleanField(_l("Published (the portal and the agent desk show it)"), default=True)


class DeleteArticleForm(FlaskForm):
    pass
