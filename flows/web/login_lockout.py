"""Login lockouts (django-axes): five wrong passwords for one username from one address lock that pair out for the
cool-off; the same username from elsewhere, and other users from the same address, still log in."""

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from django.shortcuts import render
from django.utils import timezone


class LockoutBackend(AxesStandaloneBackend):
    """Axes' check in front of the password check. authenticate() without a request (the shell, the test client's
    login()) has no client address to key a lockout on; it goes straight to the password check."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_response(request, original_response=None, credentials=None):
    """The page a locked-out login gets: in Chinese first, saying until when. Every attempt while locked out starts
    the cool-off again (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT), so it ends a cool-off from now."""
    cool_off = get_cool_off(request)
    retry_at = timezone.localtime(timezone.now() + cool_off)
    return render(
        request,
        "registration/locked_out.html",
        {"retry_at": retry_at, "minutes": int(cool_off.total_seconds() // 60)},
        status=429,
    )
