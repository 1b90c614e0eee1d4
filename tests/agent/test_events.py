import json
import threading

from kog.agent.events import EventBus, RunFinished, StepStarted, TestsRun, event_adapter
from kog.agent.report import RunReport, TestSummary


def test_every_subscriber_gets_every_event_in_order():
    bus = EventBus()
    first, second = [], []
    bus.subscribe(first.append)
    bus.subscribe(second.append)
    events = [StepStarted(step=i, kind="edit", attempt=1) for i in range(3)]
    for event in events:
        bus.publish(event)
    assert first == events and second == events


def test_a_raising_subscriber_does_not_stop_the_others():
    bus = EventBus()
    seen = []

    def broken(event):
        raise RuntimeError("view crashed")

    bus.subscribe(broken)
    bus.subscribe(seen.append)
    bus.publish(StepStarted(step=1, kind="plan", attempt=1))
    assert len(seen) == 1


def test_unsubscribe_stops_delivery():
    bus = EventBus()
    seen = []
    unsubscribe = bus.subscribe(seen.append)
    bus.publish(StepStarted(step=1, kind="plan", attempt=1))
    unsubscribe()
    bus.publish(StepStarted(step=2, kind="plan", attempt=1))
    assert [e.step for e in seen] == [1]


def test_publishing_from_many_threads_loses_nothing():
    bus = EventBus()
    seen = []
    bus.subscribe(seen.append)

    def publish_many(base):
        for i in range(200):
            bus.publish(StepStarted(step=base + i, kind="test", attempt=1))

    threads = [threading.Thread(target=publish_many, args=(k * 1000,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(e.step for e in seen) == sorted(k * 1000 + i for k in range(4) for i in range(200))


def test_events_round_trip_through_json_lines():
    report = RunReport(
        status="fixed",
        task="all",
        model="m",
        repo="/r",
        tests_before=TestSummary(passed=1, failed=1, failing=["t::a"]),
    )
    events = [
        TestsRun(scope="full", passed=["t::b"], failed=["t::a"], duration_s=0.5),
        RunFinished(report=report),
    ]
    for event in events:
        line = event.model_dump_json()
        assert json.loads(line)["type"] in ("tests_run", "run_finished")
        assert event_adapter.validate_json(line) == event
