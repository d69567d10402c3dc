from django.urls import path

from flows.live.consumers import CycleConsumer, InboxConsumer

websocket_urlpatterns = [
    path("ws/inbox/", InboxConsumer.as_asgi()),
    path("ws/cycles/<int:pk>/", CycleConsumer.as_asgi()),
]
