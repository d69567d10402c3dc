"""The Redis channel layer of the scale-out stack (channels_redis), with one difference: a push that cannot reach Redis
is dropped and logged instead of failing the request that made it. Pushes are sent after the commit
(services.notifications), so the user's change is saved; while Redis is away the open pages have lost their socket
and poll instead (flows/static/zerenzhi/app.js), and re-read everything when it is back.

Everything else (joining a group, waiting for a message) still fails while Redis is away: a socket that cannot be
served is closed, and the page says it is offline."""

import logging

from channels_redis import core
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)


class RedisChannelLayer(core.RedisChannelLayer):
    async def group_send(self, group, message):
        try:
            await super().group_send(group, message)
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            logger.warning("push to %s dropped: Redis unavailable (%s)", group, exc)
