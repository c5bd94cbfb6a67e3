"""The node types the Graph API serves, registered explicitly: `REGISTRY` is the Graph as a table."""

from __future__ import annotations

from pagetoken.core.kinds import ObjectType

from ..registry import Registry
from . import app, comment, conversation, message, page, post, user

REGISTRY = Registry(
    (app.NODE, comment.NODE, conversation.NODE, message.NODE, page.NODE, post.NODE, user.NODE),
    serves=ObjectType,
    not_served=(ObjectType.AD,),  # ads are read through /{page-id}/ads, not by their own ID
)
