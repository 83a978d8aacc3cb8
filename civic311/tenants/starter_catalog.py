"""The starter catalog: the common 311 categories a new city can adopt in one step.

The data lives in `data/starter_catalog.json` (English and Spanish, with the real services each
category was built from; `data/SOURCES.md` credits the cities). Adopting it creates departments,
groups, categories and their questions in the current tenant. Rows are matched by their natural keys
(department and group name, service code, question code), so adopting twice, or adopting more groups
later, never creates anything twice and never overwrites what a city has edited since.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from sqlalchemy import func, select

from civic311 import audit
from civic311.db import db
from civic311.tenants.catalog import Category, CategoryGroup, Department, Question

DATA_FILE = Path(__file__).resolve().parent / "data" / "starter_catalog.json"
SOURCE_LANGUAGE = "en"


@cache
def _data() -> dict:
    with DATA_FILE.open(encoding="utf-8") as fh:
        return json.load(fh)


def starter_data() -> dict:
    """The whole starter catalog as shipped (read-only: do not mutate)."""
    return _data()


@dataclass(frozen=True)
class StarterCategory:
    service_code: str
    name: dict[str, str]
    description: dict[str, str]
    department: str
    sla_text: str
    question_count: int


@dataclass(frozen=True)
class StarterGroup:
    key: str
    name: dict[str, str]
    categories: tuple[StarterCategory, ...]

    def label(self, locale: str) -> str:
        return self.name.get(locale) or self.name[SOURCE_LANGUAGE]


def starter_groups() -> list[StarterGroup]:
    """The groups and their categories, for a chooser ("which of these does your city handle?")."""
    departments = {d["key"]: d["name"] for d in _data()["departments"]}
    groups = []
    for group in _data()["groups"]:
        categories = tuple(
            StarterCategory(
                service_code=c["service_code"],
                name=dict(c["name"]),
                description=dict(c["description"]),
                department=departments[c["department"]],
                sla_text=_sla_text(c["sla"]["value"], c["sla"]["unit"]),
                question_count=len(c["questions"]),
            )
            for c in group["categories"]
        )
        groups.append(StarterGroup(key=group["key"], name=dict(group["name"]), categories=categories))
    return groups


def _sla_text(value: int, unit: str) -> str:
    words = unit.replace("_", " ")
    return f"{value} {words.rstrip('s') if value == 1 else words}"


@dataclass
class AdoptionResult:
    departments: list[str] = field(default_factory=list)  # names created
    groups: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)  # service codes created
    questions: int = 0
    skipped_categories: list[str] = field(default_factory=list)  # already in the city's catalog

    @property
    def created_anything(self) -> bool:
        return bool(self.departments or self.groups or self.categories or self.questions)


class StarterCatalogError(ValueError):
    pass


def adopt_starter_catalog(group_keys: list[str] | None = None,
                          category_codes: list[str] | None = None) -> AdoptionResult:
    """Add the starter catalog (all of it, or the chosen groups and/or categories) to the current city.

    With both filters given a category is adopted if its group is chosen or its code is. Unknown keys
    raise StarterCatalogError. Existing rows are kept as the city left them; only missing ones are added.
    """
    wanted = _select(group_keys, category_codes)
    result = AdoptionResult()
    departments = {d.name.lower(): d for d in db.session.scalars(select(Department))}
    groups = {g.name.lower(): g for g in db.session.scalars(select(CategoryGroup))}
    existing = {c.service_code: c for c in db.session.scalars(select(Category))}
    dept_names = {d["key"]: d["name"] for d in _data()["departments"]}
    next_group_position = (db.session.scalar(select(func.max(CategoryGroup.position))) or 0) + 1

    for group_data, categories in wanted:
        group_name = group_data["name"][SOURCE_LANGUAGE]
        group = groups.get(group_name.lower())
        if group is None:
            group = CategoryGroup(name=group_name, name_i18n=dict(group_data["name"]), position=next_group_position)
            next_group_position += 1
            db.session.add(group)
            groups[group_name.lower()] = group
            result.groups.append(group_name)
        for position, data in enumerate(categories, start=1):
            category = existing.get(data["service_code"])
            if category is None:
                department = _department(dept_names[data["department"]], departments, result)
                db.session.flush()  # ids for the foreign keys below
                category = _new_category(data, group, department, position)
                db.session.add(category)
                existing[category.service_code] = category
                result.categories.append(category.service_code)
            else:
                result.skipped_categories.append(category.service_code)
            result.questions += _add_missing_questions(category, data["questions"])
    db.session.flush()
    if result.created_anything:
        audit.record("catalog.starter_adopted", details={
            "departments": result.departments, "groups": result.groups, "categories": result.categories,
            "questions": result.questions,
        })
        db.session.flush()
    return result


def _select(group_keys: list[str] | None, category_codes: list[str] | None) -> list[tuple[dict, list[dict]]]:
    groups = _data()["groups"]
    known_groups = {g["key"] for g in groups}
    known_codes = {c["service_code"] for g in groups for c in g["categories"]}
    unknown = sorted(set(group_keys or ()) - known_groups) + sorted(set(category_codes or ()) - known_codes)
    if unknown:
        raise StarterCatalogError(f"not in the starter catalog: {', '.join(unknown)}")
    if group_keys is None and category_codes is None:
        return [(g, list(g["categories"])) for g in groups]
    chosen_groups, chosen_codes = set(group_keys or ()), set(category_codes or ())
    selected = []
    for group in groups:
        cats = [c for c in group["categories"] if group["key"] in chosen_groups or c["service_code"] in chosen_codes]
        if cats:
            selected.append((group, cats))
    return selected


def _department(name: str, departments: dict[str, Department], result: AdoptionResult) -> Department:
    department = departments.get(name.lower())
    if department is None:
        department = Department(name=name)
        db.session.add(department)
        departments[name.lower()] = department
        result.departments.append(name)
    return department


def _new_category(data: dict, group: CategoryGroup, department: Department, position: int) -> Category:
    en = SOURCE_LANGUAGE
    return Category(
        service_code=data["service_code"],
        name=data["name"][en],
        name_i18n=dict(data["name"]),
        description=data["description"][en],
        description_i18n=dict(data["description"]),
        keywords=list(data["keywords"]),
        group_id=group.id,
        department_id=department.id,
        priority=data["priority"],
        sla_value=data["sla"]["value"],
        sla_unit=data["sla"]["unit"],
        photo_required=data["photo_required"],
        location_required=data["location_required"],
        contact_required=data["contact_required"],
        anonymous_allowed=data["anonymous_allowed"],
        emergency_notice=dict(data.get("emergency_notice") or {}),
        position=position,
    )


def _add_missing_questions(category: Category, questions: list[dict]) -> int:
    have = {q.code for q in category.questions}
    next_position = max((q.position for q in category.questions), default=0) + 1
    added = 0
    for data in questions:
        if data["code"] in have:
            continue
        help_text = data.get("help") or {}
        category.questions.append(Question(
            code=data["code"],
            datatype=data["datatype"],
            required=data["required"],
            position=next_position,
            description=data["description"][SOURCE_LANGUAGE],
            description_i18n=dict(data["description"]),
            help_text=help_text.get(SOURCE_LANGUAGE, ""),
            help_i18n=dict(help_text),
            values=[{"key": v["key"], "name": v["name"][SOURCE_LANGUAGE], "name_i18n": dict(v["name"])}
                    for v in data.get("values", ())],
        ))
        have.add(data["code"])
        next_position += 1
        added += 1
    return added
