"""Counting failed attempts per client, to slow down guessing of voting codes. The address is hashed."""

import hashlib

from django.conf import settings
from django.core.cache import cache

from flows.web.client_address import client_address


def _key(request, bucket: str) -> str:
    return _address_key(client_address(request), bucket)


def _address_key(addr: str, bucket: str) -> str:
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{addr}".encode()).hexdigest()[:24]
    return f"ratelimit:{bucket}:{digest}"


def blocked(request, bucket: str, limit: int) -> bool:
    return cache.get(_key(request, bucket), 0) >= limit


def address_blocked(addr: str, bucket: str, limit: int) -> bool:
    """The same as blocked(), for a caller that has the client's address but no Django request."""
    return cache.get(_address_key(addr, bucket), 0) >= limit


def addresses_blocked(addrs, bucket: str, limit: int) -> set[str]:
    """address_blocked() for several addresses in one cache call (one round trip to Redis for a batch of casts)."""
    keys = {_address_key(addr, bucket): addr for addr in set(addrs)}
    counts = cache.get_many(list(keys))
    return {keys[key] for key, count in counts.items() if count >= limit}


def failed(request, bucket: str, window: int) -> None:
    key = _key(request, bucket)
    if cache.add(key, 1, window):
        return
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, window)
