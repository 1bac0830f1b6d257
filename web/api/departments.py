"""Departments in the API: the tree of governments, departments and internal units, and one department by key."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from catalog.services.department import DepartmentService
from web import deps
from web.api.blueprint import api
from web.api.openapi import operation
from web.api.payload import respond


@api.get("/departments")
@operation(tag="departments", summary=_l("The department tree (政务部门)"), responses={200: "DepartmentTree"},
           description=_l("Roots with nested children; a department's key, id or 统一社会信用代码 names it as a "
                          "resource's provider, and its key is the value of the department search filter."))
def department_tree():
    return respond({"items": deps.departments().tree()})


@api.get("/departments/<key>")
@operation(tag="departments", summary=_l("One department by its key"), responses={200: "Department"}, errors=(404,))
def department(key: str):
    return respond(DepartmentService.to_dict(deps.departments().get_by_key(key)))
