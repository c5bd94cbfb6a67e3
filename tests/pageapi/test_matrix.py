"""The permission × task matrix of SPEC §5, walked from the registry: for every operation that needs a
permission, a token with exactly that permission (and a person with exactly the task) succeeds, a
token without it gets 200, and a person whose tasks do not allow it gets 10."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from pagetoken.core.permissions import ANY_TASK, CATALOG, MANAGE, TASKS
from pagetoken.graph.nodes import REGISTRY
from pagetoken.graph.registry import NodeType, Op
from tests.support.servers import ThreadServer

from .helpers import ALL_PAGE_PERMISSIONS, Scene, err, person, scene

# ---- how to reach an object of each node type, and what each operation needs to be sent ----------


def _page(s: Scene) -> str:
    return s.page_id


def _post(s: Scene) -> str:
    return s.post()


def _comment(s: Scene) -> str:
    return s.visitor_comment(s.post())


def _conversation(s: Scene) -> str:
    return s.conversation()[0]


def _message(s: Scene) -> str:
    from pagetoken.authority import messages

    conv, _ = s.conversation()
    return messages.messages_of(s.auth, conv)[0].id


OBJECTS: dict[str, Callable[[Scene], str]] = {
    "page": _page, "post": _post, "comment": _comment, "conversation": _conversation, "message": _message,
}


def _send_params(s: Scene) -> dict[str, str]:
    _, uid = s.conversation()
    return {"recipient": json.dumps({"id": uid}), "message": json.dumps({"text": "Thanks!"}),
            "messaging_type": "RESPONSE"}


def _role_params(s: Scene) -> dict[str, str]:
    return {"user": person(s.auth, "Ray Role"), "tasks": '["MODERATE"]'}


def _removable(s: Scene) -> dict[str, str]:
    return {"user": s.member(["ANALYZE"], "Rex Removable")}


PARAMS: dict[tuple[str, str, str], Callable[[Scene], dict[str, str]]] = {
    ("page", "POST", ""): lambda s: {"about": "Fresh bread daily"},
    ("page", "POST", "feed"): lambda s: {"message": "New loaf!"},
    ("page", "POST", "messages"): _send_params,
    ("page", "GET", "insights"): lambda s: {"metric": "page_impressions", "period": "day"},
    ("page", "GET", "insights/{metric}"): lambda s: {},
    ("page", "POST", "roles"): _role_params,
    ("page", "DELETE", "roles"): _removable,
    ("page", "POST", "subscribed_apps"): lambda s: {"subscribed_fields": "feed"},
    ("page", "POST", "ads"): lambda s: {"name": "Spring sale", "daily_budget": "500"},
    ("post", "POST", ""): lambda s: {"message": "Edited"},
    ("post", "GET", "insights"): lambda s: {"metric": "post_impressions"},
    ("post", "POST", "comments"): lambda s: {"message": "Thanks for reading"},
    ("comment", "POST", ""): lambda s: {"is_hidden": "true"},
    ("comment", "POST", "comments"): lambda s: {"message": "Glad you like it"},
}
ROUTES = {("page", "insights/{metric}"): "insights/page_fans"}

CASES = [(node, op) for node, op in REGISTRY.all_ops() if op.permissions]


def _case_id(case: tuple[NodeType, Op]) -> str:
    node, op = case
    return f"{op.method} {node.name}/{op.route or '-'}"


def call(server: ThreadServer, s: Scene, node: NodeType, op: Op, token: str) -> httpx.Response:
    object_id = OBJECTS[node.name](s)
    params = {**PARAMS.get((node.name, op.method, op.route), lambda _s: {})(s), "access_token": token}
    route = ROUTES.get((node.name, op.route), op.route)
    path = f"/v25.0/{object_id}" + (f"/{route}" if route else "")
    if op.method == "GET":
        return httpx.get(server.url + path, params=params, timeout=10)
    if op.method == "DELETE":
        return httpx.delete(server.url + path, params=params, timeout=10)
    return httpx.post(server.url + path, data=params, timeout=10)


def _holding(task: str | None) -> list[str]:
    return ["MODERATE"] if task in (None, ANY_TASK) else [task]


def _other_task(task: str) -> str:
    return next(t for t in TASKS if t not in (task, MANAGE))


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_exact_permission_and_task_succeed(module_server: ThreadServer, case: tuple[NodeType, Op]) -> None:
    node, op = case
    s = scene(module_server.auth)
    actor = s.member(_holding(op.task))
    resp = call(module_server, s, node, op, s.page_token(actor, op.permissions))
    assert resp.status_code == 200, resp.text
    assert "error" not in resp.json()


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_missing_permission_is_200(module_server: ThreadServer, case: tuple[NodeType, Op]) -> None:
    node, op = case
    s = scene(module_server.auth)
    everything_else = [p for p in ALL_PAGE_PERMISSIONS if p not in op.permissions]
    token = s.page_token(s.owner_id, everything_else)  # the owner holds every task
    e = err(call(module_server, s, node, op, token))
    assert e["code"] == 200 and e["message"].startswith("(#200) "), e
    assert op.permissions[0] in e["message"]


TASK_CASES = [c for c in CASES if c[1].task not in (None, ANY_TASK)]


@pytest.mark.parametrize("case", TASK_CASES, ids=[_case_id(c) for c in TASK_CASES])
def test_task_that_does_not_allow_it_is_10(module_server: ThreadServer, case: tuple[NodeType, Op]) -> None:
    node, op = case
    assert op.task is not None
    s = scene(module_server.auth)
    actor = s.member([_other_task(op.task)])
    e = err(call(module_server, s, node, op, s.page_token(actor, op.permissions)))
    assert e["code"] == 10 and e["message"].startswith("(#10) "), e
    assert op.task in e["message"]


def test_every_page_operation_declares_its_permission_and_task() -> None:
    """The matrix is readable off the registry, and agrees with SPEC §5's table."""
    unguarded = []
    for node, op in REGISTRY.all_ops():
        if node.page_of is None:
            continue
        if not op.permissions:
            unguarded.append(_case_id((node, op)))
            continue
        assert op.task is not None, _case_id((node, op))
        assert op.task == CATALOG[op.permissions[0]].task, _case_id((node, op))
        assert node.name in OBJECTS, node.name
    # Reading a Page's public fields and minting a Page token check what they need inside.
    assert sorted(unguarded) == ["GET page/-", "POST page/-"]


def test_the_matrix_covers_every_permission_of_the_catalog() -> None:
    needed = {p for _, op in CASES for p in op.permissions}
    assert needed >= set(ALL_PAGE_PERMISSIONS) - {"pages_show_list"}


def test_openapi_shows_each_operations_permission_and_task(module_server: ThreadServer) -> None:
    doc = httpx.get(module_server.url + "/openapi.json", timeout=10).json()
    feed = doc["paths"]["/{page_id}/feed"]
    assert feed["post"]["x-permissions"] == ["pages_manage_posts"]
    assert feed["post"]["x-page-task"] == "CREATE_CONTENT"
    assert doc["paths"]["/{comment_id}"]["delete"]["x-permissions"] == ["pages_manage_engagement"]
    assert doc["paths"]["/{page_id}/messages"]["post"]["x-page-task"] == "MESSAGING"
