"""Issue 20: the rectification screens' addresses (folded into flows/urls.py when the work lands)."""

urlpatterns = []
