"""May this token do this, on this Page? The authorization policy of SPEC §4–§5, for every layer.

A call is checked in two steps so that both answers of SPEC §5 stay distinct: first the
permissions the token may use now (200 when one is missing), then the Page tasks behind the token
(10 when they forbid the action). A Page token speaks only for its own Page.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection

from pagetoken.core import errors
from pagetoken.core.kinds import Origin, Source, TokenKind
from pagetoken.core.permissions import MANAGE, task_allows
from pagetoken.core.proof import proof_matches

from . import apps, roles, validation
from .context import Authority
from .records import ValidToken


def speaks_for(token: ValidToken, page_id: str) -> bool:
    """False for a Page token used on another Page (the Graph API then answers as if it did not exist)."""
    return token.kind != TokenKind.PAGE or token.page_id == page_id


def scopes(auth: Authority, token: ValidToken, page_id: str | None = None,
           conn: Connection | None = None) -> list[str]:
    """The permissions the token may use now, for a Page when `page_id` is given, before the task rule."""
    return validation.effective_scopes(auth, token, by_tasks=False, page_id=page_id, conn=conn)


def tasks(auth: Authority, token: ValidToken, page_id: str, conn: Connection | None = None) -> list[str]:
    """The tasks behind the token on a Page: the user's, or MANAGE for a Page that granted the app."""
    if token.kind == TokenKind.PAGE and token.origin == Origin.APP:
        return [MANAGE] if token.page_id == page_id else []
    if token.user_id is None:
        return []
    return roles.tasks_of(auth, page_id, token.user_id, conn)


def has(auth: Authority, token: ValidToken, permission: str, page_id: str | None) -> bool:
    """Whether the token may use `permission` (on the Page) now."""
    return permission in scopes(auth, token, page_id)


def check(auth: Authority, token: ValidToken, permissions: Iterable[str], task: str | None,
          page_id: str | None) -> None:
    """200 when the token lacks a permission, 10 when the tasks behind it forbid the action."""
    needed = list(permissions)
    if needed:
        have = set(scopes(auth, token, page_id))
        missing = [p for p in needed if p not in have]
        if missing:
            raise errors.MissingPermission(*missing)
    if task is not None and page_id is not None and not task_allows(tasks(auth, token, page_id), task):
        raise errors.MissingTask(task)


def check_proof(auth: Authority, token: ValidToken, proof: str | None) -> None:
    """appsecret_proof: checked whenever it is sent, required when the app demands it."""
    app = apps.get(auth, token.app_id)
    if app is None:
        raise errors.InvalidToken()
    if proof:
        secret = apps.secret(auth, app.id)
        if secret is None or not proof_matches(token.raw, secret, proof):
            raise errors.ProofInvalid()
    elif app.require_proof and token.source != Source.APP_SECRET_PAIR:
        raise errors.ProofRequired()
