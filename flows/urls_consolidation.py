"""Issue 20: the consolidation screens' addresses (folded into flows/urls.py when the work lands)."""

urlpatterns = []
