"""The project's ASGI application with a benchmark-only URL configuration (BENCH_ROOT_URLCONF, for example the bare
page of bench/bare_page.py or viewflow's stock inbox as a peer) in front of the project's own URLs. Started only by
bench/served.py; the product's server never imports it."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings.dev")

from django.conf import settings  # noqa: E402

from project.asgi import application  # noqa: E402,F401  (sets Django up)

settings.ROOT_URLCONF = os.environ["BENCH_ROOT_URLCONF"]  # read at the first request, before any resolver is built
