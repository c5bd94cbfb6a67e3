"""The Graph API's error codes and subcodes, and what each ``(code, subcode)`` pair means to a client.

`core.errors` raises them (one class per SPEC §3 row) and re-exports these names; the client reads an
answer's family through `family_of`.
"""

from __future__ import annotations

# Codes
CODE_UNKNOWN = 1
CODE_SERVICE = 2
CODE_APP_RATE = 4
CODE_PERMISSION_TASK = 10
CODE_USER_RATE = 17
CODE_PAGE_RATE = 32
CODE_PARAM = 100
CODE_TOKEN_REQUIRED = 104
CODE_TOKEN = 190
CODE_PERMISSION = 200
CODE_NO_TOKEN = 2500
CODE_UNKNOWN_ALIASES = 803

# Subcodes of 190
SUB_APP_NOT_AUTHORIZED = 458
SUB_PASSWORD_CHANGED = 460
SUB_EXPIRED = 463
SUB_REVOKED_BY_API = 466
SUB_SESSION_INVALID = 467
SUB_NOT_PAGE_ADMIN = 492
SUB_DATA_ACCESS_EXPIRED = 493
# Subcodes of 100
SUB_OBJECT_MISSING = 33
SUB_CODE_EXPIRED = 36007
SUB_CODE_USED = 36009
SUB_NO_MATCHING_USER = 2018001

REAUTH_SUBCODES = frozenset({SUB_APP_NOT_AUTHORIZED, SUB_PASSWORD_CHANGED, SUB_DATA_ACCESS_EXPIRED,
                             SUB_NOT_PAGE_ADMIN})


# ---- the table the client reads ------------------------------------------------------------------

#: What a ``(code, subcode)`` pair means, for whoever reads an error answer. A pair not listed falls
#: back to ``(code, None)``, then to the code's range (see `family_of`).
FAMILIES: dict[tuple[int, int | None], str] = {
    (CODE_TOKEN, None): "token_invalid",
    (CODE_TOKEN, SUB_EXPIRED): "token_expired",
    (CODE_TOKEN, SUB_APP_NOT_AUTHORIZED): "token_invalid",
    (CODE_TOKEN, SUB_PASSWORD_CHANGED): "token_invalid",
    (CODE_TOKEN, SUB_SESSION_INVALID): "token_invalid",
    (CODE_TOKEN, SUB_REVOKED_BY_API): "token_invalid",
    (CODE_TOKEN, SUB_NOT_PAGE_ADMIN): "token_invalid",
    (CODE_TOKEN, SUB_DATA_ACCESS_EXPIRED): "token_invalid",
    (CODE_NO_TOKEN, None): "unsupported",
    (CODE_PARAM, None): "parameter",
    (CODE_PARAM, SUB_OBJECT_MISSING): "object_missing",
    (CODE_PARAM, SUB_CODE_USED): "code_rejected",
    (CODE_PARAM, SUB_CODE_EXPIRED): "code_rejected",
    (CODE_TOKEN_REQUIRED, None): "token_required",
    (CODE_UNKNOWN_ALIASES, None): "object_missing",
    (CODE_PERMISSION, None): "permission",
    (CODE_PERMISSION_TASK, None): "permission",
    (CODE_APP_RATE, None): "rate_limit",
    (CODE_USER_RATE, None): "rate_limit",
    (CODE_PAGE_RATE, None): "rate_limit",
    (613, None): "rate_limit",
    (CODE_UNKNOWN, None): "transient",
    (CODE_SERVICE, None): "transient",
}


def family_of(code: int, subcode: int | None) -> str | None:
    """The family of an error answer: by exact pair, then by code, then by the Graph API's ranges."""
    found = FAMILIES.get((code, subcode)) or FAMILIES.get((code, None))
    if found:
        return found
    if 200 < code < 300:  # (#2xx): a permission of its own
        return "permission"
    if 80001 <= code <= 80014:  # business use case limits
        return "rate_limit"
    return None
