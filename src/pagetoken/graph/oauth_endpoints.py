"""`/oauth/access_token` (every grant, and DELETE to revoke) and `/debug_token`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pagetoken.authority import access, apps, oauth, revoke, validation
from pagetoken.authority.records import ValidToken
from pagetoken.core import errors
from pagetoken.core.kinds import Origin, Source, TokenKind

from .call import Call

Before = Sequence[Callable[[Call], None]]


def admitted(call: Call, info: ValidToken, before: Before) -> Call:
    """The call now counts against `info`'s app (and user): the rate limits may refuse it (4 / 17)."""
    call = call.resolved(token=info)
    call.usage.token = info
    for hook in before:
        hook(call)
    return call


def as_app(app_id: str, now: float) -> ValidToken:
    """The app behind a call that proved itself with client_id and client_secret."""
    return ValidToken(kind=TokenKind.APP, app_id=app_id, origin=Origin.APP, long_lived=True, scopes=(),
                     issued_at=now, expires_at=None, source=Source.CLIENT_CREDENTIALS)


def access_token(call: Call, raw_token: str | None, before: Before = ()) -> dict[str, Any]:
    if call.method == "DELETE":
        return revoke_token(call, raw_token, before)
    if call.method not in ("GET", "POST"):
        raise errors.ObjectMissing("oauth", call.method)
    grant_type = call.param("grant_type")
    page_id = call.param("page_id")
    now = call.auth.now()
    if grant_type == "client_credentials" and page_id and not call.param("client_secret") and raw_token:
        info = validation.resolve(call.auth, raw_token)
        if info.kind != TokenKind.APP:
            raise errors.BadParameter("client_credentials with page_id needs client_secret or an app access token")
        call = admitted(call, info, before)
        issued = oauth.app_page_token(call.auth, info, call.param("appsecret_proof"), page_id, long_lived=False)
        return issued.answer(now)
    if grant_type not in (None, "client_credentials", "fb_exchange_token", "authorization_code"):
        raise errors.BadParameter(f"Unsupported grant_type {grant_type!r}: use client_credentials, "
                               "fb_exchange_token, or a code")
    app = apps.check_secret(call.auth, call.param("client_id"), call.param("client_secret"))
    call = admitted(call, as_app(app.id, now), before)
    if grant_type == "client_credentials":
        return oauth.client_credentials(call.auth, app, page_id).answer(now)
    if grant_type == "fb_exchange_token":
        return oauth.exchange(call.auth, app, call.param("fb_exchange_token")).answer(now)
    if call.param("code") is None and grant_type is None:
        raise errors.BadParameter("Missing grant_type parameter: use client_credentials, fb_exchange_token, "
                               "or pass the code from the OAuth dialog")
    return oauth.redeem_code(call.auth, app, call.param("redirect_uri"), call.param("code")).answer(now)


def revoke_token(call: Call, raw_token: str | None, before: Before = ()) -> dict[str, Any]:
    """DELETE /oauth/access_token: the token given revokes itself (RFC 7009 in spirit)."""
    if not raw_token:
        raise errors.NoActiveToken()
    admitted(call, validation.resolve(call.auth, raw_token), before)  # a dead token answers with its own error
    if not revoke.revoke_token(call.auth, raw_token):
        raise errors.BadParameter("an app token cannot be revoked; reset the app secret instead")
    return {"success": True}


def debug_token(call: Call, raw_token: str | None, before: Before = ()) -> dict[str, Any]:
    if not raw_token:
        raise errors.AppTokenRequired()
    viewer = validation.resolve(call.auth, raw_token)
    if viewer.kind != TokenKind.APP:
        app = apps.get(call.auth, viewer.app_id)
        if not (viewer.kind == TokenKind.USER and app is not None and app.owner_id == viewer.user_id):
            raise errors.AppTokenRequired()
    call = admitted(call, viewer, before)
    access.check_proof(call.auth, viewer, call.params.get("appsecret_proof"))  # when the app requires it
    input_token = call.param("input_token")
    if not input_token:
        raise errors.BadParameter("The parameter input_token is required")
    data, info = validation.inspect_for(call.auth, viewer.app_id, input_token)
    if info is not None:  # a valid token's answer holds until it or the viewer's token ends, or a change
        ends = [t for t in (viewer.usable_until, info.usable_until) if t is not None]
        call.usage.repeatable(call, min(ends) if ends else None)
    return {"data": data}
