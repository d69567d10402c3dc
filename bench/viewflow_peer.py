"""The peer of my tasks: viewflow's own inbox (`WorkflowInboxListView`, viewflow 2.4) over the project's flows.

A benchmark-only URL configuration: viewflow's stock workflow application (`WorkflowAppViewset`, the inbox, queue
and archive of all its flows) at /bench-viewflow/, showing 50 tasks a page (its default is 25), in front of the bare
page's configuration (bench/bare_page.py, itself in front of the project's URLs). The product never mounts it:
bench/inbox.py sets it as ROOT_URLCONF for its own requests, and bench/served_asgi.py for its server.

The flows stay where the project mounts them (/flow/<label>/): given to the application as `FlowViewset`s they
would be mounted a second time under it, and viewflow reverses a flow's URLs through where it was mounted last. So
the application is given the flow classes alone. Viewflow shows its inbox to users with its view permission on
the flows; `grant_view` gives it to the benchmark's user. Two of its columns link to views the project's flows do
not have (a task's detail page, "index", and the process's detail page): the task's link goes to the step itself
("execute", where my tasks links too) and the process is named without a link. Everything else is viewflow's:
the query (its task manager's inbox), the filters, the paginator and its count, the list template and its page.
"""

from django.urls import include, path
from django.utils.html import format_html
from viewflow.urls import Site
from viewflow.workflow.flow.views import WorkflowInboxListView
from viewflow.workflow.flow.viewset import WorkflowAppViewset

from flows.flow_registry import registered_flows

PEER_PATH = "/bench-viewflow/"
PEER_INBOX_PATH = PEER_PATH + "workflow/inbox/"
PEER_PAGE_SIZE = 50


class PeerInboxView(WorkflowInboxListView):
    def task_id(self, task):
        url = task.flow_task.reverse("execute", args=[task.process_id, task.pk])
        return format_html('<a href="{}">#{}/{}</a>', url, task.process_id, task.pk)

    task_id.short_description = WorkflowInboxListView.task_id.short_description

    def process_brief(self, task):
        return task.process.brief


class PeerWorkflowApp(WorkflowAppViewset):
    inbox_view_class = PeerInboxView

    def __init__(self, flow_classes, **kwargs):
        super().__init__(flow_viewsets=[], **kwargs)
        self.flow_classes = list(flow_classes)

    def has_view_permission(self, user, obj=None):
        return user.is_authenticated

    def get_inbox_view_kwargs(self, **kwargs):
        return super().get_inbox_view_kwargs(paginate_by=PEER_PAGE_SIZE, **kwargs)


site = Site(title="viewflow", viewsets=[PeerWorkflowApp(registered_flows(), app_name="workflow")])

urlpatterns = [path(PEER_PATH.strip("/") + "/", site.urls), path("", include("bench.bare_page"))]


def grant_view(user) -> None:
    """Give `user` viewflow's permission to see the flows' processes, without which its inbox lists nothing."""
    from django.contrib.auth import get_permission_codename
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    for model in {f.process_class for f in registered_flows()}:
        content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
        codename = get_permission_codename("view", model._meta)
        user.user_permissions.add(Permission.objects.get(content_type=content_type, codename=codename))
