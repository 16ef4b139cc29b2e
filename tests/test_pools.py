"""Unit tests of swiftsvc._pools: bounded pools, cancel scopes, the result stream."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import CancelledError
from typing import Any

import pytest

from swiftsvc._pools import Abort, Cancelled, CancelScope, WorkerPool
from swiftsvc._streams import Job, ResultStream
from swiftsvc.events import Event, EventKind, EventSink
from swiftsvc.results import Result


class FakeConnection:
    created = 0
    lock = threading.Lock()

    def __init__(self) -> None:
        with FakeConnection.lock:
            FakeConnection.created += 1
            self.number = FakeConnection.created
        self.closed = False

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def pool() -> Iterator[WorkerPool[FakeConnection]]:
    p: WorkerPool[FakeConnection] = WorkerPool("test", 3, FakeConnection)
    yield p
    p.shutdown(timeout=2)


def ok(conn: FakeConnection, value: int) -> Result:
    return {"action": "test", "success": True, "value": value}


def fails(conn: FakeConnection, value: int) -> Result:
    raise ValueError(f"job {value} failed")


def failed_result(value: int) -> Any:
    def make(error: BaseException) -> Result:
        return {"action": "test", "success": False, "value": value, "error": error}

    return make


class TestWorkerPool:
    def test_each_job_gets_its_threads_connection(self, pool: WorkerPool[FakeConnection]) -> None:
        seen: dict[str, FakeConnection] = {}
        lock = threading.Lock()

        def record(conn: FakeConnection) -> None:
            with lock:
                previous = seen.setdefault(threading.current_thread().name, conn)
            assert previous is conn
            time.sleep(0.01)

        futures = [pool.submit(CancelScope(), record) for _ in range(30)]
        for future in futures:
            future.result(timeout=5)
        assert 1 <= len(seen) <= 3
        assert len({id(c) for c in seen.values()}) == len(seen)

    def test_no_thread_before_the_first_job(self) -> None:
        p: WorkerPool[FakeConnection] = WorkerPool("idle", 4, FakeConnection)
        assert p.threads == []
        p.shutdown()

    def test_try_submit_refuses_when_the_backlog_is_full(self) -> None:
        p: WorkerPool[FakeConnection] = WorkerPool("tiny", 1, FakeConnection, backlog=2)
        release = threading.Event()
        scope = CancelScope()
        first = p.submit(scope, lambda conn: release.wait(5))
        second = p.submit(scope, lambda conn: None)
        assert p.try_submit(scope, lambda conn: None) is None
        release.set()
        first.result(timeout=5)
        second.result(timeout=5)
        third = p.try_submit(scope, lambda conn: 3)
        assert third is not None and third.result(timeout=5) == 3
        p.shutdown()

    def test_submit_waiting_for_a_slot_raises_when_cancelled(self) -> None:
        p: WorkerPool[FakeConnection] = WorkerPool("tiny", 1, FakeConnection, backlog=1)
        release = threading.Event()
        scope = CancelScope()
        blocker = p.submit(scope, lambda conn: release.wait(5))
        threading.Timer(0.1, scope.cancel).start()
        started = time.monotonic()
        with pytest.raises(Cancelled):
            p.submit(scope, lambda conn: None)
        assert time.monotonic() - started < 1
        release.set()
        blocker.result(timeout=5)
        p.shutdown()

    def test_a_job_of_a_cancelled_scope_never_starts(self) -> None:
        p: WorkerPool[FakeConnection] = WorkerPool("tiny", 1, FakeConnection)
        release = threading.Event()
        ran: list[int] = []
        blocker = p.submit(CancelScope(), lambda conn: release.wait(5))
        scope = CancelScope()
        queued = p.submit(scope, lambda conn: ran.append(1))
        scope.cancel()
        release.set()
        blocker.result(timeout=5)
        with pytest.raises(CancelledError):
            queued.result(timeout=5)
        assert ran == []
        p.shutdown()

    def test_shutdown_joins_threads_and_closes_connections(self) -> None:
        p: WorkerPool[FakeConnection] = WorkerPool("closing", 2, FakeConnection)
        connections: list[FakeConnection] = []
        futures = [p.submit(CancelScope(), lambda conn: connections.append(conn))
                   for _ in range(4)]
        for future in futures:
            future.result(timeout=5)
        threads = p.threads
        p.shutdown(timeout=5)
        assert not any(t.is_alive() for t in threads)
        assert connections and all(c.closed for c in connections)
        with pytest.raises(Cancelled):
            p.submit(CancelScope(), lambda conn: None)

    def test_worker_threads_are_daemons(self, pool: WorkerPool[FakeConnection]) -> None:
        pool.submit(CancelScope(), lambda conn: None).result(timeout=5)
        assert all(t.daemon for t in pool.threads)


class TestCancelScope:
    def test_cancelling_a_parent_cancels_children_not_the_reverse(self) -> None:
        root = CancelScope()
        child = root.child()
        grandchild = child.child()
        grandchild.cancel()
        assert grandchild.cancelled and not child.cancelled and not root.cancelled
        other = root.child()
        root.cancel()
        assert other.cancelled and child.cancelled
        with pytest.raises(Cancelled):
            other.check()

    def test_interrupted_tells_a_users_cancel_from_fail_fasts(self) -> None:
        # fail_fast cancels with Abort.NONE after a failure: not an interrupt,
        # so a segmented upload cleans up; the user's cancel keeps what landed
        failed = CancelScope().child()
        failed.cancel(abort=Abort.NONE)
        assert failed.cancelled and not failed.interrupted
        for abort in (Abort.IN_FLIGHT, Abort.ALL):
            root = CancelScope()
            call = root.child()
            root.cancel(abort=abort)
            assert call.interrupted and root.interrupted
        assert not CancelScope().interrupted


class AbortableConnection(FakeConnection):
    """Records aborts; ``block()`` waits like a request on a stalled server, until cut."""

    def __init__(self) -> None:
        super().__init__()
        self.aborted = threading.Event()
        self.events: list[str] = []
        self.blocked = threading.Event()

    def abort(self) -> None:
        self.events.append("abort")
        self.aborted.set()

    def resume(self) -> None:
        self.events.append("resume")
        self.aborted.clear()

    def block(self) -> str:
        self.blocked.set()
        return "cut" if self.aborted.wait(10) else "timed out"


def blocked_after(entered: threading.Event, conn: AbortableConnection) -> str:
    """A job that says it is running, then blocks like a request on a stalled server."""
    entered.set()
    return conn.block()


class TestAbortingWorkInFlight:
    """Issue 16 item 2: cancelling reaches a job blocked on a socket."""

    def test_cancel_aborts_the_connection_of_a_running_job_at_once(self) -> None:
        p: WorkerPool[AbortableConnection] = WorkerPool("cut", 1, AbortableConnection)
        scope = CancelScope().child()
        entered = threading.Event()
        future = p.submit(scope, lambda conn: blocked_after(entered, conn))
        assert entered.wait(5)  # cut a job that is running, not one still queued
        started = time.monotonic()
        scope.cancel()
        assert future.result(timeout=5) == "cut"
        assert time.monotonic() - started < 0.5
        p.shutdown(timeout=2)

    def test_cancelling_a_parent_aborts_a_childs_job(self) -> None:
        p: WorkerPool[AbortableConnection] = WorkerPool("cut", 1, AbortableConnection)
        root = CancelScope()
        entered = threading.Event()
        future = p.submit(root.child().child(), lambda conn: blocked_after(entered, conn))
        assert entered.wait(5)
        root.cancel()
        assert future.result(timeout=5) == "cut"
        p.shutdown(timeout=2)

    def test_fail_fast_cancels_without_cutting_running_work(self) -> None:
        p: WorkerPool[AbortableConnection] = WorkerPool("cut", 1, AbortableConnection)
        scope = CancelScope()
        seen: list[AbortableConnection] = []

        def job(conn: AbortableConnection) -> str:
            seen.append(conn)
            conn.blocked.set()
            time.sleep(0.2)
            return "finished"

        future = p.submit(scope, job)
        time.sleep(0.05)
        scope.cancel(abort=Abort.NONE)
        assert future.result(timeout=5) == "finished"
        assert "abort" not in seen[0].events
        p.shutdown(timeout=2)

    def test_in_flight_abort_lets_the_job_send_its_clean_up(self) -> None:
        p: WorkerPool[AbortableConnection] = WorkerPool("cut", 1, AbortableConnection)
        scope = CancelScope()

        def job(conn: AbortableConnection) -> list[str]:
            conn.block()
            return list(conn.events)  # what the clean-up would find

        future = p.submit(scope, job)
        time.sleep(0.1)
        scope.cancel(abort=Abort.IN_FLIGHT)
        # cut, then accepting requests again: the job may still clean up
        assert future.result(timeout=5)[-2:] == ["abort", "resume"]
        p.shutdown(timeout=2)

    def test_abort_for_good_refuses_the_jobs_later_requests_until_it_ends(self) -> None:
        p: WorkerPool[AbortableConnection] = WorkerPool("cut", 1, AbortableConnection)
        scope = CancelScope()

        def job(conn: AbortableConnection) -> list[str]:
            conn.block()
            return list(conn.events)

        future = p.submit(scope, job)
        time.sleep(0.1)
        scope.cancel()
        assert future.result(timeout=5)[-1] == "abort"
        # the next job (another call) gets its connection back
        other = p.submit(CancelScope(), lambda conn: conn.aborted.is_set())
        assert other.result(timeout=5) is False
        p.shutdown(timeout=2)

    def test_a_job_registered_after_the_abort_is_cut_at_once(self) -> None:
        scope = CancelScope()
        scope.cancel()
        calls: list[bool] = []
        unregister = scope.child().on_abort(calls.append)
        assert calls == [True]
        unregister()

    def test_finished_jobs_are_no_longer_cut(self) -> None:
        p: WorkerPool[AbortableConnection] = WorkerPool("cut", 1, AbortableConnection)
        scope = CancelScope()
        conn = p.submit(scope, lambda c: c).result(timeout=5)
        scope.cancel()
        assert "abort" not in conn.events
        p.shutdown(timeout=2)

    def test_shutdown_cuts_running_jobs(self) -> None:
        p: WorkerPool[AbortableConnection] = WorkerPool("cut", 1, AbortableConnection)
        future = p.submit(CancelScope(), lambda conn: conn.block())
        time.sleep(0.1)
        threads = p.threads
        started = time.monotonic()
        p.shutdown(timeout=5)
        assert future.result(timeout=1) == "cut"
        assert not any(t.is_alive() for t in threads)
        assert time.monotonic() - started < 1.0

    def test_closing_the_result_stream_cuts_requests_in_flight(self) -> None:
        p: WorkerPool[AbortableConnection] = WorkerPool("cut", 2, AbortableConnection)
        outcome: list[str] = []
        done = threading.Event()

        entered = threading.Event()

        def stalled(conn: AbortableConnection) -> Result:
            outcome.append(blocked_after(entered, conn))
            done.set()
            return ok(conn, 1)

        results = ResultStream(CancelScope()).run(
            [Job(p, lambda conn: ok(conn, 0)), Job(p, stalled)]
        )
        assert next(results)["value"] == 0
        # under load the second job may not have started yet: closing would drop it
        assert entered.wait(5)
        results.close()
        assert done.wait(1.0) and outcome == ["cut"]
        p.shutdown(timeout=5)


class TestResultStream:
    def test_results_arrive_in_completion_order(self, pool: WorkerPool[FakeConnection]) -> None:
        def sleepy(conn: FakeConnection, value: int, delay: float) -> Result:
            time.sleep(delay)
            return ok(conn, value)

        stream = ResultStream(CancelScope())
        jobs = [Job(pool, sleepy, (1, 0.4)), Job(pool, sleepy, (2, 0.0)),
                Job(pool, sleepy, (3, 0.2))]
        assert [r["value"] for r in stream.run(jobs)] == [2, 3, 1]

    def test_an_exception_becomes_the_jobs_failure_result(
        self, pool: WorkerPool[FakeConnection]
    ) -> None:
        stream = ResultStream(CancelScope())
        results = list(stream.run([Job(pool, fails, (7,), on_error=failed_result(7))]))
        assert len(results) == 1
        assert results[0]["success"] is False
        assert isinstance(results[0]["error"], ValueError)

    def test_an_exception_without_on_error_propagates(
        self, pool: WorkerPool[FakeConnection]
    ) -> None:
        stream = ResultStream(CancelScope())
        with pytest.raises(ValueError, match="job 1 failed"):
            list(stream.run([Job(pool, fails, (1,))]))

    def test_a_job_may_return_several_results_or_none(
        self, pool: WorkerPool[FakeConnection]
    ) -> None:
        stream = ResultStream(CancelScope())
        jobs = [Job(pool, lambda conn: [ok(conn, 1), ok(conn, 2)]), Job(pool, lambda conn: None)]
        assert sorted(r["value"] for r in stream.run(jobs)) == [1, 2]

    def test_emit_yields_early_results(self, pool: WorkerPool[FakeConnection]) -> None:
        stream = ResultStream(CancelScope())

        def with_progress(conn: FakeConnection) -> Result:
            stream.emit({"action": "part", "success": True})
            return ok(conn, 1)

        actions = [r["action"] for r in stream.run([Job(pool, with_progress)])]
        assert sorted(actions) == ["part", "test"]

    def test_fail_fast_cancels_queued_work_after_the_first_failure(self) -> None:
        p: WorkerPool[FakeConnection] = WorkerPool("one", 1, FakeConnection)
        stream = ResultStream(CancelScope(), fail_fast=True)
        ran: list[int] = []

        def run(conn: FakeConnection, value: int) -> Result:
            ran.append(value)
            if value == 0:
                raise ValueError("first fails")
            return ok(conn, value)

        jobs = (Job(p, run, (i,), on_error=failed_result(i)) for i in range(50))
        results = list(stream.run(jobs))
        p.shutdown()
        assert results[0]["success"] is False
        assert len(ran) < 10
        # every job produced is still owed exactly one result
        assert all(isinstance(r["error"], Cancelled) for r in results[1:] if not r["success"])
        assert stream.scope.cancelled

    def test_without_fail_fast_every_job_runs(self, pool: WorkerPool[FakeConnection]) -> None:
        stream = ResultStream(CancelScope())
        jobs = [Job(pool, fails if i == 0 else ok, (i,), on_error=failed_result(i))
                for i in range(20)]
        results = list(stream.run(jobs))
        assert sum(r["success"] for r in results) == 19

    def test_closing_the_generator_early_cancels_the_rest(self) -> None:
        p: WorkerPool[FakeConnection] = WorkerPool("one", 1, FakeConnection)
        ran: list[int] = []

        def run(conn: FakeConnection, value: int) -> Result:
            ran.append(value)
            time.sleep(0.01)
            return ok(conn, value)

        scope = CancelScope()
        results = ResultStream(scope).run(Job(p, run, (i,)) for i in range(1000))
        next(results)
        started = time.monotonic()
        results.close()
        assert scope.cancelled
        time.sleep(0.1)
        count = len(ran)
        time.sleep(0.1)
        assert len(ran) == count < 10
        p.shutdown(timeout=2)
        assert time.monotonic() - started < 1.5

    def test_submission_is_lazy_and_bounded(self) -> None:
        p: WorkerPool[FakeConnection] = WorkerPool("two", 2, FakeConnection)
        produced = 0
        max_ahead = 0
        consumed = 0

        def jobs() -> Iterator[Job]:
            nonlocal produced, max_ahead
            for i in range(300):
                produced += 1
                max_ahead = max(max_ahead, produced - consumed)
                yield Job(p, ok, (i,))

        for _ in ResultStream(CancelScope()).run(jobs()):
            consumed += 1
        p.shutdown()
        assert consumed == 300
        # the pool's backlog (2 x 2) plus one job waiting for a slot, plus
        # results finished but not yet yielded
        assert max_ahead <= 10

    def test_done_and_failed_events_are_published(
        self, pool: WorkerPool[FakeConnection]
    ) -> None:
        events: list[Event] = []
        stream = ResultStream(CancelScope(), events=EventSink([events.append]))
        jobs = [Job(pool, ok, (1,)), Job(pool, fails, (2,), on_error=failed_result(2))]
        list(stream.run(jobs))
        assert sorted(e.kind for e in events) == [
            EventKind.DONE, EventKind.FAILED, EventKind.PLANNED
        ]
        # PLANNED follows the last job taken from the plan, before the results are in
        assert events[0].kind is EventKind.PLANNED

    def test_no_planned_event_when_cancelled_before_the_plan_ends(
        self, pool: WorkerPool[FakeConnection]
    ) -> None:
        events: list[Event] = []
        scope = CancelScope()
        stream = ResultStream(scope, events=EventSink([events.append]))

        def plan() -> Iterator[Job]:  # endless: only a cancellation ends it
            value = 0
            while True:
                value += 1
                yield Job(pool, ok, (value,), on_error=failed_result(value))

        for _ in stream.run(plan()):
            scope.cancel()
        assert EventKind.PLANNED not in {e.kind for e in events}
        assert EventKind.DONE in {e.kind for e in events}
