"""Node type declarations; importing this package fills the registry."""

from . import app, page, user  # noqa: F401
