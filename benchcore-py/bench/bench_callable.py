"""Attempts per second from Python: a Python callable agent that answers at once, against the
same run with the built-in Rust `gold` agent. 5,000 cases, the memory store and a SQLite file,
exact-match scoring, no progress display.

    python benchcore-py/bench/bench_callable.py [--cases 5000] [--repeat 3]

Prints a Markdown table (the median of the repeats) for docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import tempfile
import time
from typing import Any, Callable

import benchcore


def instant(messages: list[dict[str, str]]) -> str:
    return messages[-1]["content"]


async def instant_async(messages: list[dict[str, str]]) -> str:
    return messages[-1]["content"]


def timed(run: Callable[[], benchcore.Run], expected: int) -> float:
    started = time.perf_counter()
    result = run()
    elapsed = time.perf_counter() - started
    agents = result.summary()["agents"]
    passed = sum(a["passed"] for a in agents)
    assert passed == expected, f"{passed} passed of {expected}"
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    n = args.cases
    suite = benchcore.from_cases(
        [{"id": f"c{i:05}", "input": f"echo {i}", "target": f"echo {i}"} for i in range(n)]
    )
    tmp = tempfile.mkdtemp()
    agents: list[tuple[str, Any]] = [
        ("Rust `gold` agent", "gold"),
        ("Python callable (`def`)", instant),
        ("Python callable (`async def`)", instant_async),
    ]
    rows = []
    for store_name in ("memory", "sqlite"):
        for label, agent in agents:
            times = []
            for i in range(args.repeat):
                if store_name == "memory":
                    store = benchcore.memory_store()
                else:
                    store = benchcore.open_store(f"sqlite://{os.path.join(tmp, f'{i}-{len(rows)}.db')}")
                times.append(
                    timed(
                        lambda: benchcore.run(
                            suite, agent, store=store, concurrency=args.concurrency, progress=False
                        ),
                        n,
                    )
                )
            median = statistics.median(times)
            rows.append((label, store_name, median, n / median))
    # And the awaitable form, from a running event loop.
    times = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        asyncio.run(benchcore.run_async(suite, instant, concurrency=args.concurrency))
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    rows.append(("Python callable (`def`), `await run_async`", "memory", median, n / median))

    print(
        f"{n} cases, concurrency {args.concurrency}, median of {args.repeat}; "
        f"CPython {platform.python_version()}, {os.cpu_count()} cores\n"
    )
    print("| agent | store | wall time | attempts/s |")
    print("| --- | --- | ---: | ---: |")
    for label, store_name, seconds, rate in rows:
        print(f"| {label} | {store_name} | {seconds:.2f} s | {rate:,.0f} |")


if __name__ == "__main__":
    main()
