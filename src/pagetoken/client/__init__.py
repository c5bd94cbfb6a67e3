"""The app's side of pagetoken: a Graph API client, a vault that keeps tokens sealed, and rotation.

Works against pagetoken or the real Graph API alike (only the base URL differs)::

    from pagetoken.client import GraphClient, Rotator, Vault

    with GraphClient(app_id=APP_ID, app_secret=APP_SECRET, version="v25.0") as graph:
        vault = Vault()          # pagetoken-data/vault.db; key from PAGETOKEN_VAULT_KEY or pagetoken-data/vault.key
        vault.put("me", token, graph.debug_token(token))
        Rotator(vault, graph).rotate_due()
"""

from __future__ import annotations

from pagetoken.core.redact import RedactingFilter, redact, structlog_processor

from .exceptions import (
    BadClientSecret,
    ClientError,
    CodeRejected,
    GraphError,
    InvalidParameter,
    LeaseLost,
    NetworkError,
    ObjectNotFound,
    PermissionDenied,
    RateLimited,
    TokenError,
    TokenExpired,
    TokenInvalidated,
    TokenNotFound,
    TransientError,
    UnexpectedResponse,
    UnsupportedRequest,
    VaultError,
    VaultKeyError,
    VaultTampered,
    parse_error,
)
from .graph import DEFAULT_BASE_URL, AsyncGraphClient, GraphClient
from .keys import EnvKeys, FileKeys, KeySource, OSKeyringKeys, StaticKeys, default_source
from .models import ExchangedToken, PageToken, TokenInfo
from .notify import Notifier, sign, verify_signature
from .retry import RetryPolicy
from .rotation import Outcome, Rotator, margin_for
from .rows import TokenRecord
from .usage import Usage, parse_usage
from .vault import Vault

__all__ = [
    "GraphClient", "AsyncGraphClient", "DEFAULT_BASE_URL", "RetryPolicy", "Usage", "parse_usage",
    "TokenInfo", "ExchangedToken", "PageToken",
    "Vault", "TokenRecord", "KeySource", "EnvKeys", "FileKeys", "OSKeyringKeys", "StaticKeys", "default_source",
    "Rotator", "Outcome", "margin_for", "Notifier", "sign", "verify_signature",
    "RedactingFilter", "redact", "structlog_processor",
    "ClientError", "GraphError", "TokenError", "TokenExpired", "TokenInvalidated", "PermissionDenied",
    "RateLimited", "InvalidParameter", "ObjectNotFound", "CodeRejected", "BadClientSecret", "UnsupportedRequest",
    "TransientError",
    "NetworkError", "UnexpectedResponse", "VaultError", "VaultKeyError", "VaultTampered", "TokenNotFound",
    "LeaseLost", "parse_error",
]
