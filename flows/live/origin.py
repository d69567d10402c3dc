"""Websockets only from a page of this very site: the Origin must equal the request's own scheme, host and port.

Channels' `AllowedHostsOriginValidator` (kept in front of this) compares the Origin's host name with
ALLOWED_HOSTS and ignores the port, so a page served by anything else on the same machine (another port of
127.0.0.1) could open a socket with the user's cookie. Here the Origin is compared with the Host the browser
connected to, port included, and with the scheme the connection came in on (ws → http, wss → https; behind a
proxy that terminates TLS, the X-Forwarded-Proto it sets, as the production settings trust it)."""

from channels.security.websocket import WebsocketDenier

SCHEME_OF = {"ws": "http", "wss": "https", "http": "http", "https": "https"}


def _origin_of_request(scope) -> str:
    headers = {k.lower(): v.decode("latin1") for k, v in scope.get("headers", ())}
    host = headers.get(b"host", "").strip().lower()
    forwarded = headers.get(b"x-forwarded-proto", "").split(",")[0].strip().lower()
    scheme = SCHEME_OF.get(forwarded) or SCHEME_OF.get(scope.get("scheme", "ws"), "http")
    default = {"http": ":80", "https": ":443"}[scheme]
    return f"{scheme}://{host.removesuffix(default)}" if host else ""


def same_origin(scope) -> bool:
    headers = {k.lower(): v.decode("latin1") for k, v in scope.get("headers", ())}
    origin = headers.get(b"origin", "").strip().lower()
    expected = _origin_of_request(scope)
    return bool(origin) and bool(expected) and origin == expected


class SameOriginOnly:
    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not same_origin(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
