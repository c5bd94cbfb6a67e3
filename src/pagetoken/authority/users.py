"""Users: accounts with argon2 passwords, password changes (460), test users, deletion."""

from __future__ import annotations

import os
import re
import secrets
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, delete, insert, select, update

from pagetoken.core import errors
from pagetoken.core.kinds import ObjectType, RevocationReason
from pagetoken.store.store import add_node, may_block
from pagetoken.store.tables import nodes, tokens, users

from . import revoke
from .context import Authority
from .records import User

_hasher = PasswordHasher()
# Argon2 is slow on purpose: at most one hash per CPU core at once, whoever asks (logins, new users,
# password changes, test users), so a flood of them queues instead of starving every other request.
HASHING = threading.BoundedSemaphore(os.cpu_count() or 1)
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# A hash to verify against when the email is unknown, so a miss costs as long as a hit.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def _check_password(password: str) -> None:
    if len(password) < 8:
        raise errors.BadParameter("password must be at least 8 characters")
    if len(password) > 1024:
        raise errors.BadParameter("password must be at most 1024 characters")


def create(auth: Authority, name: str, email: str | None = None, password: str | None = None,
           test_app_id: str | None = None, conn: Connection | None = None,
           node_id: str | None = None) -> tuple[User, str]:
    """A new user and their password (generated when not given)."""
    name = name.strip()
    if not name or len(name) > 200:
        raise errors.BadParameter("name must be 1 to 200 characters")
    if email is not None:
        email = email.strip().lower()
        if not _EMAIL_RE.match(email):
            raise errors.BadParameter(f"email {email!r} is not an email address")
    password = password if password is not None else secrets.token_urlsafe(12)
    _check_password(password)
    may_block()  # argon2 takes a while: never on the event loop
    with HASHING:
        pw_hash = _hasher.hash(password)
    now = auth.now()

    def _insert(c: Connection) -> str:
        if email and c.execute(select(users.c.id).where(users.c.email == email)).first():
            raise errors.BadParameter(f"a user with email {email} exists already")
        uid = add_node(c, ObjectType.USER, now, node_id)
        c.execute(insert(users).values(
            id=uid, name=name, email=email or f"{uid}@users.pagetoken.invalid", password_hash=pw_hash,
            password_changed_at=now, test_app_id=test_app_id, created_at=now))
        return uid

    if conn is not None:
        uid = _insert(conn)
        row = conn.execute(select(users).where(users.c.id == uid)).one()
        return User.from_row(row), password
    with auth.store.write() as c:
        uid = _insert(c)
    user = get(auth, uid)
    assert user is not None
    return user, password


def get(auth: Authority, user_id: str) -> User | None:
    with auth.store.read() as conn:
        row = conn.execute(select(users).where(users.c.id == user_id)).first()
    return User.from_row(row) if row else None


def require(auth: Authority, user_id: str) -> User:
    user = get(auth, user_id)
    if user is None:
        raise errors.ObjectMissing(user_id)
    return user


def by_email(auth: Authority, email: str) -> User | None:
    with auth.store.read() as conn:
        row = conn.execute(select(users).where(users.c.email == email.strip().lower())).first()
    return User.from_row(row) if row else None


def list_all(auth: Authority) -> list[User]:
    with auth.store.read() as conn:
        return [User.from_row(r) for r in conn.execute(select(users).order_by(users.c.created_at))]


def authenticate(auth: Authority, email: str, password: str) -> User | None:
    """The user when the password is right; None otherwise (in the same time either way)."""
    with auth.store.read() as conn:
        row = conn.execute(select(users).where(users.c.email == email.strip().lower())).first()
    if len(password) > 1024:
        return None  # longer than any password can be (_check_password); not worth hashing
    try:
        with HASHING:
            _hasher.verify(row.password_hash if row and row.password_hash else _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    return User.from_row(row) if row and row.password_hash else None


def set_password(auth: Authority, user_id: str, password: str) -> None:
    """Change the password: every token of the user stops working with 190/460."""
    require(auth, user_id)
    _check_password(password)
    with HASHING:
        pw_hash = _hasher.hash(password)
    now = auth.now()
    with auth.store.write() as conn:
        conn.execute(update(users).where(users.c.id == user_id).values(
            password_hash=pw_hash, password_changed_at=now))
        revoke.revoke(auth, conn, RevocationReason.PASSWORD, tokens.c.user_id == user_id)


def delete_user(auth: Authority, user_id: str) -> None:
    """Delete a user; their tokens stop working and their roles, grants and installs go."""
    require(auth, user_id)
    with auth.store.write() as conn:
        revoke.revoke(auth, conn, RevocationReason.USER_DELETED, tokens.c.user_id == user_id)
        conn.execute(delete(users).where(users.c.id == user_id))
        conn.execute(delete(nodes).where(nodes.c.id == user_id))


def test_users(auth: Authority, app_id: str) -> list[User]:
    with auth.store.read() as conn:
        rows = conn.execute(select(users).where(users.c.test_app_id == app_id).order_by(users.c.created_at))
        return [User.from_row(r) for r in rows]
