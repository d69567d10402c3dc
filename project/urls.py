from django.contrib import admin
from django.urls import include, path

from flows.views import health

urlpatterns = [
    # liveness and readiness for supervisors and load balancers: public by design, JSON, nothing secret
    path("healthz/live", health.live, name="healthz_live"),
    path("healthz/ready", health.ready, name="healthz_ready"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("flows.urls")),
]

handler500 = "flows.web.database_errors.server_error"
