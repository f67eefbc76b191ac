"""Password login with lockout: after LOGIN_MAX_FAILURES wrong passwords the account is locked for a while."""

import datetime

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.db.models import F
from django.utils import timezone

from fangxian.core.models import User

PUBLISHED_DEMO_PASSWORD = "fangxian-demo"


class LockoutModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user = User.objects.filter(username=username).first()
        if user is None:
            # Same cost as a real check, so response time does not reveal which usernames exist.
            User().set_password(password)
            return None
        if user.is_service_account or user.is_locked():
            return None
        if settings.PRODUCTION and password == PUBLISHED_DEMO_PASSWORD:
            # A database built in demo mode and later run in production must not open with the published password.
            register_failure(user)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            if user.failed_logins or user.locked_until:
                User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
            return user
        register_failure(user)
        return None


def register_failure(user: User) -> None:
    User.objects.filter(pk=user.pk).update(failed_logins=F("failed_logins") + 1)
    user.refresh_from_db(fields=["failed_logins"])
    if user.failed_logins >= settings.LOGIN_MAX_FAILURES:
        until = timezone.now() + datetime.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
        User.objects.filter(pk=user.pk).update(locked_until=until, failed_logins=0)
