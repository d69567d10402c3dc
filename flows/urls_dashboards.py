"""Issue 21: dashboard addresses (folded into flows/urls.py when the work lands)."""

urlpatterns = []
