import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse

from fangxian import settings as project_settings
from fangxian.conftest import PASSWORD
from fangxian.core.models import User


def login(client, username, password):
    return client.post(reverse("core:login"), {"username": username, "password": password})


def test_argon2_is_the_configured_password_hasher():
    assert project_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_a_correct_password_signs_in(world, client):
    response = login(client, "township_a", PASSWORD)
    assert response.status_code == 302 and response.url == reverse("home")


def test_repeated_wrong_passwords_lock_the_account_even_for_the_right_password(world, client):
    for _ in range(settings.LOGIN_MAX_FAILURES):
        login(client, "township_a", "wrong-password")
    account = User.objects.get(username="township_a")
    assert account.is_locked()
    response = login(client, "township_a", PASSWORD)
    assert response.status_code == 200
    assert "临时锁定" in response.content.decode()


def test_the_login_page_answers_the_same_for_a_locked_an_unknown_and_a_wrong_name(world, client):
    for _ in range(settings.LOGIN_MAX_FAILURES):
        login(client, "township_a", "wrong-password")

    def message(username):
        page = login(client, username, "wrong-password").content.decode()
        return page.split('class="alert alert-danger">')[1].split("</div></div>")[0]

    assert "临时锁定" in message("township_a")
    assert message("township_a") == message("nobody-of-that-name") == message("township_b")


def test_parallel_guesses_get_no_more_than_the_allowance(world, settings):
    """Each attempt claims a guess before the slow password check, so however many arrive at once, only the
    allowance is ever checked: after it, even the right password is refused until the lock runs out."""
    from fangxian.core.auth import LockoutModelBackend, claim_attempt

    account = User.objects.get(username="township_a")
    claimed = [claim_attempt(account) for _ in range(10)]  # ten requests past the lock check at once
    assert claimed.count(True) == settings.LOGIN_MAX_FAILURES
    assert LockoutModelBackend().authenticate(None, username="township_a", password=PASSWORD) is None


def test_a_password_reset_by_an_administrator_unlocks(world, client, client_for):
    for _ in range(settings.LOGIN_MAX_FAILURES):
        login(client, "township_a", "wrong-password")
    client_for("district").post(
        reverse("core:user_action", kwargs={"pk": world["township_a"].pk, "operation": "password"}),
        {"password": "a-new-long-passphrase-2026"},
    )
    assert login(client, "township_a", "a-new-long-passphrase-2026").status_code == 302


def test_the_service_account_cannot_sign_in(world, client):
    system = world["system"]
    system.set_password(PASSWORD)
    system.save()
    assert login(client, "system", PASSWORD).status_code == 200


def test_sessions_expire_when_idle():
    assert project_settings.SESSION_COOKIE_AGE <= 8 * 60 * 60
    assert project_settings.SESSION_SAVE_EVERY_REQUEST


def test_pages_require_login(db, client):
    response = client.get(reverse("people:list"))
    assert response.status_code == 302 and reverse("core:login") in response.url


def test_the_api_requires_authentication(db, client):
    assert client.get("/api/persons/").status_code in {401, 403}


def _start(env: dict, then: str = "") -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "FANGXIAN_DEBUG", "FANGXIAN_ENV"}}
    environment.update(env)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE','fangxian.settings'); django.setup()"
            + then,
        ],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _start({"FANGXIAN_ENV": "production", "ALLOWED_HOSTS": "example.org"})
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_production_refuses_to_start_with_debug_on():
    result = _start({"FANGXIAN_ENV": "production", "SECRET_KEY": "x" * 50, "FANGXIAN_DEBUG": "true"})
    assert result.returncode != 0 and "DEBUG" in result.stderr


def test_production_starts_with_a_real_secret_and_has_no_demo_password():
    result = _start({"FANGXIAN_ENV": "production", "SECRET_KEY": "k" * 50})
    assert result.returncode == 0, result.stderr


def test_in_production_the_api_schema_needs_a_login():
    probe = (
        "; from django.test import Client; c = Client(); "
        "print(c.get('/api/schema/', secure=True).status_code, c.get('/api/docs/', secure=True).status_code)"
    )
    result = _start({"FANGXIAN_ENV": "production", "SECRET_KEY": "k" * 50, "ALLOWED_HOSTS": "testserver"}, probe)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["401", "401"] or result.stdout.split() == ["403", "403"], result.stdout


@pytest.mark.parametrize("url", ["sqlite:///var/x.sqlite3", "postgres://u:p@db.example:6543/fx"])
def test_database_url_is_parsed(url, tmp_path):
    from fangxian.env import parse_database_url

    config = parse_database_url(url, tmp_path)
    if url.startswith("sqlite"):
        assert config["NAME"] == str(tmp_path / "var" / "x.sqlite3")
    else:
        assert (config["HOST"], config["PORT"], config["NAME"], config["USER"]) == ("db.example", "6543", "fx", "u")


def test_an_unknown_page_is_a_chinese_404_without_a_stack_trace(world, client_for):
    response = client_for("township_a").get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "未找到" in body and "Traceback" not in body


def test_the_published_demo_password_is_refused_in_production_mode(world, client, settings):
    account = world["township_a"]
    account.set_password("fangxian-demo")
    account.save()
    settings.PRODUCTION = True
    assert login(client, "township_a", "fangxian-demo").status_code == 200
    settings.PRODUCTION = False
    assert login(client, "township_a", "fangxian-demo").status_code == 302
