from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from flows import selectors
from flows.policy import access


@login_required
def person_detail(request, pk):
    person = access.person_or_404(request.user, pk=pk)
    return render(request, "flows/people/detail.html", selectors.person_page(request.user, person))


@login_required
def me(request):
    return render(request, "flows/people/detail.html", selectors.person_page(request.user, request.user))
