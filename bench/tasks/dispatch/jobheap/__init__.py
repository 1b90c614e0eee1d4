"""A priority job queue: urgent jobs first, first-come first-served among equals."""

from jobheap.jobs import Job, parse_job
from jobheap.queue import JobQueue

__all__ = ["Job", "JobQueue", "parse_job"]
