import gc
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings.dev")

# Django's request cycle in one hop to a pool of worker threads that keep their connections (see the module)
from flows.web.middleware_asgi import get_asgi_application  # noqa: E402

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

# What the server loaded to get here (Django, the apps, the URL configuration, the flows) lives as long as it does:
# kept out of the garbage collector's full passes, which otherwise walk all of it again and again while pages are
# drawn (the standard advice for long-running CPython servers; gc.freeze, Python 3.7+)
gc.collect()
gc.freeze()
