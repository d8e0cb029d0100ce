"""Run a submission's code in a bubblewrap sandbox and talk to it.

The sandbox (Debian's ``bubblewrap``) gives the student's process

- a read-only view of the system, the Python installation, the course's virtual environment and
  ``recsys_helpers`` -- nothing else of the course: no ``solutions/``, no other submission, no
  gradebook, no home directory;
- a private, size-capped scratch space (``/tmp``) as the only writable place;
- no network, its own process tree (every process it starts dies with it), an unprivileged user;
- caps on memory, CPU time and file size (``prlimit``), and wall-clock limits per cell and per
  test enforced from outside by killing the whole sandbox.

:class:`StudentProcess` runs the submission's cells in order, restarting the sandbox and replaying
the cells that worked when one cell hangs or kills the process, so a runaway cell costs only
itself. Answers come back as plain data (:mod:`grading.protocol`).
"""

from __future__ import annotations

import builtins
import functools
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from grading.protocol import ProtocolError, RefMarker, decode, read_plain, send_command

GRADING_DIR = Path(__file__).resolve().parent
UNSANDBOXED_ENV = "GRADING_ALLOW_UNSANDBOXED"
SETUP_HINT = (
    "Install bubblewrap once on the grading machine (Debian/Ubuntu: `sudo apt-get install bubblewrap`; "
    "see the README's 'For instructors'). Only for a trusted test run, set "
    f"{UNSANDBOXED_ENV}=1 to grade without isolation."
)


@dataclass(frozen=True)
class Limits:
    """Resource caps of one student process."""

    memory_bytes: int = 6 * 2**30  # address space; enough for torch + TensorFlow, not for 8 GiB arrays
    cpu_seconds: int = 600
    file_bytes: int = 64 * 2**20
    scratch_bytes: int = 256 * 2**20
    cell_seconds: float = 120.0  # one cell of the submission
    test_seconds: float = 60.0  # all the calls one test cell makes
    cells_seconds: float = 600.0  # all the submission's cells together

    @classmethod
    def from_env(cls) -> "Limits":
        """Defaults, with GRADING_CELL_SECONDS / GRADING_TEST_SECONDS overriding the time limits."""
        return cls(
            cell_seconds=float(os.environ.get("GRADING_CELL_SECONDS", cls.cell_seconds)),
            test_seconds=float(os.environ.get("GRADING_TEST_SECONDS", cls.test_seconds)),
        )


class SandboxFailure(BaseException):
    """The student's process timed out, ran out of a resource or ended.

    A ``BaseException`` so that a test's ``except Exception`` cannot swallow it.
    """


class SandboxUnavailable(RuntimeError):
    """No working sandbox on this machine, and unsandboxed grading was not asked for."""


@functools.lru_cache(maxsize=1)
def sandbox_mode() -> str:
    """``"bwrap"`` when bubblewrap works here, ``"unsandboxed"`` when explicitly allowed.

    Raises :class:`SandboxUnavailable` otherwise, naming the one-time setup step.
    """
    problem = None
    if shutil.which("bwrap") is None:
        problem = "bubblewrap (bwrap) is not installed"
    else:
        trial = subprocess.run(_bwrap_argv(Limits(), ["/bin/true"]), capture_output=True, text=True)
        if trial.returncode:
            problem = f"bubblewrap does not work here: {trial.stderr.strip()}"
    if problem is None:
        return "bwrap"
    if os.environ.get(UNSANDBOXED_ENV) == "1":
        warnings.warn(
            f"GRADING WITHOUT A SANDBOX ({problem}): student code can read and write everything "
            "this user can. Use this only to test the course, never for a class.",
            RuntimeWarning,
            stacklevel=2,
        )
        print(f"\n*** WARNING: grading without a sandbox -- {problem} ***\n", file=sys.stderr)
        return "unsandboxed"
    raise SandboxUnavailable(f"{problem}. {SETUP_HINT}")


def _helpers_dir() -> str:
    """Where ``recsys_helpers`` is imported from (the course's editable install, or a copy)."""
    spec = importlib.util.find_spec("recsys_helpers")
    if spec is None or not spec.submodule_search_locations:
        raise SandboxUnavailable("recsys_helpers is not installed in this environment: run `make install`")
    return os.path.realpath(list(spec.submodule_search_locations)[0])


def _read_only_roots() -> list[str]:
    roots = ["/usr", "/lib", "/lib64", "/bin", "/sbin", "/etc"]
    roots += [os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix)]
    roots.append(_helpers_dir())
    unique = []
    for root in roots:
        if os.path.exists(root) and root not in unique:
            unique.append(root)
    return unique


def _environment() -> dict[str, str]:
    return {
        "HOME": "/tmp",
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "TF_NUM_INTRAOP_THREADS": "1",
        "TF_NUM_INTEROP_THREADS": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "GRADING_LOG": "/tmp/output.log",
    }


def _prlimit_argv(limits: Limits) -> list[str]:
    return [
        "prlimit",
        f"--as={limits.memory_bytes}",
        f"--cpu={limits.cpu_seconds}",
        f"--fsize={limits.file_bytes}",
        "--core=0",
        "--",
    ]


