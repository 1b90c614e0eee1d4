import pytest

from jobheap import Job, JobQueue, parse_job


def make_queue(*jobs):
    queue = JobQueue()
    for job in jobs:
        queue.push(job)
    return queue


def test_urgent_job_comes_out_first():
    queue = make_queue(Job("report", 1), Job("alert", 10), Job("cleanup", 0))
    assert [job.name for job in queue.drain()] == ["alert", "report", "cleanup"]


def test_equal_priorities_keep_push_order():
    queue = make_queue(Job("a", 3), Job("b", 3), Job("c", 3))
    assert [queue.pop().name for _ in range(3)] == ["a", "b", "c"]


def test_peek_shows_most_urgent_without_removing():
    queue = make_queue(Job("backup", 2), Job("page-oncall", 9))
    assert queue.peek().name == "page-oncall"
    assert len(queue) == 2


def test_cancelled_job_is_skipped():
    queue = make_queue(Job("a"), Job("b"), Job("c"))
    assert queue.cancel("b")
    assert not queue.cancel("missing")
    assert [job.name for job in queue.drain()] == ["a", "c"]
    assert len(queue) == 0


def test_duplicate_names_are_rejected():
    queue = make_queue(Job("sync"))
    with pytest.raises(ValueError):
        queue.push(Job("sync", 5))


def test_pop_from_empty_queue():
    with pytest.raises(IndexError):
        JobQueue().pop()


def test_parse_job_line():
    job = parse_job("resize:-2 width=640 height=480")
    assert job == Job("resize", -2)
    assert job.payload == {"width": "640", "height": "480"}
