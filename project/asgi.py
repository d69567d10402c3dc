import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings.dev")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from flows.ballot_door.asgi import cast_first  # noqa: E402
from flows.live.origin import SameOriginOnly  # noqa: E402
from flows.live.routing import websocket_urlpatterns  # noqa: E402
from flows.scheduler import start_in_process  # noqa: E402

start_in_process()  # embedded default: reminders, escalations and deadline closes run inside the server

application = ProtocolTypeRouter(
    {
        "http": cast_first(django_asgi_app),  # the public cast POST's receipt before Django's request cycle
        "websocket": AllowedHostsOriginValidator(SameOriginOnly(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))),
    }
)
