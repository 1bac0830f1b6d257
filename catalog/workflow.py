"""The review workflow as a small explicit state machine: states, transitions and who may take them.

草稿 → (待部门审核) → 待注册审核 → 已注册 → 待发布审核 → 已发布; 退回修改 from any review; 已撤销 and back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from catalog import permissions as perm
from catalog.actor import Actor
from catalog.i18n import Text

STATES: dict[str, Text] = {
    "draft": Text({"zh": "草稿", "en": "Draft"}),
    "pending_department_review": Text({"zh": "待部门审核", "en": "Pending department review"}),
    "pending_registration": Text({"zh": "待注册审核", "en": "Pending registration"}),
    "registered": Text({"zh": "已注册", "en": "Registered"}),
    "pending_publication": Text({"zh": "待发布审核", "en": "Pending publication"}),
    "published": Text({"zh": "已发布", "en": "Published"}),
    "returned": Text({"zh": "退回修改", "en": "Returned for changes"}),
    "withdrawn": Text({"zh": "已撤销", "en": "Withdrawn"}),
}
EDITABLE = frozenset({"draft", "returned"})
REVIEW_STATES = frozenset({"pending_department_review", "pending_registration", "pending_publication"})


@dataclass(frozen=True)
class Transition:
    """One action: the states it starts from, the permission it needs per state, and whether a reason is required."""

    action: str
    label: Text
    sources: frozenset[str]
    permission: Callable[[Actor, int, str], bool]
    needs_comment: bool = False


def _by_state(actor: Actor, department_id: int, state: str) -> bool:
    if state == "pending_department_review":
        return perm.can_department_review(actor, department_id)
    if state == "pending_registration":
        return perm.can_register(actor, department_id)
    return perm.can_publish(actor, department_id)


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("submit", Text({"zh": "提交审核", "en": "Submit for review"}), frozenset({"draft", "returned"}),
                   lambda a, d, s: perm.can_submit(a, d)),
        Transition("approve_department", Text({"zh": "部门审核通过", "en": "Approve (department)"}),
                   frozenset({"pending_department_review"}), lambda a, d, s: perm.can_department_review(a, d)),
        Transition("return", Text({"zh": "退回修改", "en": "Return for changes"}), REVIEW_STATES, _by_state,
                   needs_comment=True),
        Transition("register", Text({"zh": "注册", "en": "Register"}), frozenset({"pending_registration"}),
                   lambda a, d, s: perm.can_register(a, d)),
        Transition("request_publication", Text({"zh": "申请发布", "en": "Request publication"}),
                   frozenset({"registered"}), lambda a, d, s: perm.can_submit(a, d) or perm.can_publish(a, d)),
        Transition("publish", Text({"zh": "发布", "en": "Publish"}), frozenset({"pending_publication"}),
                   lambda a, d, s: perm.can_publish(a, d)),
        Transition("withdraw", Text({"zh": "撤销（下线）", "en": "Withdraw"}), frozenset({"published"}),
                   lambda a, d, s: perm.can_withdraw(a, d), needs_comment=True),
        Transition("republish", Text({"zh": "重新发布", "en": "Re-publish"}), frozenset({"withdrawn"}),
                   lambda a, d, s: perm.can_publish(a, d)),
    )
}


def target_state(action: str, state: str, *, has_code: bool, department_review: bool) -> str:
    """The state an action leads to from ``state``.

    A resource returned after registration keeps its code, so its resubmission goes to publication review.

    :param action: a key of :data:`TRANSITIONS`.
    :param state: the current state.
    :param has_code: whether the resource was registered already.
    :param department_review: whether the internal department review is switched on.
    """
    if action == "submit":
        if department_review:
            return "pending_department_review"
        return "pending_publication" if has_code else "pending_registration"
    if action == "approve_department":
        return "pending_publication" if has_code else "pending_registration"
    return {
        "return": "returned",
        "register": "registered",
        "request_publication": "pending_publication",
        "publish": "published",
        "withdraw": "withdrawn",
        "republish": "published",
    }[action]


def allowed_actions(actor: Actor, department_id: int, state: str) -> list[str]:
    """The actions this actor may take on a resource in this state, in workflow order."""
    return [
        action
        for action, transition in TRANSITIONS.items()
        if state in transition.sources and transition.permission(actor, department_id, state)
    ]
