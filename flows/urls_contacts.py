"""Issue 20: the contacts screens' addresses (folded into flows/urls.py when the work lands)."""

urlpatterns = []
