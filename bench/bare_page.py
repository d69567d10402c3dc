"""A second floor for the inbox benchmark: the least a Django page can do with my tasks' query.

The URL configuration of the benchmark: the project's own URLs, plus one page that answers an authenticated request
by running my tasks' raw page query and writing the number of rows it got, through the same middleware (session,
user, CSRF, CSP, locale …) and nothing else: no template, no menu, no row made ready to show.
"""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse
from django.urls import include, path

BARE_PATH = "/bench-bare-page/"


@login_required
def bare_page(request):
    from flows.models.people import today
    from flows.selectors.inbox import PAGE_SIZE, Filters, page_query
    from flows.services.deadlines import rag_bounds

    sql, params = page_query(request.user, filters=Filters(), after=None, size=PAGE_SIZE, bounds=rag_bounds(today()))
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return HttpResponse(str(len(cur.fetchall())), content_type="text/plain")


urlpatterns = [path(BARE_PATH.strip("/") + "/", bare_page), path("", include("project.urls"))]
