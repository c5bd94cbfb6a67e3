"""The conversation node and the Page's Messenger edges: `conversations` (read) and `messages` (send)."""

from __future__ import annotations

from typing import Any

from pagetoken.authority import messages, objects
from pagetoken.authority.messages import Conversation
from pagetoken.core import errors
from pagetoken.core.permissions import MESSAGING

from ..call import Call
from ..fields import Selection, narrow
from ..registry import USER_OR_PAGE, Field, NodeType, Op, Param
from . import answers
from .message import DEFAULTS as MESSAGE_DEFAULTS
from .message import message_object

DEFAULTS = ["id", "link", "updated_time"]
READ = ("read_page_mailboxes",)
SEND = ("pages_messaging",)


def conversation_object(call: Call, conv: Conversation, known: dict[str, str]) -> dict[str, Any]:
    found = messages.messages_of(call.auth, conv.id)
    obj: dict[str, Any] = {
        "id": conv.id, "updated_time": answers.graph_time(conv.updated_at),
        "link": f"/{conv.page_id}/inbox/{conv.id}", "message_count": len(found),
        "snippet": found[0].text[:100] if found else "",
        "participants": {"data": [answers.actor(conv.user_id, known), answers.actor(conv.page_id, known)]},
    }

    def messages_edge(sel: Selection | None) -> dict[str, Any]:
        items = [narrow(message_object(m, known), sel, MESSAGE_DEFAULTS) for m in found[:25]]
        return {"data": items, "summary": {"total_count": len(found)}}

    return answers.shape(call, obj, DEFAULTS, {"messages": messages_edge})


def list_conversations(call: Call) -> dict[str, Any]:
    """GET /{page-id}/conversations (`user_id` narrows to one person's), most recent first."""
    page_id = call.node_id
    found = messages.conversations_of(call.auth, page_id, call.param("user_id"))
    known = objects.names(call.auth, {page_id, *(c.user_id for c in found)})
    items = [conversation_object(call, c, known) for c in found]
    return call.paged(items, summary={"total_count": len(items)})


def read_conversation(call: Call) -> dict[str, Any]:
    conv = messages.conversation(call.auth, call.node_id)
    if conv is None:
        raise errors.ObjectMissing(call.node_id)
    return conversation_object(call, conv, objects.names(call.auth, [conv.page_id, conv.user_id]))


def list_messages(call: Call) -> dict[str, Any]:
    """GET /{conversation-id}/messages, newest first."""
    conv = messages.conversation(call.auth, call.node_id)
    if conv is None:
        raise errors.ObjectMissing(call.node_id)
    found = messages.messages_of(call.auth, conv.id)
    known = objects.names(call.auth, [conv.page_id, conv.user_id])
    items = [narrow(message_object(m, known), call.selection, MESSAGE_DEFAULTS) for m in found]
    return call.paged(items, summary={"total_count": len(items)})


def send_message(call: Call) -> dict[str, Any]:
    """POST /{page-id}/messages: `recipient={"id"}`, `message={"text"}`, `messaging_type` →
    ``{"recipient_id", "message_id"}``."""
    tok = call.require_token()
    recipient = call.param_object("recipient")
    if not recipient or not str(recipient.get("id") or "").strip():
        raise errors.BadParameter("The parameter recipient is required: {\"id\": \"USER_ID\"}")
    raw = call.param("message", max_len=20000)
    if raw is None:
        raise errors.BadParameter("The parameter message is required: {\"text\": \"…\"}")
    text: str | None = raw
    if raw.strip().startswith("{"):
        body = call.param_object("message") or {}
        if "attachment" in body and "text" not in body:
            raise errors.BadParameter("attachments are not supported; send {\"text\": \"…\"}")
        text = body.get("text") if isinstance(body.get("text"), str) else None
    sent = messages.send(call.auth, call.node_id, str(recipient["id"]).strip(), text,
                         call.param("messaging_type"), call.param("tag"), app_id=tok.app_id)
    return {"recipient_id": sent.to_id, "message_id": sent.id}


NODE = NodeType(
    name="conversation",
    description="A Messenger conversation between a Page and one person.",
    fields=(Field("id", default=True), Field("updated_time", default=True), Field("link", default=True),
            Field("message_count", kind="integer"), Field("snippet"), Field("participants"),
            Field("messages", "An edge: the conversation's messages")),
    page_of=messages.page_of_conversation,
    ops=[
        Op("GET", None, read_conversation, "Read a conversation", permissions=READ, task=MESSAGING,
           tokens=USER_OR_PAGE),
        Op("GET", "messages", list_messages, "A conversation's messages, newest first", permissions=READ,
           task=MESSAGING, tokens=USER_OR_PAGE, paged=True, item="message"),
    ],
)

PAGE_OPS = (
    Op("GET", "conversations", list_conversations, "The Page's conversations", permissions=READ, task=MESSAGING,
       tokens=USER_OR_PAGE, paged=True, item="conversation",
       params=(Param("user_id", "Only the conversation with this person"),)),
    Op("POST", "messages", send_message, "Send a message as the Page", permissions=SEND, task=MESSAGING,
       tokens=USER_OR_PAGE,
       params=(Param("recipient", "{\"id\": USER_ID}", required=True, kind="object"),
               Param("message", "{\"text\": …}", required=True, kind="object"),
               Param("messaging_type", "RESPONSE, UPDATE or MESSAGE_TAG", required=True), Param("tag"))),
)
