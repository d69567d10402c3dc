from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from flows import selectors
from flows.models import Sector
from flows.policy import access


@login_required
def organisation_tree(request):
    """The organisation tree: expand/collapse from the user's topmost organisations, or search."""
    text = request.GET.get("q", "").strip()[:60]
    sector = request.GET.get("sector", "")
    if sector not in Sector.values:
        sector = ""
    context = {"q": text, "sector": sector, "sectors": Sector.choices}
    if text or sector:
        page = Paginator(selectors.organisation_search(request.user, text=text, sector=sector), selectors.SEARCH_LIMIT)
        results = page.get_page(request.GET.get("page"))
        chains = selectors.breadcrumbs(results)
        for o in results:
            o.chain = chains[o.pk]
        context["results"] = results
    else:
        context["roots"] = selectors.tree_roots(request.user)
    return render(request, "flows/organisations/tree.html", context)


@login_required
def organisation_children(request, code):
    """One level of the tree, fetched when a node is expanded."""
    org = access.organisation_or_404(request.user, code=code)
    return render(request, "flows/organisations/_children.html", {"nodes": selectors.tree_children(request.user, org)})


@login_required
def organisation_detail(request, code):
    org = access.organisation_or_404(request.user, code=code)
    return render(request, "flows/organisations/detail.html", selectors.organisation_page(request.user, org))
