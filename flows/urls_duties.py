"""Issue 20: the duties screens' addresses (folded into flows/urls.py when the work lands)."""

urlpatterns = []
