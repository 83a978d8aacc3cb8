"""The knowledge-base editor under /t/<slug>/kb, for the city's admins and supervisors."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from civic311.db import db
from civic311.kb import service
from civic311.kb.forms import ArticleForm, DeleteArticleForm
from civic311.kb.models import KbArticle
from civic311.kb.search import search_articles
from civic311.tenants.catalog import Category
from civic311.web.city import city_blueprint, city_row_or_404, require_role

bp = city_blueprint("kb", __name__, "/kb")


def _article_or_404(article_id: str) -> KbArticle:
    return city_row_or_404(KbArticle, article_id)


@bp.get("/", endpoint="index")
@require_role("supervisor")
def index():
    query = (request.args.get("q") or "").strip()[:200]
    # Not "lang": that one switches the supervisor's own screens to the language (see web/i18n.py).
    locale = request.args.get("language") if request.args.get("language") in ("en", "es") else None
    if query:
        rows = search_articles(query, locale or "en", limit=50)
    else:
        stmt = select(KbArticle).order_by(KbArticle.locale, KbArticle.title)
        if locale:
            stmt = stmt.where(KbArticle.locale == locale)
        rows = list(db.session.scalars(stmt))
    categories = {str(c.id): c.name for c in db.session.scalars(select(Category))}
    return render_template("kb/index.html", rows=rows, query=query, locale=locale, categories=categories)


@bp.route("/new", methods=["GET", "POST"], endpoint="new")
@bp.route("/<article_id>", methods=["GET", "POST"], endpoint="edit")
@require_role("supervisor")
def edit(article_id: str | None = None):
    article = _article_or_404(article_id) if article_id else None
    form = ArticleForm(obj=article)
    form.category_ids.choices = [(str(c.id), c.name) for c in
                                 db.session.scalars(select(Category).order_by(Category.name))]
    if request.method == "GET" and article is not None:
        form.keywords.data = ", ".join(article.keywords or [])
    if form.validate_on_submit():
        try:
            saved = service.save_article(article, title=form.title.data, body=form.body.data,
                                         keywords=form.keywords.data or "", category_ids=form.category_ids.data or [],
                                         locale=form.locale.data, published=form.published.data)
        except service.KbError as exc:
            form.title.errors.append(str(exc))
        else:
            flash(_("Saved the answer “%(t)s”.", t=saved.title))
            return redirect(url_for(".index"))
    return render_template("kb/edit.html", form=form, article=article,
                           delete_form=DeleteArticleForm()), 422 if form.errors else 200


@bp.post("/<article_id>/delete")
@require_role("supervisor")
def delete(article_id: str):
    article = _article_or_404(article_id)
    if DeleteArticleForm().validate_on_submit():
        service.delete_article(article)
        flash(_("Deleted the answer “%(t)s”.", t=article.title))
    return redirect(url_for(".index"))


BLUEPRINTS = [bp]
