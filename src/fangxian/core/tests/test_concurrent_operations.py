"""Two people acting on one measure at the same moment: the operation views read the row FOR UPDATE inside their
transaction, so the second sees the first's outcome instead of silently replacing it."""

import re
import threading

import pytest
from django.conf import settings
from django.db import close_old_connections, connection
from django.test import Client
from django.urls import reverse

from fangxian.control.choices import MeasureStatus
from fangxian.control.models import Measure
from fangxian.core.models import ChangeRecord


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
    reason="two concurrent writers need PostgreSQL (SQLite runs one writer at a time); the PostgreSQL leg runs it",
)
@pytest.mark.django_db(transaction=True)
def test_two_officers_ending_one_measure_at_once_end_it_once(world):
    # In core's tests: the control tests' own fixture starts with nobody under a measure.
    measure = world["xc_measure"]
    url = reverse("control:measure_action", kwargs={"uuid": measure.uuid, "operation": "end"})
    barrier = threading.Barrier(2)
    answers: list[str] = []

    def end(username: str, reason: str):
        try:
            client = Client()
            client.force_login(world[username])
            barrier.wait(timeout=10)
            response = client.post(url, {"reason": reason}, follow=True)
            # From the page each client was given: response.context is filled by a process-wide signal, so two
            # threads rendering at once could each read the other's messages.
            answers.extend(
                re.findall(r'<div class="alert alert-\w+" role="alert">([^<]+)</div>', response.content.decode())
            )
        finally:
            close_old_connections()
            connection.close()

    threads = [
        threading.Thread(target=end, args=("district", "hospitalised")),
        threading.Thread(target=end, args=("township_a", "left_area")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    ended = Measure.objects.get(pk=measure.pk)
    assert ended.status == MeasureStatus.ENDED
    records = ChangeRecord.objects.filter(reason__startswith="提前终止")
    assert records.count() == 1, list(records.values_list("reason", flat=True))
    assert "已提前终止" in answers and len(answers) == 2, answers  # the other was told, not silently overwritten
