import time

import pytest
from django.core.exceptions import ValidationError

from fangxian.core import jobs
from fangxian.core.choices import JobStatus
from fangxian.core.models import Job
from fangxian.core.sweeps import run_all


@pytest.fixture
def kinds():
    calls = []

    @jobs.handler("test_count")
    def count(job, report):
        calls.append(job.pk)
        report("计数", done=1, total=2)
        return {"counted": job.arguments["n"]}

    @jobs.handler("test_refuse")
    def refuse(job, report):
        raise ValidationError("名单有错误")

    @jobs.handler("test_crash")
    def crash(job, report):
        raise RuntimeError("boom")

    yield calls
    for kind in ("test_count", "test_refuse", "test_crash"):
        jobs.HANDLERS.pop(kind)


def make(world, kind, **arguments):
    return Job.objects.create(
        kind=kind, title=kind, unit=world["huiji"], created_by=world["district"], arguments=arguments
    )


def test_a_job_runs_once_and_keeps_its_result_log_and_progress(world, kinds):
    job = make(world, "test_count", n=3)
    jobs.run_job(job.pk)
    jobs.run_job(job.pk)  # a second worker picking the same job does nothing
    job.refresh_from_db()
    assert kinds == [job.pk]
    assert job.status == JobStatus.DONE and job.result == {"counted": 3} and "计数" in job.log
    assert jobs.read_progress(job)["done"] == 1


def test_a_refused_job_fails_with_its_message(world, kinds):
    job = make(world, "test_refuse")
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "名单有错误" in job.log


def test_a_crashed_job_fails_without_a_stack_trace_in_its_log(world, kinds):
    job = make(world, "test_crash")
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "系统错误" in job.log and "boom" not in job.log


def test_a_job_whose_process_died_is_marked_interrupted_by_the_sweep(world):
    job = make(world, "lead_import")
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    jobs.Reporter(job)("读取并校验文件")
    assert jobs.sweep_stale_jobs() == 0  # a fresh heartbeat: still alive
    assert jobs.sweep_stale_jobs(now=time.time() + jobs.STALE_AFTER.total_seconds() + 5) == 1
    job.refresh_from_db()
    assert job.status == JobStatus.INTERRUPTED and "可重新运行" in job.log


def test_the_worker_runs_every_sweep(world):
    assert "sweep_stale_jobs" in run_all()


def test_the_job_pages_are_scoped(world, client_for):
    job = make(world, "lead_import")
    assert client_for("district").get(f"/jobs/{job.uuid}/").status_code == 200
    assert client_for("township_a").get(f"/jobs/{job.uuid}/").status_code == 404
    fragment = client_for("district").get(f"/jobs/{job.uuid}/", headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in fragment and "<html" not in fragment
