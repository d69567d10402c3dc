"""Redis going away (a restart, an outage) on the scale-out stack. Sessions live in the database and pushes to open
pages are dropped while it is away (flows/live/layer.py), so pages and logins keep working. A request that needs
Redis itself (the ballot guess counter, an Excel job's progress or lease, sending a job to the Celery queue) gets the
same page as for the database (HTTP 503, Chinese first, "not saved, try again"), never a traceback: the request's
transaction, if any, was rolled back."""

import logging

from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from flows.web.database_errors import unavailable_response

logger = logging.getLogger(__name__)

REDIS_ERRORS = (RedisConnectionError, RedisTimeoutError, BrokerError)


class RedisUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, REDIS_ERRORS):
            return None
        logger.error("Redis unavailable during %s %s: %s", request.method, request.path, exception)
        return unavailable_response(request)
