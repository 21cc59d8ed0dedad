"""Type stubs of the native extension module ``benchcore._native``."""

from collections.abc import Awaitable, Callable, Mapping, Sequence
from os import PathLike
from typing import Any, Optional, Union, final

__all__ = [
    "Agent",
    "Evaluator",
    "RunHandle",
    "Store",
    "Suite",
    "Tool",
    "TranscriptTest",
    "__version__",
    "begin_exit",
    "flush_traces",
    "install_tracing",
    "start",
    "wait_for_calls",
]

__version__: str

_Json = Any

@final
class Suite:
    """A suite of cases, ready to run."""

    @staticmethod
    def question_set(path: Union[str, PathLike[str]]) -> Suite: ...
    @staticmethod
    def dataset(
        path: Union[str, PathLike[str]], options: dict[str, Any], preset: Optional[str] = None
    ) -> Suite: ...
    @staticmethod
    def from_cases(name: str, cases: Sequence[Mapping[str, Any]]) -> Suite: ...
    @staticmethod
    def open(path: Union[str, PathLike[str]]) -> Suite: ...
    @staticmethod
    def conversations(
        path: Union[str, PathLike[str]], simulated_user: Optional[Agent] = None
    ) -> Suite: ...
    @staticmethod
    def code_tasks(
        path: Union[str, PathLike[str]],
        include_tests: bool = False,
        answer_format: Optional[str] = None,
        mode: Optional[str] = None,
        max_steps: Optional[int] = None,
    ) -> Suite: ...
    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def path(self) -> Optional[str]: ...
    def __len__(self) -> int: ...
    def cases(self, limit: Optional[int] = None) -> list[dict[str, Any]]: ...

@final
class Agent:
    """An agent: built from a config, a spec string or a Python callable."""

    @staticmethod
    def from_config(config: Mapping[str, Any]) -> Agent: ...
    @staticmethod
    def from_spec(spec: str) -> Agent: ...
    @staticmethod
    def from_file(path: Union[str, PathLike[str]]) -> list[Agent]: ...
    @staticmethod
    def from_callable(
        func: Callable[..., Any], name: str, with_context: bool = False
    ) -> Agent: ...
    def with_limits(self, limits: Mapping[str, Any]) -> Agent: ...
    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def config(self) -> Optional[dict[str, Any]]: ...
    @property
    def limits(self) -> dict[str, Any]: ...
    def ask(
        self,
        question: Union[str, Sequence[Mapping[str, str]]],
        timeout: float = 120.0,
        target: Any = None,
    ) -> dict[str, Any]: ...
    def ask_async(
        self,
        question: Union[str, Sequence[Mapping[str, str]]],
        timeout: float = 120.0,
        target: Any = None,
    ) -> Awaitable[dict[str, Any]]: ...

@final
class Evaluator:
    """An evaluator: built-in by spec or config (the judge included), or a Python callable."""

    @staticmethod
    def from_spec(spec: str) -> Evaluator: ...
    @staticmethod
    def from_config(config: Mapping[str, Any]) -> Evaluator: ...
    @staticmethod
    def from_callable(
        func: Callable[..., Any], name: str, pass_threshold: float = 0.5
    ) -> Evaluator: ...
    @property
    def name(self) -> str: ...
    @property
    def config(self) -> Optional[dict[str, Any]]: ...
    @property
    def func(self) -> Optional[Callable[..., Any]]: ...
    @property
    def pass_threshold(self) -> Optional[float]: ...
    def evaluate(self, case: Mapping[str, Any], reply: str) -> dict[str, Any]: ...

@final
class Tool:
    """A tool the agent under test may call during an agent loop."""

    def __new__(
        cls,
        name: str,
        description: str,
        parameters: Mapping[str, Any],
        invoke: Callable[[dict[str, Any]], Any],
        func: Optional[Callable[..., Any]] = None,
    ) -> Tool: ...
    @property
    def name(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def parameters(self) -> dict[str, Any]: ...
    @property
    def func(self) -> Optional[Callable[..., Any]]: ...

@final
class TranscriptTest:
    """A transcript test: built-in by name, or a Python callable."""

    @staticmethod
    def builtin(name: str, config: Optional[Mapping[str, Any]] = None) -> TranscriptTest: ...
    @staticmethod
    def from_callable(func: Callable[[str], Any], name: str) -> TranscriptTest: ...
    @property
    def name(self) -> str: ...
    @property
    def config(self) -> Optional[dict[str, Any]]: ...
    @property
    def func(self) -> Optional[Callable[..., Any]]: ...
    def run(self, transcript: str) -> dict[str, Any]: ...

@final
class Store:
    """A run store in one workspace."""

    @staticmethod
    def open(url: str, workspace: str = "default") -> Store: ...
    @staticmethod
    def memory(workspace: str = "default") -> Store: ...
    @property
    def url(self) -> str: ...
    @property
    def created(self) -> bool: ...
    @property
    def workspace(self) -> str: ...
    def list_runs(
        self,
        suite: Optional[str] = None,
        agent: Optional[str] = None,
        status: Optional[str] = None,
        limit: Optional[int] = None,
    ) -> list[dict[str, Any]]: ...
    def get_run(self, run_id: str) -> Optional[dict[str, Any]]: ...
    def set_run_tags(self, run_id: str, tags: dict[str, Any]) -> None: ...
    def summary(self, run_id: str) -> dict[str, Any]: ...
    def kind_summary(self, run_id: str) -> dict[str, Any]: ...
    def attempts(
        self,
        run_id: str,
        agent: Optional[str] = None,
        outcome: Optional[str] = None,
        limit: Optional[int] = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]: ...
    def leaderboard(self, suite: Optional[str] = None) -> list[dict[str, Any]]: ...

@final
class RunHandle:
    """A run going on in the background."""

    @property
    def run_id(self) -> str: ...
    @property
    def finished(self) -> bool: ...
    def progress(self) -> dict[str, int]: ...
    def poll(self, timeout: float) -> list[dict[str, Any]]: ...
    def wait(self, timeout: Optional[float] = None) -> bool: ...
    def cancel(self) -> None: ...
    def result(self) -> dict[str, Any]: ...

def start(
    store: Store,
    suite: Optional[Suite],
    agents: Sequence[Agent],
    evaluators: Sequence[Evaluator],
    transcript_tests: Sequence[TranscriptTest],
    settings: Mapping[str, Any],
    resume: Optional[str] = None,
    retry_errors: bool = False,
    keep_events: bool = False,
    tools: Sequence[Tool] = ...,
) -> RunHandle: ...

def install_tracing(
    level: str = "info",
    *,
    filter: Optional[str] = None,
    otlp_endpoint: Optional[str] = None,
    service_name: Optional[str] = None,
    stderr: bool = True,
) -> bool: ...
def flush_traces() -> None: ...
def begin_exit() -> list[int]: ...
def wait_for_calls(timeout: float) -> int: ...
