"""The message node: one Messenger message between a Page and a person."""

from __future__ import annotations

from typing import Any

from pagetoken.authority import messages, objects
from pagetoken.authority.messages import Message
from pagetoken.core import errors
from pagetoken.core.permissions import MESSAGING

from ..call import Call
from ..registry import USER_OR_PAGE, Field, NodeType, Op
from . import answers

DEFAULTS = ["id", "created_time"]


def message_object(msg: Message, known: dict[str, str]) -> dict[str, Any]:
    return {"id": msg.id, "created_time": answers.graph_time(msg.created_at), "message": msg.text,
            "from": answers.actor(msg.from_id, known), "to": {"data": [answers.actor(msg.to_id, known)]}}


def read_message(call: Call) -> dict[str, Any]:
    msg = messages.message(call.auth, call.node_id)
    if msg is None:
        raise errors.ObjectMissing(call.node_id)
    obj = message_object(msg, objects.names(call.auth, [msg.from_id, msg.to_id]))
    return answers.shape(call, obj, DEFAULTS)


NODE = NodeType(
    name="message",
    description="A Messenger message between a Page and a person.",
    fields=(Field("id", default=True), Field("created_time", default=True), Field("message"), Field("from"),
            Field("to")),
    page_of=messages.page_of_message,
    ops=[
        Op("GET", None, read_message, "Read a message", permissions=("read_page_mailboxes",), task=MESSAGING,
           tokens=USER_OR_PAGE),
    ],
)
