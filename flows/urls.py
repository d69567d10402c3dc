from django.contrib.auth import views as auth_views
from django.urls import path

from .flows import FLOWS
from .views import ballots, campaigns, cycles, daysoff, evidence, inbox, notifications, organisations, people

urlpatterns = [
    path("", inbox.inbox, name="home"),  # the first screen after login is "my tasks"
    path("login/", auth_views.LoginView.as_view(template_name="registration/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("orgs/", organisations.organisation_tree, name="organisation_tree"),
    path("orgs/<str:code>/", organisations.organisation_detail, name="organisation_detail"),
    path("orgs/<str:code>/children/", organisations.organisation_children, name="organisation_children"),
    path("people/me/", people.me, name="me"),
    path("people/<int:pk>/", people.person_detail, name="person_detail"),
    path("tasks/", inbox.inbox, name="inbox"),
    path("tasks/live.json", inbox.inbox_live, name="inbox_live"),
    path("tasks/queue/", inbox.queue, name="queue"),
    path("tasks/queue/claim/", inbox.claim, name="queue_claim"),
    path("tasks/archive/", inbox.archive, name="archive"),
    path("cycles/", cycles.cycle_list, name="cycle_list"),
    path("cycles/new/", cycles.cycle_create, name="cycle_create"),
    path("cycles/<int:pk>/", cycles.cycle_detail, name="cycle_detail"),
    path("cycles/<int:pk>/open/", cycles.cycle_open, name="cycle_open"),
    path("cycles/<int:pk>/close/", cycles.cycle_close, name="cycle_close"),
    path("assessments/<int:pk>/", cycles.assessment_detail, name="assessment_detail"),
    path("evidence/<int:pk>/", evidence.evidence_download, name="evidence_download"),
    path("offices/<int:office_pk>/calendar/", daysoff.days_off, name="days_off"),
    path("offices/<int:office_pk>/calendar/<int:pk>/delete/", daysoff.day_off_delete, name="day_off_delete"),
    path("notifications/", notifications.notification_list, name="notification_list"),
    path("notifications/<int:pk>/open/", notifications.notification_open, name="notification_open"),
    path("notifications/read/", notifications.notifications_read, name="notifications_read"),
    path("campaigns/", campaigns.campaign_list, name="campaign_list"),
    path("campaigns/new/", campaigns.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", campaigns.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/turnout.json", campaigns.campaign_turnout, name="campaign_turnout"),
    path("campaigns/<int:pk>/issue/", campaigns.campaign_issue, name="campaign_issue"),
    path("campaigns/<int:pk>/open/", campaigns.campaign_open, name="campaign_open"),
    path("campaigns/<int:pk>/close/", campaigns.campaign_close, name="campaign_close"),
    path("campaigns/<int:pk>/comments/", campaigns.campaign_comments, name="campaign_comments"),
    path("v/<str:public_id>/", ballots.ballot_enter, name="ballot_enter"),
    path("v/<str:public_id>/cast/", ballots.ballot_cast, name="ballot_cast"),
    path("v/<str:public_id>/results/", ballots.ballot_results, name="ballot_results"),
    *[path(f"flow/{f.instance.flow_label}/", f.instance.urls) for f in FLOWS],
]
