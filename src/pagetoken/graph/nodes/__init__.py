"""Node type declarations; importing this package fills the registry."""

from . import app, comment, conversation, message, page, post, user  # noqa: F401
