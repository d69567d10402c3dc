"""Production settings come from the environment only and pass Django's deployment checks."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def run_manage(*args, env_extra):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_extra={
            "DJANGO_SETTINGS_MODULE": "project.settings.production",
            "SECRET_KEY": "x" * 20 + "-a-long-random-production-secret-0123456789",
            "ALLOWED_HOSTS": "zerenzhi.example.org",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage(
        "check", env_extra={"DJANGO_SETTINGS_MODULE": "project.settings.production", "ALLOWED_HOSTS": "x"}
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_manage_py_defaults_to_the_development_settings():
    result = run_manage("diffsettings", env_extra={})
    assert result.returncode == 0, result.stderr
    assert "project.settings.dev" in result.stdout or "DEBUG = True" in result.stdout
