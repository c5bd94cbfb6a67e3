"""`pagetoken users …` and `pagetoken pages …`: people, Pages and who works on them."""

from __future__ import annotations

import typer

from pagetoken.authority import pages, roles, users
from pagetoken.client._cliutil import Group

from .common import JsonOpt, authority, command, emit, need_page, need_user, table

users_app = typer.Typer(cls=Group, help="Create users and change their passwords.", no_args_is_help=True)
pages_app = typer.Typer(cls=Group, help="Create Pages and manage who works on them.", no_args_is_help=True)


@command(users_app, "create")
def users_create(name: str = typer.Option(..., help="The user's name."),
                 email: str | None = typer.Option(None, help="Email to log in with."),
                 password: str | None = typer.Option(None, help="Password (generated when not given)."),
                 as_json: bool = JsonOpt) -> None:
    """Create a user who can log in to the web tools."""
    with authority() as auth:
        user, pw = users.create(auth, name, email, password)
    data = {"id": user.id, "email": user.email, "password": pw}
    emit(data, as_json, table(["id", "email", "password"], [[user.id, user.email, pw]]))


@command(users_app, "list")
def users_list(as_json: bool = JsonOpt) -> None:
    """List users."""
    with authority() as auth:
        data = [{"id": u.id, "name": u.name, "email": u.email, "test_user_of": u.test_app_id}
                for u in users.list_all(auth)]
    emit(data, as_json, table(["id", "name", "email", "test user of"],
                              [[d["id"], d["name"], d["email"], d["test_user_of"]] for d in data]))


@command(users_app, "set-password")
def users_set_password(user_id: str = typer.Argument(..., help="The user's ID."),
                       password: str = typer.Option(..., help="The new password (8 characters or more)."),
                       as_json: bool = JsonOpt) -> None:
    """Change a password: every token of the user stops working (190/460)."""
    with authority() as auth:
        need_user(auth, user_id)
        users.set_password(auth, user_id, password)
    emit({"id": user_id, "success": True}, as_json, table(["id", "result"], [[user_id, "password changed"]]))


@command(pages_app, "create")
def pages_create(name: str = typer.Option(..., help="The Page's name."),
                 category: str = typer.Option(..., help="The Page's category."),
                 owner: str = typer.Option(..., metavar="USER_ID", help="The owner, who holds every task."),
                 as_json: bool = JsonOpt) -> None:
    """Create a Page."""
    with authority() as auth:
        need_user(auth, owner)
        page = pages.create(auth, name, category, owner)
    emit({"id": page.id, "name": page.name}, as_json, table(["id", "name"], [[page.id, page.name]]))


@command(pages_app, "list")
def pages_list(as_json: bool = JsonOpt) -> None:
    """List Pages."""
    with authority() as auth:
        data = [{"id": p.id, "name": p.name, "category": p.category} for p in pages.list_all(auth)]
    emit(data, as_json, table(["id", "name", "category"], [[d["id"], d["name"], d["category"]] for d in data]))


@command(pages_app, "set-tasks")
def pages_set_tasks(page_id: str = typer.Argument(..., help="The Page's ID."),
                    user_id: str = typer.Argument(..., help="The user's ID."),
                    tasks: str = typer.Option(..., metavar="TASK,…",
                                              help="Comma-separated tasks; empty removes the user's role."),
                    as_json: bool = JsonOpt) -> None:
    """Give a user tasks on a Page (MANAGE, CREATE_CONTENT, MODERATE, MESSAGING, ADVERTISE, ANALYZE)."""
    with authority() as auth:
        need_page(auth, page_id)
        need_user(auth, user_id)
        given = roles.set_tasks(auth, page_id, user_id, [t for t in tasks.split(",") if t.strip()])
    emit({"page_id": page_id, "user_id": user_id, "tasks": given}, as_json,
         table(["page", "user", "tasks"], [[page_id, user_id, ",".join(given) or "(removed)"]]))
