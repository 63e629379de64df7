"""Fixtures for the fault-injection tests: fast retry delays, fault proxies that close themselves, profiles that
reach the real servers and emulators through a proxy, and a session summary of the faults injected per path
(printed at the end of the run and written to <pytest basetemp>/faults-summary.json)."""
from __future__ import annotations

import json
from collections import defaultdict

import pytest

from pulumi_objectcopy import http, jobs, profiles

from ..fault_proxy import TALLY, FaultProxy

# The retry policy's shape, with small delays: 5 tries, full jitter of at most 10 ms, 20 ms, 40 ms, 50 ms, and a
# Retry-After honoured up to 5 s. Production keeps RetryPolicy()'s defaults.
FAST_RETRIES = http.RetryPolicy(max_attempts=5, base=0.01, cap=0.05, max_retry_after=5.0)
FAST_POLLS = jobs.Backoff(first=0.01, cap=0.05, jitter=0)  # the emulators advance per poll, not per second


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    monkeypatch.setattr(http.transport(), "policy", FAST_RETRIES)
    # The OCI store's waiter polls with the default backoff (first poll after 0.5 s): poll faster here.
    monkeypatch.setitem(jobs.wait.__kwdefaults__, "backoff", FAST_POLLS)
    return FAST_RETRIES


@pytest.fixture
def proxies():
    """proxies(upstream, label) -> a FaultProxy closed at the end of the test."""
    made: list[FaultProxy] = []

    def make(upstream: str, label: str) -> FaultProxy:
        proxy = FaultProxy(upstream, label=label)
        made.append(proxy)
        return proxy

    yield make
    for proxy in made:
        proxy.close()


@pytest.fixture
def stack_profiles():
    """stack_profiles({name: settings}) sets profiles as stack config (objectcopy:profiles); cleared afterwards."""
    def use(defined: dict) -> None:
        profiles.set_stack_config({"objectcopy:profiles": json.dumps(defined)})

    yield use
    profiles.set_stack_config({})


def summary() -> dict:
    per_path: dict = defaultdict(lambda: {"total": 0})
    for (label, kind), n in sorted(TALLY.items()):
        per_path[label][kind] = n
        if kind != "callback":
            per_path[label]["total"] += n
    return dict(per_path)


_written: list = []


@pytest.fixture(scope="session", autouse=True)
def fault_summary(tmp_path_factory):
    yield
    if TALLY:
        path = tmp_path_factory.getbasetemp() / "faults-summary.json"
        path.write_text(json.dumps(summary(), indent=2, sort_keys=True))
        _written.append(path)


def pytest_terminal_summary(terminalreporter):
    if not TALLY:
        return
    terminalreporter.section("faults injected per path (callbacks listed, not counted)")
    for label, kinds in summary().items():
        detail = ", ".join(f"{k} {n}" for k, n in kinds.items() if k != "total")
        terminalreporter.write_line(f"{label:<24} {kinds['total']:>4}   ({detail})")
    for path in _written:
        terminalreporter.write_line(f"written to {path}")
