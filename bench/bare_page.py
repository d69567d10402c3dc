"""A second floor for the inbox benchmark: the least a Django page can do with my tasks' query.

The URL configuration of the benchmark: the project's own URLs, plus one page that answers an authenticated request
by running my tasks' raw page query and writing the number of rows it got, through the same middleware (session,
user, CSRF, CSP, locale …) and nothing else: no template, no menu, no row made ready to show. The query is the
page's whole statement (`page_statement`: the page of tasks, its counts, the cycles its filter offers and the menu's
answers), so the bare page asks the database for what the page asks, in as many queries.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import include, path

from flows.models.prepared import prepared_cursor

BARE_PATH = "/bench-bare-page/"


@login_required
def bare_page(request):
    from flows.selectors.inbox import page_statement

    sql, params = page_statement(request.user)
    with prepared_cursor() as cur:  # as the page runs it: prepared on PostgreSQL
        cur.execute(sql, params)
        return HttpResponse(str(len(cur.fetchall())), content_type="text/plain")


urlpatterns = [path(BARE_PATH.strip("/") + "/", bare_page), path("", include("project.urls"))]
