from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .. import selectors


@login_required
def home(request):
    """My tasks (我的待办): the first screen after login."""
    return render(request, "flows/home.html", {"tasks": selectors.my_tasks(request.user)})
