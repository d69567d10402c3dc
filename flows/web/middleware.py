"""Chinese first: the language is Simplified Chinese unless the user chose another one explicitly."""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from flows.services import handoffs


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Like Django's LocaleMiddleware, but a browser's Accept-Language never overrides the default:
    officials on an English-language machine still get the Chinese UI; the language switch (a cookie)
    is the one way to English."""

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = dict(settings.LANGUAGES)
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class ActingUserMiddleware:
    """Tells the hand-off notifications who is acting in this request (a task one takes oneself notifies nobody)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        def acting():  # read only when a task changes hands: a page that changes nothing never opens the session
            user = getattr(request, "user", None)
            return user.pk if user is not None and user.is_authenticated else None

        with handoffs.acting_as(acting):
            return self.get_response(request)
