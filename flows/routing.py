# The live inbox's websocket routes arrive with the deadlines-and-inbox work.
websocket_urlpatterns: list = []
