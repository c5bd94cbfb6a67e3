"""Seeding a `--dev` server: from a saved state, or from a small JSON fixture of apps, users and Pages.

A fixture::

    {"apps":  [{"name": "Scheduler", "id"?: "…", "secret"?: "…", "require_proof"?: true,
                "redirect_uris"?: ["…"], "deauthorize_url"?: "…"}],
     "users": [{"name": "Ada", "id"?, "email"?, "password"?,
                "apps"?: {"Scheduler": ["pages_show_list", "pages_manage_posts"]}}],
     "pages": [{"name": "Ada's Bakery", "id"?, "category"?: "Brand", "owner": "Ada",
                "roles"?: {"Bob": ["MODERATE"]}}]}

Apps and users are referred to by name or ID. IDs, secrets and passwords are chosen when given (so a
CI configuration can name them), generated otherwise; the answer lists them all.
"""

from __future__ import annotations

import re
from typing import Any

from pagetoken.core import errors

from . import grants, mint, oauth, roles, snapshot
from .context import Authority

_ID = re.compile(r"^[1-9][0-9]{0,31}$")


def _list(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = data.get(key) or []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise errors.BadParameter(f"{key} must be a list of objects")
    return items


def _id(item: dict[str, Any], what: str) -> str | None:
    given = item.get("id")
    if given is None:
        return None
    if not isinstance(given, str | int) or not _ID.match(str(given)):
        raise errors.BadParameter(f"a {what}'s id must be a decimal string")
    return str(given)


def _ref(refs: dict[str, str], key: Any, what: str) -> str:
    if not isinstance(key, str | int) or str(key) not in refs:
        raise errors.BadParameter(f"the fixture names no {what} {key!r}")
    return refs[str(key)]


def load(auth: Authority, data: Any) -> dict[str, Any]:
    """Seed from `data`: a state export (replaces everything) or a fixture (adds to what is there)."""
    if isinstance(data, dict) and data.get("format") == snapshot.FORMAT:
        return snapshot.import_state(auth, data)
    if not isinstance(data, dict):
        raise errors.BadParameter("a fixture must be a JSON object with apps, users and pages")
    unknown = set(data) - {"apps", "users", "pages"}
    if unknown:
        raise errors.BadParameter(f"a fixture has apps, users and pages, not {sorted(unknown)[0]!r}")
    out: dict[str, list[dict[str, Any]]] = {"apps": [], "users": [], "pages": []}
    app_refs: dict[str, str] = {}
    user_refs: dict[str, str] = {}
    try:
        for item in _list(data, "apps"):
            made = mint.new_app(auth, item.get("name"), require_proof=item.get("require_proof"),
                                redirect_uris=item.get("redirect_uris"), deauthorize_url=item.get("deauthorize_url"),
                                app_id=_id(item, "app"), secret=item.get("secret"))
            app_refs[made["id"]] = app_refs[made["name"]] = made["id"]
            out["apps"].append(made)
        for item in _list(data, "users"):
            made = mint.new_user(auth, item.get("name"), email=item.get("email"), password=item.get("password"),
                                 user_id=_id(item, "user"))
            user_refs[made["id"]] = user_refs[made["name"]] = made["id"]
            installs = item.get("apps") or {}
            if not isinstance(installs, dict):
                raise errors.BadParameter("a user's apps must map an app to the permissions granted it")
            for ref, perms in installs.items():
                app_id = _ref(app_refs, ref, "app")
                granted = oauth.scopes_or_error(",".join(perms) if isinstance(perms, list) else str(perms))
                with auth.store.write() as conn:
                    grants.consent(auth, conn, made["id"], app_id, granted or ["public_profile"])
            out["users"].append(made)
        for item in _list(data, "pages"):
            owner = _ref(user_refs, item.get("owner"), "user")
            made = mint.new_page(auth, owner, item.get("name"), item.get("category") or "Brand", _id(item, "page"))
            people = item.get("roles") or {}
            if not isinstance(people, dict):
                raise errors.BadParameter("a Page's roles must map a user to their tasks")
            for ref, tasks in people.items():
                roles.set_tasks(auth, made["id"], _ref(user_refs, ref, "user"), list(tasks))
            out["pages"].append(made)
    except ValueError as exc:  # an ID taken already
        raise errors.BadParameter(str(exc)) from exc
    return {"success": True, **out}
