"""The database going away during a request (a restart, a failover, a dropped connection): the user gets a clear
page, in Chinese first, saying the action was not saved and to try again (HTTP 503, no traceback). The request's
transaction was rolled back with its connection, so what was committed before is intact; Django closes the broken
connection at the end of the request and the next request opens a new one."""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.views import defaults

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)


def unavailable_response(request) -> HttpResponse:
    # rendered without context processors and without the user: both would ask the database again
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = "30"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DATABASE_ERRORS):
            return None
        logger.error("database unavailable during %s %s", request.method, request.path, exc_info=exception)
        return unavailable_response(request)


def server_error(request, template_name="500.html"):
    """handler500: the same 503 page when the database failed outside a view (in a middleware)."""
    if isinstance(sys.exc_info()[1], DATABASE_ERRORS):
        return unavailable_response(request)
    return defaults.server_error(request, template_name=template_name)
