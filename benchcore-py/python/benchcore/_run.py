"""``benchcore.run`` and friends: start or resume a run, watch it, and read its results."""

from __future__ import annotations

import asyncio
import sys
from typing import Any, Callable, Mapping, Optional, Sequence, Union

from . import _build, _check, _components, _interrupt, _native, _progress, _results
from ._parts import Parts as _Parts
from ._parts import planned as _planned
from ._parts import prepare as _prepare
from ._errors import (
    GateFailedError,
    IncompleteRunError,
    MissingDependencyError,
    RunError,
)
from ._native import RunHandle, Store

__all__ = ["Run", "run", "run_async", "resume", "resume_async", "last_run"]

EventCallback = Callable[[dict[str, Any]], None]

#: How long one wait for events lasts before the display is refreshed.
_POLL_SECONDS = 0.1

_last: Optional["Run"] = None

#: The exit codes of ``benchcore run`` (docs/cli.md#exit-codes); ``1`` is a failed gate
#: (``max_error_rate=``, the CLI's ``--max-error-rate``).
EXIT_OK, EXIT_GATE, EXIT_ERROR, EXIT_INCOMPLETE, EXIT_CANCELLED = 0, 1, 2, 3, 130


class Run:
    """A run in a store: its id, status and results. Everything is read back from the
    store, so a ``Run`` from an earlier session reads the same as a fresh one."""

    def __init__(self, run_id: str, store: Store, parts: Optional[_Parts] = None) -> None:
        self.run_id = run_id
        self.store = store
        self._parts = parts

    @property
    def status(self) -> str:
        """``running``, ``finished``, ``cancelled`` or ``failed``, as stored (see
        docs/cli.md#run-statuses). ``finished`` means every attempt is recorded, errors
        included: :attr:`ok` says whether each has a verdict."""
        return str(self.info()["status"])

    @property
    def errors(self) -> int:
        """Attempts recorded as ``error`` (infrastructure failed: connection, auth, timeout)."""
        return sum(int(a["errors"]) for a in self.summary()["agents"])

    def without_verdict(self) -> dict[str, int]:
        """The attempts with no verdict (``passed``, ``failed`` or ``invalid``): ``errors``,
        ``skipped`` (by a budget) and ``unrecorded`` (never ran)."""
        summary = self.summary()
        agents = summary["agents"]
        recorded = sum(int(a["n"]) for a in agents)
        return {
            "errors": sum(int(a["errors"]) for a in agents),
            "skipped": sum(int(a["skipped"]) for a in agents),
            "unrecorded": max(int(summary["total"]) - recorded, 0),
        }

    @property
    def max_error_rate(self) -> Optional[float]:
        """The error-rate gate the run was started with (``run(..., max_error_rate=)``)."""
        return None if self._parts is None else self._parts.max_error_rate

    def failed_gate(self) -> Optional[str]:
        """What the gate found, as ``benchcore run --max-error-rate`` prints it, when the
        run's error rate (errors / recorded attempts) is above ``max_error_rate``."""
        limit = self.max_error_rate
        rate = self.summary()["error_rate"]
        if limit is None or rate is None or rate <= limit:
            return None
        return (
            f"gate failed: error rate {rate * 100:.2f}% is above max_error_rate "
            f"{limit * 100:.2f}%"
        )

    @property
    def exit_code(self) -> int:
        """What ``benchcore run`` would exit with for this run: ``0`` every attempt has a
        verdict, ``1`` the ``max_error_rate`` gate failed, ``3`` attempts ended as errors,
        were skipped or never ran, ``2`` the run failed, ``130`` it was cancelled."""
        status = self.status
        if status == "cancelled":
            return EXIT_CANCELLED
        if status == "failed":
            return EXIT_ERROR
        if self.failed_gate() is not None:
            return EXIT_GATE
        return EXIT_INCOMPLETE if any(self.without_verdict().values()) else EXIT_OK

    @property
    def ok(self) -> bool:
        """Whether every attempt has a verdict: ``exit_code == 0``. A run whose every
        attempt hit a refused connection is ``finished`` but not ``ok``."""
        return self.exit_code == EXIT_OK

    def raise_for_errors(self) -> "Run":
        """Raises :class:`IncompleteRunError` (a :class:`RunError`) naming the counts and
        the retry when attempts have no verdict; returns the run otherwise, so that
        ``benchcore.run(...).raise_for_errors()`` reads as one step. A failed
        ``max_error_rate`` gate raises :class:`GateFailedError` (a :class:`RunError`) first."""
        gate = self.failed_gate()
        if gate is not None:
            raise GateFailedError(
                f"run {self.run_id}: {gate}",
                run_id=self.run_id,
                gate="max_error_rate",
                rate=self.summary()["error_rate"],
                limit=self.max_error_rate,
            )
        missing = self.without_verdict()
        if not any(missing.values()):
            return self
        counts = ", ".join(f"{n} {what}" for what, n in missing.items() if n)
        raise IncompleteRunError(
            f"{sum(missing.values())} attempts of run {self.run_id} have no verdict "
            f"({counts}); retry them with run.resume(retry_errors=True) or "
            f"benchcore resume {self.run_id} --retry-errors",
            run_id=self.run_id,
            **missing,
        )

    def info(self) -> dict[str, Any]:
        """The stored run: ``id``, ``status``, ``spec``, ``recorded``, ``total`` …"""
        info = self.store.get_run(self.run_id)
        if info is None:
            raise RunError(f"run {self.run_id} is not in the store any more")
        return dict(info)

    def summary(self) -> dict[str, Any]:
        """Per-agent results: ``{"run_id", "total", "pass_rate", "error_rate", "agents":
        [{"agent", "n", "passed", "failed", "invalid", "errors", "skipped", "judged",
        "accuracy", "ci95", "attempt_accuracy", "error_rate", "mean_score", tokens, cost,
        latency percentiles, "retries"}]}``. ``accuracy`` is passed / judged, as the CLI
        shows it; ``attempt_accuracy`` counts errors and skipped attempts as not passed."""
        return _results.with_rates(self.store.summary(self.run_id))

    def kind_summary(self) -> dict[str, Any]:
        """What ``summary.json`` holds for this run, as its kind makes it: ``document``
        (pass@k, pass^k and flaky tasks of a code-task run; the per-agent results of any
        run), ``table`` (``{"header", "rows"}`` of the kind's figures, or ``None``),
        ``notes`` and ``problems``."""
        return dict(self.store.kind_summary(self.run_id))

    def attempts(
        self,
        agent: Optional[str] = None,
        outcome: Optional[str] = None,
        limit: Optional[int] = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """The recorded attempts as dicts (transcript, evaluations, reports, failure, usage,
        timings), ordered by case, agent and sample."""
        return list(self.store.attempts(self.run_id, agent, outcome, limit, offset))

    def to_pandas(self, agent: Optional[str] = None, outcome: Optional[str] = None) -> Any:
        """One row per attempt: keys, outcome, score, reply, tokens, cost, timings, the
        failure, each evaluator's ``score.NAME`` / ``passed.NAME`` and each transcript
        test's ``TITLE.METRIC``. Needs pandas."""
        try:
            import pandas
        except ImportError as err:
            raise MissingDependencyError(
                "Run.to_pandas() needs pandas: pip install pandas", name="pandas"
            ) from err
        rows = [_results.row(a) for a in self.attempts(agent=agent, outcome=outcome)]
        return pandas.DataFrame(rows, columns=_results.columns(rows))

    def resume(
        self,
        *,
        retry_errors: bool = False,
        progress: _progress.ProgressOption = True,
        on_event: Optional[EventCallback] = None,
    ) -> "Run":
        """Continues this run (stopped, cancelled or failed) with the components it was
        started with in this process; attempts already recorded are skipped (and errors
        too, unless ``retry_errors``)."""
        _check.one_of("retry_errors", retry_errors, (True, False))
        _check.progress_and_events(progress, on_event)
        parts = self._require_parts()
        return _execute(
            self.store, parts, {}, self.run_id, retry_errors, progress, on_event
        )

    async def resume_async(
        self,
        *,
        retry_errors: bool = False,
        progress: _progress.ProgressOption = False,
        on_event: Optional[EventCallback] = None,
    ) -> "Run":
        """As :meth:`resume`, awaitable."""
        _check.one_of("retry_errors", retry_errors, (True, False))
        _check.progress_and_events(progress, on_event)
        parts = self._require_parts()
        return await _execute_async(
            self.store, parts, {}, self.run_id, retry_errors, progress, on_event
        )

    def _require_parts(self) -> _Parts:
        # A run started elsewhere resumes from its stored spec (agents given as Python
        # callables must then be passed again: benchcore.resume(run_id, agents=..., store=...)).
        if self._parts is None:
            return _Parts(suite=None, agents=[])
        return self._parts

    def __repr__(self) -> str:
        return f"Run(run_id={self.run_id!r}, store={self.store.url!r})"

    def _repr_html_(self) -> str:
        return _results.html(self.run_id, self.status, self.summary())


def _start(
    store: Store,
    parts: _Parts,
    settings: Mapping[str, Any],
    resume_id: Optional[str],
    retry_errors: bool,
    keep_events: bool,
) -> RunHandle:
    return _native.start(
        store,
        parts.suite,
        parts.agents,
        parts.evaluators,
        parts.transcript_tests,
        {**parts.loop, **settings},
        resume_id,
        retry_errors,
        keep_events,
        parts.tools,
    )


def _finish(handle: RunHandle, store: Store, parts: _Parts) -> Run:
    global _last
    report = handle.result()
    finished = Run(str(report["run_id"]), store, parts)
    _last = finished
    return finished


def _interrupted(handle: RunHandle, store: Store, parts: _Parts, error: BaseException) -> None:
    """Cancels the run after an interrupt (or a failing callback) and leaves it resumable."""
    global _last
    handle.cancel()
    try:
        handle.wait()
    finally:
        _last = Run(handle.run_id, store, parts)
    if isinstance(error, (KeyboardInterrupt, asyncio.CancelledError)):
        print(
            f"benchcore: run {handle.run_id} cancelled; resume it with "
            "benchcore.last_run().resume()",
            file=sys.stderr,
            flush=True,
        )


def _watch(
    handle: RunHandle, display: Any, on_event: Optional[EventCallback]
) -> None:
    while True:
        events = handle.poll(_POLL_SECONDS)
        if on_event is not None:
            for event in events:
                on_event(event)
        display.update(handle.progress())
        if handle.finished:
            if on_event is not None:
                for event in handle.poll(0):
                    on_event(event)
            return


def _execute(
    store: Store,
    parts: _Parts,
    settings: Mapping[str, Any],
    resume_id: Optional[str],
    retry_errors: bool,
    progress: _progress.ProgressOption,
    on_event: Optional[EventCallback],
) -> Run:
    with _interrupt.DeferredInterrupt() as held:
        handle = _start(store, parts, settings, resume_id, retry_errors, on_event is not None)
    display = _progress.for_run(progress, handle.run_id, store)
    try:
        held.raise_if_pending()
        _watch(handle, display, on_event)
    except BaseException as error:
        try:
            _interrupted(handle, store, parts, error)
        finally:
            display.close(handle.progress(), "cancelled")
        raise
    display.close(handle.progress(), _status(handle))
    return _finish(handle, store, parts)


def _status(handle: RunHandle) -> str:
    try:
        return str(handle.result()["status"])
    except Exception:
        return "failed"


async def _execute_async(
    store: Store,
    parts: _Parts,
    settings: Mapping[str, Any],
    resume_id: Optional[str],
    retry_errors: bool,
    progress: _progress.ProgressOption,
    on_event: Optional[EventCallback],
) -> Run:
    loop = asyncio.get_running_loop()
    starting = loop.run_in_executor(
        None,
        _start,
        store,
        parts,
        settings,
        resume_id,
        retry_errors,
        on_event is not None,
    )
    try:
        handle = await asyncio.shield(starting)
    except asyncio.CancelledError as error:
        # The start goes on in its thread: wait for its handle so the run is cancelled, not lost.
        handle = await starting
        handle.cancel()
        await loop.run_in_executor(None, handle.wait)
        _interrupted(handle, store, parts, error)
        raise
    display = _progress.for_run(progress, handle.run_id, store)
    try:
        while True:
            events = await loop.run_in_executor(None, handle.poll, _POLL_SECONDS)
            if on_event is not None:
                for event in events:
                    on_event(event)
            display.update(handle.progress())
            if handle.finished:
                if on_event is not None:
                    for event in handle.poll(0):
                        on_event(event)
                break
    except BaseException as error:
        try:
            handle.cancel()
            await loop.run_in_executor(None, handle.wait)
            _interrupted(handle, store, parts, error)
        finally:
            display.close(handle.progress(), "cancelled")
        raise
    display.close(handle.progress(), _status(handle))
    return _finish(handle, store, parts)


def run(
    suite: _build.SuiteLike,
    agents: Union[_build.AgentLike, Sequence[_build.AgentLike]],
    *,
    evaluators: Any = None,
    transcript_tests: Any = None,
    tools: Any = None,
    max_steps: Optional[int] = None,
    tool_timeout: Optional[float] = None,
    store: _build.StoreLike = None,
    samples: Optional[int] = None,
    concurrency: Optional[int] = None,
    timeout: Optional[float] = None,
    retry: Optional[Mapping[str, Any]] = None,
    temperature: Optional[float] = None,
    max_tokens: Optional[int] = None,
    seed: Optional[int] = None,
    name: Optional[str] = None,
    artifacts_dir: Optional[str] = None,
    max_cost_usd: Optional[float] = None,
    max_run_time: Optional[float] = None,
    tags: Optional[Mapping[str, Any]] = None,
    extract: Optional[str] = None,
    batch: bool = False,
    batch_poll: Optional[float] = None,
    batch_fallback: bool = False,
    max_error_rate: Optional[float] = None,
    progress: _progress.ProgressOption = True,
    on_event: Optional[EventCallback] = None,
) -> Run:
    """Runs every case of ``suite`` against every agent (``samples`` times each) and returns
    the :class:`Run` once every attempt is recorded.

    The engine runs on its own threads with the GIL released; Python agents, evaluators and
    transcript tests take it only while they run. Ctrl-C (a notebook's stop button) cancels
    the run cleanly, leaves it ``cancelled`` and resumable (``benchcore.last_run().resume()``),
    and raises ``KeyboardInterrupt``.

    ``store`` is a :class:`Store` or a URL (``sqlite://bench.db``, ``postgres://…``); runs
    are kept in memory when it is ``None``. ``timeout`` and ``max_run_time`` are in seconds;
    ``retry`` takes the keys of the retry policy (``max_retries``, ``initial_backoff_ms`` …).
    ``progress`` shows a bar (``True``; tqdm if installed, else lines), ``"lines"``, or
    nothing (``False``); ``on_event(event)`` is called with every event as a dict.
    ``extract`` takes the answer out of each reply before the evaluators see it
    (``"after:####"``, ``"boxed"``, ``"last_number"``, ``"regex:P"``, ``"json:PATH"``,
    ``"choice"``; the CLI's ``--extract``): each evaluation's ``details`` then hold
    ``extracted``, and a reply with nothing to extract is ``invalid``.
    ``max_error_rate`` (0–1) is the CLI's ``--max-error-rate`` gate: above it, the run's
    ``exit_code`` is 1 and ``raise_for_errors()`` raises :class:`GateFailedError`.
    ``tools`` (functions, or :func:`benchcore.tool` s) makes each attempt an agent loop: the
    agent is offered the tools, its calls run and their results go back, until it answers
    without a call or ``max_steps`` replies (default 10); ``tool_timeout`` (seconds) bounds
    each call. Every step is recorded with the attempt (docs/tools.md).
    ``batch=True`` sends a question set's attempts through each agent's batch API (OpenAI,
    Anthropic: half the price, answered within 24 hours) instead of one request each, checking
    pending batches every ``batch_poll`` seconds (default 30); ``batch_fallback=True`` sends
    the items a batch did not answer again as ordinary requests. An agent without a batch API
    is refused before anything is sent; ``resume`` waits for the batches a stopped run sent
    (docs/batch.md).
    """
    store_, parts, engine_settings = _planned(locals())
    return _execute(store_, parts, engine_settings, None, False, progress, on_event)


async def run_async(
    suite: _build.SuiteLike,
    agents: Union[_build.AgentLike, Sequence[_build.AgentLike]],
    *,
    evaluators: Any = None,
    transcript_tests: Any = None,
    tools: Any = None,
    max_steps: Optional[int] = None,
    tool_timeout: Optional[float] = None,
    store: _build.StoreLike = None,
    samples: Optional[int] = None,
    concurrency: Optional[int] = None,
    timeout: Optional[float] = None,
    retry: Optional[Mapping[str, Any]] = None,
    temperature: Optional[float] = None,
    max_tokens: Optional[int] = None,
    seed: Optional[int] = None,
    name: Optional[str] = None,
    artifacts_dir: Optional[str] = None,
    max_cost_usd: Optional[float] = None,
    max_run_time: Optional[float] = None,
    tags: Optional[Mapping[str, Any]] = None,
    extract: Optional[str] = None,
    batch: bool = False,
    batch_poll: Optional[float] = None,
    batch_fallback: bool = False,
    max_error_rate: Optional[float] = None,
    progress: _progress.ProgressOption = False,
    on_event: Optional[EventCallback] = None,
) -> Run:
    """As :func:`run`, awaitable: the event loop keeps running while the engine works, and
    cancelling the awaiting task cancels the run (resumable)."""
    store_, parts, engine_settings = _planned(locals())
    return await _execute_async(store_, parts, engine_settings, None, False, progress, on_event)


def resume(
    run_id: str,
    suite: Optional[_build.SuiteLike] = None,
    agents: Union[None, _build.AgentLike, Sequence[_build.AgentLike]] = None,
    *,
    store: _build.StoreLike,
    evaluators: Any = None,
    transcript_tests: Any = None,
    tools: Any = None,
    max_steps: Optional[int] = None,
    tool_timeout: Optional[float] = None,
    retry_errors: bool = False,
    force: bool = False,
    progress: _progress.ProgressOption = True,
    on_event: Optional[EventCallback] = None,
) -> Run:
    """Continues a stored run; attempts already recorded are skipped and its stored settings
    apply. Without ``suite``, the run is rebuilt from its stored spec (its suite reopened from
    its path, its agents and evaluators from their configs); pass ``agents`` (and
    ``evaluators``) that were Python callables again.

    The evaluators and transcript tests must be those the run started with (built-ins by
    config, callables by name and source digest), and the suite's content unchanged: a
    difference raises :class:`RunError` naming it. ``force=True`` resumes anyway with the
    evaluators and transcript tests given (not a changed suite), saying so on stderr."""
    _check.text("run_id", run_id)
    _check.one_of("retry_errors", retry_errors, (True, False))
    _check.one_of("force", force, (True, False))
    _check.progress_and_events(progress, on_event)
    _check.integer("max_steps", max_steps, 1)
    _check.number("tool_timeout", tool_timeout, positive=True)
    store_, parts = _prepare(suite, agents, evaluators, transcript_tests, store, tools)
    parts.loop = _check.settings(max_steps=max_steps, tool_timeout=tool_timeout)
    stored = store_.get_run(run_id)
    parts.evaluators = _components.checked_for_resume(
        store_, None if stored is None else stored["spec"], run_id, parts.evaluators,
        evaluators is not None, parts.transcript_tests, force, parts.tools,
    )
    return _execute(store_, parts, {}, run_id, retry_errors, progress, on_event)


async def resume_async(
    run_id: str,
    suite: Optional[_build.SuiteLike] = None,
    agents: Union[None, _build.AgentLike, Sequence[_build.AgentLike]] = None,
    *,
    store: _build.StoreLike,
    evaluators: Any = None,
    transcript_tests: Any = None,
    tools: Any = None,
    max_steps: Optional[int] = None,
    tool_timeout: Optional[float] = None,
    retry_errors: bool = False,
    force: bool = False,
    progress: _progress.ProgressOption = False,
    on_event: Optional[EventCallback] = None,
) -> Run:
    """As :func:`resume`, awaitable."""
    _check.text("run_id", run_id)
    _check.one_of("retry_errors", retry_errors, (True, False))
    _check.one_of("force", force, (True, False))
    _check.progress_and_events(progress, on_event)
    _check.integer("max_steps", max_steps, 1)
    _check.number("tool_timeout", tool_timeout, positive=True)
    store_, parts = _prepare(suite, agents, evaluators, transcript_tests, store, tools)
    parts.loop = _check.settings(max_steps=max_steps, tool_timeout=tool_timeout)
    stored = store_.get_run(run_id)
    parts.evaluators = _components.checked_for_resume(
        store_, None if stored is None else stored["spec"], run_id, parts.evaluators,
        evaluators is not None, parts.transcript_tests, force, parts.tools,
    )
    return await _execute_async(store_, parts, {}, run_id, retry_errors, progress, on_event)


def last_run() -> Optional[Run]:
    """The run most recently finished or interrupted in this process (to resume one that
    Ctrl-C stopped)."""
    return _last