def _bwrap_argv(limits: Limits, command: list[str], *, info_fd: int | None = None) -> list[str]:
    argv = [
        *_prlimit_argv(limits),
        "bwrap",
        "--unshare-all",  # network, pid, ipc, uts, cgroup namespaces
        "--unshare-user",
        "--uid", "65534",
        "--gid", "65534",
        "--die-with-parent",
        "--new-session",
        "--clearenv",
        "--proc", "/proc",
        "--dev", "/dev",
        "--size", str(limits.scratch_bytes),
        "--tmpfs", "/tmp",
        "--chdir", "/tmp",
    ]
    if info_fd is not None:
        argv += ["--info-fd", str(info_fd)]
    for root in _read_only_roots():
        argv += ["--ro-bind", root, root]
    argv += ["--ro-bind", str(GRADING_DIR), "/opt/grading"]
    for key, value in _environment().items():
        argv += ["--setenv", key, value]
    return argv + ["--", *command]


def _alive(pid: int) -> bool:
    """True while ``pid`` runs. A zombie has exited (a namespace's init becomes one only after every
    process of its namespace is gone) and waits for the system's init to reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


class _StudentRaised:
    """Marker base of exceptions rebuilt from the student's process."""

    student_info: dict


@functools.lru_cache(maxsize=None)
def _student_exception_class(base: type) -> type:
    return type(base.__name__, (base, _StudentRaised), {"__module__": "student"})


def rebuild_exception(info: dict) -> BaseException:
    """The student's exception as the nearest builtin class, so ``except ValueError`` still works."""
    base = RuntimeError
    for name in info.get("mro", []):
        candidate = getattr(builtins, str(name), None)
        if isinstance(candidate, type) and issubclass(candidate, Exception):
            base = candidate
            break
    try:
        error = _student_exception_class(base)(str(info.get("message", "")))
    except TypeError:  # a builtin with a different constructor
        error = _student_exception_class(RuntimeError)(str(info.get("message", "")))
    error.student_info = info
    return error


class RemoteRef:
    """Stands in, in the checker, for an object that lives in the student's process."""

    __slots__ = ("_process", "_id", "_generation", "_type", "_repr")

    def __init__(self, process: "StudentProcess", info: dict):
        self._process, self._id, self._generation = process, info["id"], process.generation
        self._type, self._repr = info["type"], info["repr"]

    def _ask(self, op: str, **extra):
        return self._process.ask(op, target=self, **extra)

    def __call__(self, *args, **kwargs):
        return self._ask("call", args=args, kwargs=kwargs)

    def __getattr__(self, attr: str):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return self._ask("getattr", attr=attr)

    def __getitem__(self, key):
        return self._ask("getitem", args=(key,))

    def __len__(self) -> int:
        value = self._ask("len")
        if type(value) is not int:
            raise TypeError("len() of the student's object is not an integer")
        return value

    def __iter__(self):
        return self._ask("iter")

    def __next__(self):
        return self._ask("next")

    def __repr__(self) -> str:
        return f"<student's {self._type}: {self._repr}>"


