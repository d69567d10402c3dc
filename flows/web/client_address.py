"""The address a request came from, for login lockouts and rate limits: REMOTE_ADDR, or behind a reverse proxy the
header it sets (settings CLIENT_IP_HEADER and CLIENT_IP_PROXY_COUNT, from the environment)."""

from django.conf import settings


def client_address(request) -> str:
    return address_from_meta(request.META)


def address_from_meta(meta) -> str:
    """The same from a request's META (or a mapping with the same keys)."""
    remote = meta.get("REMOTE_ADDR", "")
    if settings.CLIENT_IP_HEADER == "REMOTE_ADDR":
        return remote
    # X-Forwarded-For: "client, proxy1, proxy2"; each of our own proxies appends the address it saw, so the
    # client is the entry CLIENT_IP_PROXY_COUNT places from the right (entries further left can be forged).
    hops = [h.strip() for h in meta.get(settings.CLIENT_IP_HEADER, "").split(",") if h.strip()]
    if not hops:
        return remote
    return hops[-min(settings.CLIENT_IP_PROXY_COUNT, len(hops))]
