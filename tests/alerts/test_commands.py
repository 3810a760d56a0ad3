"""purge_frames (report, then delete rows and files), the retention beat job, simulate_device."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.utils import timezone

from alerts import services
from alerts.models import Alert, Frame, SafeFrame
from alerts.simulator import SimulationPlan, render_frame, run_simulation
from alerts.tasks import purge_old_frames_job
from labelplatform.celery import app as celery_app

pytestmark = pytest.mark.django_db


@pytest.fixture
def aged():
    """One truck: an alert 40 days old with 2 frames, an alert 2 days old with 1 frame, safe frames 40 and
    2 days old. Returns the names of the files that must go and of those that must stay."""
    registration = services.register_device(mac="02:00:00:00:00:09", password="pw-device-9", name="Old truck")
    device, now = registration.device, timezone.now()
    old, recent = [], []
    for days, frames, bucket in ((40, 2, old), (2, 1, recent)):
        start = now - timedelta(days=days)
        alert = services.open_alert(device=device, truck_id=None, behavior="Unsafe", alert_init=start).alert
        for index in range(frames):
            bucket.append(
                services.add_frame(
                    device=device,
                    alert_id=alert.pk,
                    frame_timestamp=start + timedelta(seconds=index),
                    image=render_frame(width=32, height=24, index=index),
                    frame_index=index,
                ).frame.image.name
            )
        bucket.append(
            services.add_safe_frame(
                device=device, truck_id=None, frame_timestamp=start, image=render_frame(width=32, height=24)
            ).frame.image.name
        )
    return old, recent


def run(*args) -> str:
    out = StringIO()
    call_command("purge_frames", *args, stdout=out)
    return out.getvalue()


def test_without_confirm_it_only_reports(aged):
    old, recent = aged
    output = run("--older-than", "30")
    assert "Would delete 2 frames and 1 safe frames" in output
    assert "--confirm" in output
    assert Frame.objects.count() == 3 and SafeFrame.objects.count() == 2
    assert all(default_storage.exists(name) for name in old + recent)


def test_with_confirm_it_deletes_old_rows_and_files_and_keeps_alerts(aged, django_capture_on_commit_callbacks):
    old, recent = aged
    with django_capture_on_commit_callbacks(execute=True):
        output = run("--older-than", "30", "--confirm", "--batch-size", "1")
    assert "Deleted 2 frames and 1 safe frames" in output
    assert "3/3 deleted (100%)" in output  # progress, one line per batch
    assert "1/3 deleted" in output
    assert Frame.objects.count() == 1 and SafeFrame.objects.count() == 1
    assert Alert.objects.count() == 2  # alerts stay
    assert not any(default_storage.exists(name) for name in old)
    assert all(default_storage.exists(name) for name in recent)
    assert "Nothing captured before" in run("--older-than", "30", "--confirm")  # a second run finds nothing


@pytest.mark.parametrize(
    "args, message",
    [
        (["--older-than", "0"], "at least 1 day"),
        (["--older-than", "-3", "--confirm"], "at least 1 day"),
        (["--older-than", "5", "--batch-size", "0"], "--batch-size"),
    ],
)
def test_bad_arguments_are_refused(aged, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert Frame.objects.count() == 3


def test_older_than_is_required():
    with pytest.raises(CommandError, match="older-than"):
        run()


def test_the_beat_job_does_nothing_without_a_retention(aged, settings):
    settings.FRAME_RETENTION_DAYS = None
    assert purge_old_frames_job() == {"skipped": "FRAME_RETENTION_DAYS is not set"}
    assert Frame.objects.count() == 3


def test_the_beat_job_purges_with_the_retention(aged, settings, django_capture_on_commit_callbacks):
    old, recent = aged
    settings.FRAME_RETENTION_DAYS = 7
    with django_capture_on_commit_callbacks(execute=True):
        result = purge_old_frames_job.delay().get()
    assert (result["frames"], result["safe_frames"]) == (2, 1)
    assert result["bytes"] > 0
    assert Frame.objects.count() == 1 and SafeFrame.objects.count() == 1
    assert not any(default_storage.exists(name) for name in old)


def test_the_beat_schedule_runs_the_job_daily():
    entry = celery_app.conf.beat_schedule["purge-old-frames"]
    assert entry["task"] == "alerts.tasks.purge_old_frames_job"
    assert entry["task"] in celery_app.tasks
    assert len(entry["schedule"].hour) == 1 and len(entry["schedule"].day_of_week) == 7


# --- simulate_device --------------------------------------------------------------------------------


class FakeDevice:
    """Records what the simulation asks a device to do."""

    name = "sim-truck"
    transport = "fake"

    def __init__(self):
        self.calls = []
        self.next_id = 0

    def _id(self):
        self.next_id += 1
        return self.next_id

    def register(self):
        self.calls.append(("register",))
        from alerts.simulator import Registration

        return Registration(1, 7, "t")

    def open_alert(self, behavior, *, alert_init=None):
        self.calls.append(("open", behavior))
        return self._id()

    def send_frame(self, alert_id, image, *, frame_index=None, at=None):
        assert image.startswith(b"\xff\xd8\xff")
        self.calls.append(("frame", alert_id, frame_index))
        return self._id()

    def close_alert(self, alert_id, *, alert_end=None):
        self.calls.append(("close", alert_id))
        return alert_id

    def send_safe_frame(self, image, *, at=None):
        self.calls.append(("safe",))
        return self._id()


def test_the_simulation_opens_streams_at_the_rate_closes_and_sends_safe_frames():
    device, slept = FakeDevice(), []
    now = [0.0]

    def sleep(seconds):
        slept.append(round(seconds, 3))
        now[0] += seconds

    plan = SimulationPlan(rate=4, frames_per_alert=3, safe_every=0.1, pause=1.5, alerts=2, width=64, height=48)
    done = run_simulation(device, plan, sleep=sleep, clock=lambda: now[0])
    assert done == 2
    kinds = [call[0] for call in device.calls]
    assert kinds == ["register", "open", "frame", "frame", "frame", "close", "safe"] + [
        "open",
        "frame",
        "frame",
        "frame",
        "close",
        "safe",
    ]
    assert [call[2] for call in device.calls if call[0] == "frame"] == [0, 1, 2, 0, 1, 2]
    assert slept.count(0.25) == 4  # 4 frames per second: 0.25 s between frames of an alert
    assert slept.count(1.5) == 1  # the pause between the two alerts, none after the last
    behaviors = [call[1] for call in device.calls if call[0] == "open"]
    assert all(b in {"Unsafe", "Eating/Drinking", "Single Hand", "Tamper"} for b in behaviors)


def test_simulate_device_against_a_live_server(live_server, settings):
    settings.DEVICE_REGISTRATION_RATE = "1000/min"
    out = StringIO()
    call_command(
        "simulate_device",
        "--url",
        live_server.url,
        "--alerts",
        "2",
        "--frames-per-alert",
        "2",
        "--rate",
        "0",
        "--pause",
        "0",
        "--safe-every",
        "1",
        "--size",
        "96x54",
        "--name",
        "Sim truck",
        stdout=out,
    )
    output = out.getvalue()
    assert "Done: 2 alerts sent." in output
    alerts = list(Alert.objects.filter(truck__name="Sim truck"))
    assert len(alerts) == 2 and not any(alert.started for alert in alerts)
    assert sorted(Frame.objects.filter(alert__in=alerts).values_list("frame_index", flat=True)) == [0, 0, 1, 1]
    assert SafeFrame.objects.filter(truck__name="Sim truck").count() >= 1


def test_simulate_device_reports_a_server_it_cannot_reach():
    with pytest.raises(CommandError, match="Cannot reach"):
        call_command("simulate_device", "--url", "http://127.0.0.1:9", "--alerts", "1", stdout=StringIO())


@pytest.mark.parametrize(
    "args, message",
    [
        (["--rate", "-1"], "--rate"),
        (["--size", "big"], "--size"),
        (["--size", "8x8"], "--size"),
        (["--transport", "carrier-pigeon"], "invalid choice"),
    ],
)
def test_simulate_device_refuses_bad_arguments(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("simulate_device", *args, stdout=StringIO())


def test_simulate_device_refused_by_the_server(live_server):
    services.register_device(mac="02:00:00:00:00:42", password="the-real-one", name="Taken")
    with pytest.raises(CommandError, match="Wrong password"):
        call_command(
            "simulate_device",
            "--url",
            live_server.url,
            "--mac",
            "02:00:00:00:00:42",
            "--password",
            "not-it",
            "--alerts",
            "1",
            stdout=StringIO(),
        )