class StudentProcess:
    """One submission's code, running in a sandbox, driven step by step from the checker.

    ``steps`` are ``{"op": "exec", "index": i, "source": code}`` for the cells to run and
    ``{"op": "snapshot", "key": grade_id, "names": [...]}`` at each test cell's position, which
    records what the answer's names were bound to there.
    """

    def __init__(self, steps: list[dict], *, forbid: list[str], limits: Limits = Limits()):
        self.steps, self.forbid, self.limits = steps, list(forbid), limits
        self.mode = sandbox_mode()
        self.generation = 0
        self.cell_errors: dict[int, str] = {}
        self.borrowed: list[str] = []
        self._done: list[dict] = []
        self._proc: subprocess.Popen | None = None
        self._inner_pid: int | None = None
        self._broken: str | None = None
        self._expired = False
        self._deadline: float | None = None  # a test's calls share one deadline, set by start_test

    # ------------------------------------------------------------------ process
    def _spawn(self) -> None:
        self.close()
        self.generation += 1
        info_read, info_write = os.pipe()
        if self.mode == "bwrap":
            argv = _bwrap_argv(self.limits, [sys.executable, "/opt/grading/worker.py"], info_fd=info_write)
            env = None
        else:
            argv = [*_prlimit_argv(self.limits), sys.executable, str(GRADING_DIR / "worker.py")]
            env = {**os.environ, **_environment(), "HOME": os.environ.get("HOME", "/tmp"), "GRADING_LOG": os.devnull}
        self._proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            env=env,
            pass_fds=(info_write,),
        )
        os.close(info_write)
        with os.fdopen(info_read) as info:  # bwrap reports its child's pid, then closes the descriptor
            text = info.read() if self.mode == "bwrap" else ""
        self._inner_pid = json.loads(text).get("child-pid") if text.strip() else None
        self._send({"op": "forbid", "paths": self.forbid}, self.limits.cell_seconds)

    def close(self) -> None:
        """Kill the sandbox and everything in it, and wait until nothing of it is left.

        The sandbox's first process is the init of its own process namespace; the kernel removes it
        only after every other process in that namespace is gone, so its disappearance proves that
        nothing the student started (even in a new session) survives.
        """
        if self._proc is None:
            return
        try:
            os.killpg(self._proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._proc.wait()
        if self._inner_pid:
            deadline = time.monotonic() + 10
            while _alive(self._inner_pid) and time.monotonic() < deadline:
                time.sleep(0.005)
            if _alive(self._inner_pid):
                raise RuntimeError(f"the sandbox's process {self._inner_pid} survived SIGKILL")
            self._inner_pid = None
        for stream in (self._proc.stdin, self._proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self._proc = None

    def _expire(self) -> None:
        self._expired = True
        if self._proc is not None:
            try:
                os.killpg(self._proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def _send(self, command: dict, seconds: float) -> tuple[dict, list[bytes]]:
        """Send one command and wait at most ``seconds`` for its answer."""
        assert self._proc is not None
        self._expired = False
        timer = threading.Timer(max(seconds, 0.1), self._expire)
        timer.start()
        try:
            send_command(self._proc.stdin, command)
            header, buffers = read_plain(self._proc.stdout)
        except (EOFError, BrokenPipeError, OSError, ProtocolError) as error:
            timer.cancel()
            reason = self._death_reason(seconds, error)
            self.close()
            raise SandboxFailure(reason) from None
        finally:
            timer.cancel()
        if command["op"] not in ("exec", "snapshot", "forbid"):  # the chapter's own cells may use them
            self.borrowed += [str(b) for b in header.get("borrowed", []) if isinstance(b, str)]
        return header, buffers

    def _death_reason(self, seconds: float, error: Exception) -> str:
        if self._expired:
            return f"it ran past its time limit of {seconds:.0f} s"
        if isinstance(error, ProtocolError):
            return f"its process sent a malformed answer ({error})"
        code = self._proc.wait() if self._proc else None
        if code == -signal.SIGXCPU:
            return f"it used up its {self.limits.cpu_seconds} s of CPU time"
        if code == -signal.SIGKILL:
            return "its process was killed, most often for running out of memory"
        return f"its process ended (exit status {code}); does the code call exit()?"

    # ------------------------------------------------------------------ steps
    def prepare(self) -> None:
        """Run every step once; a step that hangs or kills the process is skipped on replay."""
        self._spawn()
        deadline = time.monotonic() + self.limits.cells_seconds
        for step in self.steps:
            if time.monotonic() > deadline and step["op"] == "exec":
                self.cell_errors[step["index"]] = (
                    f"not run: the submission's cells used up their {self.limits.cells_seconds:.0f} s"
                )
                continue
            try:
                header, _ = self._send(step, self.limits.cell_seconds)
            except SandboxFailure as failure:
                if step["op"] == "exec":
                    self.cell_errors[step["index"]] = f"this cell was stopped: {failure}"
                self._restart()
                continue
            if not header.get("ok") and step["op"] == "exec":
                exc = header.get("exc") or {}
                self.cell_errors[step["index"]] = f"{exc.get('type')}: {exc.get('message')}"
            self._done.append(step)

    def _restart(self) -> None:
        try:
            self._spawn()
            for step in self._done:
                self._send(step, self.limits.cell_seconds)
        except SandboxFailure as failure:
            self._broken = f"the submission could not be restarted after a failure ({failure})"
            self.close()

    def ask(self, op: str, *, target: RemoteRef | None = None, seconds: float | None = None, **fields):
        """Ask the student's process for a value; returns it decoded, or raises what it raised."""
        if self._broken:
            raise SandboxFailure(self._broken)
        if target is not None and target._generation != self.generation:
            raise SandboxFailure("the object was lost when the submission's process was restarted")
        if self._proc is None:
            self._restart()
            if self._broken:
                raise SandboxFailure(self._broken)
        command = {"op": op, **_to_markers(fields)}
        if target is not None:
            command["target"] = target._id
        header, buffers = self._send(command, seconds if seconds is not None else self.deadline_left())
        if not header.get("ok"):
            raise rebuild_exception(header.get("exc") or {})
        if header.get("missing"):
            return MISSING
        return decode(header.get("value"), buffers, lambda info: RemoteRef(self, info))

    def deadline_left(self) -> float:
        if self._deadline is None:
            return self.limits.test_seconds
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise SandboxFailure(f"the test's calls ran past their time limit of {self.limits.test_seconds:.0f} s")
        return left

    def start_test(self, seconds: float) -> None:
        self._deadline = time.monotonic() + seconds
        self.borrowed = []

    def end_test(self) -> list[str]:
        self._deadline = None
        return self.borrowed


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()


def _to_markers(value):
    if isinstance(value, RemoteRef):
        return RefMarker(value._id)
    if type(value) in (list, tuple):
        return type(value)(_to_markers(v) for v in value)
    if type(value) is dict:
        return {k: _to_markers(v) for k, v in value.items()}
    return value
