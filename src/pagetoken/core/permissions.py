"""The permission catalog of SPEC §5: tiers, the Page task each needs, legacy names, and tasks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

BASIC = "basic"
EXTENDED = "extended"

MANAGE = "MANAGE"
CREATE_CONTENT = "CREATE_CONTENT"
MODERATE = "MODERATE"
MESSAGING = "MESSAGING"
ADVERTISE = "ADVERTISE"
ANALYZE = "ANALYZE"
TASKS: tuple[str, ...] = (MANAGE, CREATE_CONTENT, MODERATE, MESSAGING, ADVERTISE, ANALYZE)
ANY_TASK = "ANY"


@dataclass(frozen=True)
class Permission:
    name: str
    tier: str
    task: str  # a task name, or ANY_TASK
    description: str
    page_scoped: bool = True


CATALOG: dict[str, Permission] = {
    p.name: p
    for p in (
        Permission("pages_show_list", BASIC, ANY_TASK, "List the Pages you manage"),
        Permission("pages_read_engagement", BASIC, ANY_TASK, "Read the Page, its posts, comments and likes"),
        Permission("pages_read_user_content", BASIC, ANY_TASK, "Read what visitors post on the Page"),
        Permission("read_page_mailboxes", BASIC, MESSAGING, "Read the Page's conversations and messages"),
        Permission("read_insights", BASIC, ANALYZE, "Read Page Insights"),
        Permission("pages_manage_posts", EXTENDED, CREATE_CONTENT, "Publish, edit and delete Page posts"),
        Permission("pages_manage_engagement", EXTENDED, MODERATE, "Reply to, hide and delete comments"),
        Permission("pages_messaging", EXTENDED, MESSAGING, "Send messages as the Page"),
        Permission("pages_manage_metadata", EXTENDED, MANAGE, "Update the Page's settings and subscribe apps"),
        Permission("pages_manage_ads", EXTENDED, ADVERTISE, "Create ads for the Page and read its billing"),
        Permission("pages_manage_roles", EXTENDED, MANAGE, "Add and remove people and their Page tasks"),
        Permission("public_profile", BASIC, ANY_TASK, "Your name and profile picture", page_scoped=False),
        Permission("email", BASIC, ANY_TASK, "Your email address", page_scoped=False),
    )
}

LEGACY: dict[str, tuple[str, ...]] = {
    "manage_pages": ("pages_show_list", "pages_read_engagement", "pages_manage_metadata"),
    "publish_pages": ("pages_manage_posts", "pages_manage_engagement"),
}

BASIC_PERMISSIONS = frozenset(n for n, p in CATALOG.items() if p.tier == BASIC)
EXTENDED_PERMISSIONS = frozenset(n for n, p in CATALOG.items() if p.tier == EXTENDED)
PAGE_PERMISSIONS = frozenset(n for n, p in CATALOG.items() if p.page_scoped)


class UnknownPermission(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"Invalid Scopes: {name}")
        self.name = name


def parse_scope(raw: str | Iterable[str] | None) -> list[str]:
    """Split a scope list (comma or space separated), expand legacy names, keep order, drop repeats.

    Raises UnknownPermission for a name that is neither in the catalog nor a legacy alias.
    """
    if raw is None:
        return []
    items = raw.replace(" ", ",").split(",") if isinstance(raw, str) else list(raw)
    out: list[str] = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        expanded = LEGACY.get(item, (item,))
        for name in expanded:
            if name not in CATALOG:
                raise UnknownPermission(name)
            if name not in out:
                out.append(name)
    return out


def basic_only(scopes: Iterable[str]) -> list[str]:
    """The tier rule: what a Page token derived from a short-lived user token may carry."""
    return [s for s in scopes if s not in EXTENDED_PERMISSIONS]


def normalise_tasks(tasks: Iterable[str]) -> list[str]:
    out: list[str] = []
    for t in tasks:
        t = t.strip().upper()
        if t not in TASKS:
            raise ValueError(f"unknown task {t!r}; tasks are {', '.join(TASKS)}")
        if t not in out:
            out.append(t)
    return out


# The order the Graph API lists a person's tasks on a Page in (`/me/accounts`, `/{page-id}/roles`).
WIRE_TASK_ORDER: tuple[str, ...] = (ANALYZE, ADVERTISE, MESSAGING, MODERATE, CREATE_CONTENT, MANAGE)


def wire_tasks(tasks: Iterable[str]) -> list[str]:
    """`tasks` in the Graph API's order."""
    held = set(tasks)
    return [t for t in WIRE_TASK_ORDER if t in held]


def task_allows(tasks: Iterable[str], needed: str) -> bool:
    """Whether a holder of `tasks` may do what needs `needed` (MANAGE implies every task)."""
    held = set(tasks)
    if not held:
        return False
    return needed == ANY_TASK or needed in held or MANAGE in held
