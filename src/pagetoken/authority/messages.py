"""Messenger for Pages: people write to a Page (one conversation each), the Page answers them.

The Page may only message people who have written to it (the Send API's "No matching user found"
otherwise); `messaging_type` is RESPONSE, UPDATE or MESSAGE_TAG (with a `tag`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from pagetoken.core import errors
from pagetoken.core.kinds import ObjectType
from pagetoken.store.store import add_node
from pagetoken.store.tables import conversations, messages, pages, users

from . import insights
from .context import Authority

MESSAGING_TYPES = ("RESPONSE", "UPDATE", "MESSAGE_TAG")
TAGS = ("CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE", "ACCOUNT_UPDATE", "HUMAN_AGENT")
MAX_TEXT = 2000


@dataclass(frozen=True)
class Message:
    id: str
    conversation_id: str
    page_id: str
    from_id: str
    to_id: str
    from_page: bool
    text: str
    messaging_type: str | None
    created_at: float

    @classmethod
    def from_row(cls, row: Any) -> Message:
        return cls(row.id, row.conversation_id, row.page_id, row.from_id, row.to_id, bool(row.from_page), row.text,
                   row.messaging_type, row.created_at)


@dataclass(frozen=True)
class Conversation:
    id: str
    page_id: str
    user_id: str
    created_at: float
    updated_at: float

    @classmethod
    def from_row(cls, row: Any) -> Conversation:
        return cls(row.id, row.page_id, row.user_id, row.created_at, row.updated_at)


def _text(text: str | None) -> str:
    if not text or not text.strip():
        raise errors.BadParameter("message must have text: {\"text\": \"…\"}")
    if len(text) > MAX_TEXT:
        raise errors.BadParameter(f"message text is longer than {MAX_TEXT} characters")
    return text


def _store(conn: Connection, conv_id: str, page_id: str, from_id: str, to_id: str, from_page: bool, text: str,
           messaging_type: str | None, app_id: str | None, now: float) -> Message:
    message_id = add_node(conn, ObjectType.MESSAGE, now)
    conn.execute(insert(messages).values(
        id=message_id, conversation_id=conv_id, page_id=page_id, from_id=from_id, to_id=to_id, from_page=from_page,
        app_id=app_id, text=text, messaging_type=messaging_type, created_at=now))
    conn.execute(update(conversations).where(conversations.c.id == conv_id).values(updated_at=now))
    return Message.from_row(conn.execute(select(messages).where(messages.c.id == message_id)).one())


def receive(auth: Authority, page_id: str, user_id: str, text: str | None) -> Message:
    """A person writes to the Page: their conversation starts (or continues)."""
    body = _text(text)
    now = auth.now()
    with auth.store.write() as conn:
        if conn.execute(select(pages.c.id).where(pages.c.id == page_id)).first() is None:
            raise errors.ObjectMissing(page_id)
        if conn.execute(select(users.c.id).where(users.c.id == user_id)).first() is None:
            raise errors.ObjectMissing(user_id)
        conv = find(auth, page_id, user_id, conn=conn)
        if conv is None:
            conv_id = add_node(conn, ObjectType.CONVERSATION, now)
            conn.execute(insert(conversations).values(id=conv_id, page_id=page_id, user_id=user_id, created_at=now,
                                                      updated_at=now))
        else:
            conv_id = conv.id
        insights.record(conn, page_id, insights.MESSAGE, now, object_id=conv_id, actor_id=user_id)
        return _store(conn, conv_id, page_id, user_id, page_id, False, body, None, None, now)


def send(auth: Authority, page_id: str, recipient_id: str, text: str | None, messaging_type: str | None,
         tag: str | None = None, app_id: str | None = None) -> Message:
    """The Page writes to a person who has written to it."""
    kind = (messaging_type or "").strip().upper()
    if kind not in MESSAGING_TYPES:
        raise errors.BadParameter(f"messaging_type must be one of {', '.join(MESSAGING_TYPES)}")
    if kind == "MESSAGE_TAG" and (tag or "").upper() not in TAGS:
        raise errors.BadParameter(f"a MESSAGE_TAG message needs a tag: one of {', '.join(TAGS)}")
    body = _text(text)
    now = auth.now()
    with auth.store.write() as conn:
        conv = find(auth, page_id, recipient_id, conn=conn)
        if conv is None:
            raise errors.NoMatchingUser()
        return _store(conn, conv.id, page_id, page_id, recipient_id, True, body, kind, app_id, now)


def find(auth: Authority, page_id: str, user_id: str, conn: Connection | None = None) -> Conversation | None:
    with auth.store.reading(conn) as conn:
        row = conn.execute(select(conversations).where(
            (conversations.c.page_id == page_id) & (conversations.c.user_id == user_id))).first()
        return Conversation.from_row(row) if row else None


def conversation(auth: Authority, conversation_id: str, conn: Connection | None = None) -> Conversation | None:
    with auth.store.reading(conn) as conn:
        row = conn.execute(select(conversations).where(conversations.c.id == conversation_id)).first()
        return Conversation.from_row(row) if row else None


def conversations_of(auth: Authority, page_id: str, user_id: str | None = None,
                     conn: Connection | None = None) -> list[Conversation]:
    """The Page's conversations, most recently active first."""
    with auth.store.reading(conn) as conn:
        query = select(conversations).where(conversations.c.page_id == page_id)
        if user_id:
            query = query.where(conversations.c.user_id == user_id)
        rows = conn.execute(query.order_by(conversations.c.updated_at.desc(), conversations.c.id.desc()))
        return [Conversation.from_row(r) for r in rows]


def messages_of(auth: Authority, conversation_id: str, conn: Connection | None = None) -> list[Message]:
    """A conversation's messages, newest first."""
    with auth.store.reading(conn) as conn:
        rows = conn.execute(select(messages).where(messages.c.conversation_id == conversation_id)
                            .order_by(messages.c.created_at.desc(), messages.c.id.desc()))
        return [Message.from_row(r) for r in rows]


def message(auth: Authority, message_id: str, conn: Connection | None = None) -> Message | None:
    with auth.store.reading(conn) as conn:
        row = conn.execute(select(messages).where(messages.c.id == message_id)).first()
        return Message.from_row(row) if row else None


def count(auth: Authority, conversation_id: str, conn: Connection | None = None) -> int:
    with auth.store.reading(conn) as conn:
        return int(conn.execute(select(func.count()).select_from(messages)
                                .where(messages.c.conversation_id == conversation_id)).scalar() or 0)


def page_of_conversation(auth: Authority, conversation_id: str, conn: Connection | None = None) -> str | None:
    with auth.store.reading(conn) as conn:
        return conn.execute(select(conversations.c.page_id).where(conversations.c.id == conversation_id)).scalar()


def page_of_message(auth: Authority, message_id: str, conn: Connection | None = None) -> str | None:
    with auth.store.reading(conn) as conn:
        return conn.execute(select(messages.c.page_id).where(messages.c.id == message_id)).scalar()
