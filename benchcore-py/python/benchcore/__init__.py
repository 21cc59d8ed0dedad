"""benchcore: a fast, resumable engine for benchmarking AI agents, from Python.

>>> import benchcore
>>> suite = benchcore.from_cases([{"id": "q1", "input": "2+3?", "target": "5"}])
>>> run = benchcore.run(suite, "gold", evaluators="numeric")  # doctest: +SKIP
>>> run.summary()  # doctest: +SKIP

Suites (question sets, conversations, code tasks), agents (every provider, or a Python
callable), evaluators and transcript tests (built-in, or Python callables), stores (SQLite,
PostgreSQL, memory) and runs. See ``docs/python.md``.
"""

from __future__ import annotations

from ._native import (
    Agent,
    Evaluator,
    RunHandle,
    Store,
    Suite,
    Tool,
    TranscriptTest,
    __version__,
)
from ._errors import (
    BenchcoreError,
    ConfigError,
    EvalError,
    GateFailedError,
    IncompleteRunError,
    MissingDependencyError,
    ProviderError,
    RateLimitedError,
    RunError,
    RunNotFoundError,
    StoreError,
    SuiteError,
    SuiteNotFoundError,
)
from ._build import (
    agent,
    agents_from_file,
    code_tasks,
    conversations,
    dataset,
    evaluator,
    from_cases,
    judge,
    load,
    memory_store,
    open_store,
    question_set,
    transcript_test,
)
from . import _exit  # noqa: F401  (registers the exit hook)
from ._run import Run, last_run, resume, resume_async, run, run_async
from ._tracing import flush_traces, tracing
from ._tools import tool

__all__ = [
    "__version__",
    # suites
    "Suite",
    "question_set",
    "dataset",
    "from_cases",
    "conversations",
    "code_tasks",
    "load",
    # agents, evaluators, transcript tests
    "Agent",
    "agent",
    "agents_from_file",
    "Evaluator",
    "evaluator",
    "judge",
    "TranscriptTest",
    "transcript_test",
    "Tool",
    "tool",
    # stores
    "Store",
    "open_store",
    "memory_store",
    # runs
    "Run",
    "RunHandle",
    "run",
    "run_async",
    "resume",
    "resume_async",
    "last_run",
    # traces
    "tracing",
    "flush_traces",
    # errors
    "BenchcoreError",
    "ConfigError",
    "SuiteError",
    "SuiteNotFoundError",
    "StoreError",
    "RunNotFoundError",
    "ProviderError",
    "RateLimitedError",
    "EvalError",
    "RunError",
    "IncompleteRunError",
    "GateFailedError",
    "MissingDependencyError",
]
