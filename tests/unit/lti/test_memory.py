"""lti.memory: the reference semantics of the registration and launch-state stores."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from lti.memory import TAKEN_RETENTION, MemoryLaunchStateStore, MemoryRegistrationStore
from lti.registration import LoginRecord
from tests.support.clock import FakeClock
from tests.support.platform import TestPlatform


def record(clock: FakeClock, state: str = "s1", ttl: int = 600) -> LoginRecord:
    return LoginRecord(
        state=state,
        nonce=f"nonce-{state}",
        issuer="https://lms.example",
        client_id="c",
        target_link_uri="https://tool.example.org/launch",
        created_at=clock(),
        expires_at=clock() + timedelta(seconds=ttl),
    )


# ---------------------------------------------------------------- registrations


def test_registrations_are_found_by_issuer_and_client_id() -> None:
    a = TestPlatform("canvas", client_id="1").registration()
    b = TestPlatform("canvas", client_id="2").registration()
    store = MemoryRegistrationStore([a, b])

    assert store.find_registration(a.issuer, "1") == a
    assert store.find_registration(a.issuer, "2") == b
    assert store.find_registration(a.issuer, "3") is None
    assert store.find_registration("https://other", "1") is None


def test_without_client_id_only_a_sole_registration_is_found() -> None:
    a = TestPlatform("canvas", client_id="1").registration()
    b = TestPlatform("canvas", client_id="2").registration()
    store = MemoryRegistrationStore([a])
    assert store.find_registration(a.issuer, None) == a
    store.add(b)
    assert store.find_registration(a.issuer, None) is None
    assert store.find_registration("https://nobody", None) is None


def test_a_new_deployment_is_recorded() -> None:
    platform = TestPlatform("canvas")
    store = MemoryRegistrationStore([platform.registration(deployment_ids=[])])

    updated = store.add_deployment(platform.issuer, platform.client_id, "7:abc")

    assert updated.deployment_ids == frozenset({"7:abc"})
    assert store.find_registration(platform.issuer, platform.client_id) == updated


# ---------------------------------------------------------------- launch states


def test_a_login_is_taken_once(clock: FakeClock) -> None:
    store = MemoryLaunchStateStore()
    saved = record(clock)
    store.save_login(saved)

    assert not store.was_taken("s1")
    assert store.take_login("s1", clock()) == saved
    assert store.take_login("s1", clock()) is None
    assert store.was_taken("s1")


def test_an_unknown_state_is_neither_found_nor_taken(clock: FakeClock) -> None:
    store = MemoryLaunchStateStore()
    assert store.take_login("nope", clock()) is None
    assert not store.was_taken("nope")


def test_an_expired_login_is_gone_but_not_taken(clock: FakeClock) -> None:
    store = MemoryLaunchStateStore()
    store.save_login(record(clock, ttl=60))
    clock.advance(60)
    assert store.take_login("s1", clock()) is None
    assert not store.was_taken("s1")


def test_taken_states_are_remembered_past_the_token_lifetime(clock: FakeClock) -> None:
    store = MemoryLaunchStateStore()
    store.save_login(record(clock, ttl=600))
    store.take_login("s1", clock())
    clock.advance(600 + 3600)
    store.save_login(record(clock, state="s2"))
    assert store.was_taken("s1")
    clock.advance(TAKEN_RETENTION.total_seconds())
    store.save_login(record(clock, state="s3"))
    assert not store.was_taken("s1")


@pytest.mark.parametrize("workers", [8])
def test_concurrent_takes_return_the_login_once(clock: FakeClock, workers: int) -> None:
    store = MemoryLaunchStateStore()
    store.save_login(record(clock))
    barrier = threading.Barrier(workers)
    results: list[object] = []

    def take() -> None:
        barrier.wait()
        results.append(store.take_login("s1", clock()))

    threads = [threading.Thread(target=take) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r is not None for r in results) == 1
