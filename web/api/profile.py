"""The metadata profile in the API: every element with its labels, type, obligation, code list and limits."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from web import deps
from web.api.blueprint import api
from web.api.openapi import operation
from web.api.payload import respond


@api.get("/profile")
@operation(tag="profile", summary=_l("The metadata profile (元数据规范) resources are checked against"),
           responses={200: "Profile"},
           description=_l("The national core (GB/T 21063.3 and the 2017 guide) with this catalog's extensions; "
                          "labels in Chinese and English."))
def metadata_profile():
    return respond(deps.container().profile.to_dict())
