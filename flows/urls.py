from django.contrib.auth import views as auth_views
from django.urls import path

from .views import home, organisations, people

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="registration/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("orgs/", organisations.organisation_tree, name="organisation_tree"),
    path("orgs/<str:code>/", organisations.organisation_detail, name="organisation_detail"),
    path("orgs/<str:code>/children/", organisations.organisation_children, name="organisation_children"),
    path("people/me/", people.me, name="me"),
    path("people/<int:pk>/", people.person_detail, name="person_detail"),
]
