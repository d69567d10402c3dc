"""The address a request came from, for login lockouts and rate limits: REMOTE_ADDR, or behind a reverse proxy the
header it sets (settings CLIENT_IP_HEADER and CLIENT_IP_PROXY_COUNT, from the environment)."""

from django.conf import settings


def client_address(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    if settings.CLIENT_IP_HEADER == "REMOTE_ADDR":
        return remote
    # X-Forwarded-For: "client, proxy1, proxy2"; each of our own proxies appends the address it saw, so the
    # client is the entry CLIENT_IP_PROXY_COUNT places from the right (entries further left can be forged).
    hops = [h.strip() for h in request.META.get(settings.CLIENT_IP_HEADER, "").split(",") if h.strip()]
    if not hops:
        return remote
    return hops[-min(settings.CLIENT_IP_PROXY_COUNT, len(hops))]
