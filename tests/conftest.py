import pytest

from flows.models import Organisation, User
from flows.services.demo import demo_load
from tests import demo_snapshot

DEMO: list[demo_snapshot.Table] = []  # the demo city's rows, taken once loaded


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the demo city once per run; each test then runs in its own rolled-back transaction."""
    with django_db_blocker.unblock():
        demo_load()
        DEMO[:] = demo_snapshot.take()


@pytest.fixture
def demo(db):
    """The demo city (fixtures/demo/organisations.json); put back as it was loaded if a transactional test (browser,
    server, fault) flushed the database."""
    if not Organisation.objects.filter(code="JC").exists():
        demo_snapshot.restore(DEMO)


@pytest.fixture
def login(client):
    def _login(username):
        user = User.objects.get(username=username)
        client.force_login(user)
        return user

    return _login


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache; every test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
