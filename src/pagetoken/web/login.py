"""Logging in and out of the web tools (argon2 passwords, throttled attempts)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pagetoken.authority import users

from .common import Web, safe_next
from .session import client_ip, form_value


def routes(web: Web) -> list[Route]:
    async def login_page(request: Request) -> Response:
        nxt = safe_next(request.query_params.get("next"))
        if web.current_user(request):
            return RedirectResponse(nxt, status_code=303)
        return web.render(request, "login.html", title="Log in", next=nxt,
                          email=request.query_params.get("email", ""))

    async def login_submit(request: Request) -> Response:
        form = await request.form()
        nxt = safe_next(form_value(form, "next"))
        email = form_value(form, "email").strip().lower()
        if not web.sessions.csrf_ok(request, form_value(form, "csrf_token")):
            return web.forbidden(request, "The form has expired or did not come from this site. "
                                          "Reload the page and try again.")
        ip = client_ip(request)
        wait = web.throttle.retry_after(email, ip)
        if wait:
            return web.render(request, "login.html", status=429, title="Log in", next=nxt, email=email,
                              error=f"Too many failed attempts. Try again in {wait} seconds.")
        web.throttle.attempted(ip)
        user = await web.hasher.run(users.authenticate, web.auth, email, form_value(form, "password"))
        if user is None:
            web.throttle.failed(email, ip)
            return web.render(request, "login.html", status=401, title="Log in", next=nxt, email=email,
                              error="That email and password do not match.")
        web.throttle.succeeded(email, ip)
        response = RedirectResponse(nxt, status_code=303)
        web.sessions.login(response, request, user.id)
        return response

    async def logout(request: Request) -> Response:
        form = await request.form()
        if not web.sessions.csrf_ok(request, form_value(form, "csrf_token")):
            return web.forbidden(request, "The form has expired. Reload the page and try again.")
        response = RedirectResponse("/login", status_code=303)
        web.sessions.logout(response, request)
        return response

    return [
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login_submit, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
    ]
