"""Run a submission's code in a bubblewrap sandbox and talk to it.

The sandbox (Debian's ``bubblewrap``) gives the student's process

- a read-only view of the system, the Python installation, the course's virtual environment and
  ``recsys_helpers`` -- nothing else of the course: no ``solutions/``, no other submission, no
  gradebook, no home directory;
- a private, size-capped scratch space (``/tmp``) as the only writable place;
- no network, its own process tree (every process it starts dies with it), an unprivileged user;
- caps on address space per process, CPU time and file size (``prlimit``), and wall-clock limits
  per cell and per test enforced from outside by killing the whole sandbox;
- a cap on the memory and the number of processes of the whole submission, all its processes
  together (:func:`submission_cap`): a cgroup made by ``systemd-run --user --scope`` where the
  machine runs systemd, a cgroup (v1) made directly where this user may, and otherwise a watchdog
  that sums the resident memory of the sandbox's process tree and counts its processes.

:class:`StudentProcess` runs the submission's cells in order, restarting the sandbox and replaying
the cells that worked when one cell hangs or kills the process, so a runaway cell costs only
itself. Answers come back as plain data (:mod:`course.grading.protocol`).
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

from course.grading.protocol import AnswerTooLarge, ProtocolError, RefMarker, decode, read_plain, send_command

GRADING_DIR = Path(__file__).resolve().parent
UNSANDBOXED_ENV = "GRADING_ALLOW_UNSANDBOXED"
SETUP_HINT = (
    "Install bubblewrap once on the grading machine (Debian/Ubuntu: `sudo apt-get install bubblewrap`; "
    "see the README's 'For instructors'). Only for a trusted test run, set "
    f"{UNSANDBOXED_ENV}=1 to grade without isolation."
)


@dataclass(frozen=True)
class Limits:
    """Resource caps of one submission."""

    memory_bytes: int = 6 * 2**30  # all its processes together, and each one's address space (torch + TensorFlow fit)
    processes: int = 128  # processes and threads of the submission together (torch starts several threads each)
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


class AnswerRefused(SandboxFailure):
    """One answer was too large for the checker; the student's process goes on."""


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


CAP_SYSTEMD, CAP_CGROUP_V1, CAP_WATCHDOG = "systemd", "cgroup-v1", "watchdog"
_CGROUP_ROOT = Path("/sys/fs/cgroup")


def _systemd_argv(limits: Limits) -> list[str]:
    return [
        "systemd-run", "--user", "--scope", "--quiet", "--collect",
        f"--property=MemoryMax={limits.memory_bytes}", "--property=MemorySwapMax=0",
        f"--property=TasksMax={limits.processes}", "--",
    ]


def _systemd_works() -> bool:
    """True when a user scope gets the memory and tasks limits asked for (read back from its cgroup)."""
    if shutil.which("systemd-run") is None:
        return False
    probe = 'd=/sys/fs/cgroup$(sed -n "s/^0:://p" /proc/self/cgroup); cat "$d/memory.max" "$d/pids.max"'
    try:
        argv = [*_systemd_argv(Limits()), "sh", "-c", probe]
        trial = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        return False
    return trial.returncode == 0 and trial.stdout.split() == [str(Limits.memory_bytes), str(Limits.processes)]


def _own_cgroup_v1(controller: str) -> Path | None:
    """This process's cgroup folder in the v1 hierarchy of ``controller``, if that hierarchy is mounted."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            folder = _CGROUP_ROOT / controller / path.lstrip("/")
            return folder if (folder / "cgroup.procs").exists() else None
    return None


class _CgroupV1:
    """A memory and a pids cgroup (v1) for one sandbox, made under this process's own cgroups."""

    _made = 0

    def __init__(self, limits: Limits):
        _CgroupV1._made += 1
        name = f"grading-{os.getpid()}-{_CgroupV1._made}"
        self.memory = _own_cgroup_v1("memory") / name
        self.pids = _own_cgroup_v1("pids") / name
        self.memory.mkdir()
        try:
            self.pids.mkdir()
            (self.memory / "memory.limit_in_bytes").write_text(str(limits.memory_bytes))
            if (self.memory / "memory.memsw.limit_in_bytes").exists():  # swap accounting is on: no swap either
                (self.memory / "memory.memsw.limit_in_bytes").write_text(str(limits.memory_bytes))
            (self.pids / "pids.max").write_text(str(limits.processes))
        except OSError:
            self.remove()
            raise

    def argv(self) -> list[str]:
        """A prefix that moves the command into both cgroups before it runs."""
        enter = 'echo $$ > "$1" && echo $$ > "$2" && shift 2 && exec "$@"'
        return ["sh", "-c", enter, "sh", str(self.memory / "cgroup.procs"), str(self.pids / "cgroup.procs")]

    def out_of_memory(self) -> bool:
        try:
            fields = dict(line.split() for line in (self.memory / "memory.oom_control").read_text().splitlines())
        except OSError:
            return False
        return int(fields.get("oom_kill", 0)) > 0

    def remove(self) -> None:
        """Remove both cgroups (empty once the sandbox is gone; the kernel may take a moment)."""
        for folder in (self.memory, self.pids):
            for _ in range(200):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.005)


def _cgroup_v1_works() -> bool:
    if _own_cgroup_v1("memory") is None or _own_cgroup_v1("pids") is None:
        return False
    try:
        _CgroupV1(Limits()).remove()
    except OSError:
        return False
    return True


@functools.lru_cache(maxsize=1)
def submission_cap() -> str:
    """How a submission's total memory and process count are capped on this machine.

    ``"systemd"`` (a transient user scope with MemoryMax and TasksMax: cgroup v2 delegated by systemd),
    ``"cgroup-v1"`` (memory and pids cgroups made directly, where this user may write them), or
    ``"watchdog"``, the fallback: :class:`_Watchdog` sums the resident memory of the sandbox's
    process tree and counts its processes every 50 ms, and kills the sandbox past either limit; each
    process's address space stays capped by ``prlimit`` and, inside the sandbox, RLIMIT_NPROC caps
    the processes of its own user namespace (the kernel exempts a sandbox started by root from it).
    """
    if _systemd_works():
        return CAP_SYSTEMD
    if _cgroup_v1_works():
        return CAP_CGROUP_V1
    return CAP_WATCHDOG


def _descendants(pid: int) -> list[int]:
    """``pid`` and every process below it (through each thread's ``children`` list)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                queue += [int(c) for c in Path(f"/proc/{current}/task/{task}/children").read_text().split()]
        except OSError:
            continue
    return found


class _Watchdog(threading.Thread):
    """The fallback cap: kills the sandbox once its process tree holds too much memory or too many processes."""

    PERIOD = 0.05
    PAGE = os.sysconf("SC_PAGE_SIZE")

    def __init__(self, pid: int, limits: Limits, kill):
        super().__init__(daemon=True)
        self.pid, self.limits, self.kill = pid, limits, kill
        self.reason: str | None = None
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.PERIOD):
            if self.check():
                return

    def check(self) -> str | None:
        """Measure the process tree once; past a limit, kill the sandbox and return why.

        Called every ``PERIOD`` by the thread and once more when a command answers, so that a cell
        that starts its processes and returns between two periods is still caught.
        """
        if self.reason:
            return self.reason
        pids = _descendants(self.pid)
        resident = 0
        for pid in pids:
            try:
                resident += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * self.PAGE
            except (OSError, IndexError, ValueError):
                continue
        if resident > self.limits.memory_bytes:
            self.reason = f"its processes together held more than {self.limits.memory_bytes / 2**30:g} GiB"
        elif len(pids) > self.limits.processes:
            self.reason = f"it started more than {self.limits.processes} processes"
        if self.reason:
            self.kill()
        return self.reason


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
    """The student's process's environment (inside the sandbox)."""
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
    for key, value in {**_environment(), "GRADING_PROCESSES": str(limits.processes)}.items():
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
        self.mode, self.cap = sandbox_mode(), submission_cap()
        self.generation = 0
        self.received: list = []  # every value the current test got from the student's process
        self.cell_errors: dict[int, str] = {}
        self.borrowed: list[str] = []
        self._done: list[dict] = []
        self._proc: subprocess.Popen | None = None
        self._inner_pid: int | None = None
        self._cgroup: _CgroupV1 | None = None
        self._watchdog: _Watchdog | None = None
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
        if self.cap == CAP_SYSTEMD:
            argv = [*_systemd_argv(self.limits), *argv]
        elif self.cap == CAP_CGROUP_V1:
            self._cgroup = _CgroupV1(self.limits)
            argv = [*self._cgroup.argv(), *argv]
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
        if self.cap == CAP_WATCHDOG:
            self._watchdog = _Watchdog(self._proc.pid, self.limits, self._kill)
            self._watchdog.start()
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
        if self._watchdog is not None:
            self._watchdog.stopped.set()
            self._watchdog = None
        self._kill()
        self._proc.wait()
        if self._inner_pid:
            deadline = time.monotonic() + 10
            while _alive(self._inner_pid) and time.monotonic() < deadline:
                time.sleep(0.005)
            if _alive(self._inner_pid):
                raise RuntimeError(f"the sandbox's process {self._inner_pid} survived SIGKILL")
            self._inner_pid = None
        if self._cgroup is not None:
            self._cgroup.remove()
            self._cgroup = None
        for stream in (self._proc.stdin, self._proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self._proc = None

    def _kill(self) -> None:
        if self._proc is not None:
            try:
                os.killpg(self._proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def _expire(self) -> None:
        self._expired = True
        self._kill()

    def _send(self, command: dict, seconds: float) -> tuple[dict, list[bytes]]:
        """Send one command and wait at most ``seconds`` for its answer."""
        assert self._proc is not None
        self._expired = False
        timer = threading.Timer(max(seconds, 0.1), self._expire)
        timer.start()
        try:
            send_command(self._proc.stdin, command)
            header, buffers = read_plain(self._proc.stdout)
        except AnswerTooLarge as error:  # read past: the process and the channel go on
            raise AnswerRefused(str(error)) from None
        except (EOFError, BrokenPipeError, OSError, ProtocolError) as error:
            timer.cancel()
            reason = self._death_reason(seconds, error)
            self.close()
            raise SandboxFailure(reason) from None
        finally:
            timer.cancel()
        if self._watchdog is not None and self._watchdog.check():  # past a cap when the command ended
            reason = self._watchdog.reason
            self.close()
            raise SandboxFailure(reason)
        if command["op"] not in ("exec", "snapshot", "forbid"):  # the chapter's own cells may use them
            self.borrowed += [str(b) for b in header.get("borrowed", []) if isinstance(b, str)]
        return header, buffers

    def _death_reason(self, seconds: float, error: Exception) -> str:
        if self._watchdog is not None and self._watchdog.reason:
            return self._watchdog.reason
        if self._expired:
            return f"it ran past its time limit of {seconds:.0f} s"
        if isinstance(error, ProtocolError):
            return f"its process sent a malformed answer ({error})"
        code = self._proc.wait() if self._proc else None
        if code == -signal.SIGXCPU:
            return f"it used up its {self.limits.cpu_seconds} s of CPU time"
        if self._cgroup is not None and self._cgroup.out_of_memory():
            return f"its processes together needed more than {self.limits.memory_bytes / 2**30:g} GiB of memory"
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
        try:
            value = decode(header.get("value"), buffers, lambda info: RemoteRef(self, info))
        except AnswerTooLarge as error:
            raise AnswerRefused(str(error)) from None
        self.received.append(value)
        return value

    def deadline_left(self) -> float:
        if self._deadline is None:
            return self.limits.test_seconds
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise SandboxFailure(f"the test's calls ran past their time limit of {self.limits.test_seconds:.0f} s")
        return left

    def start_test(self, seconds: float) -> None:
        """Start a test's shared deadline, after restarting a process an earlier test lost (not its time)."""
        if self._proc is None and not self._broken:
            self._restart()
        self._deadline = time.monotonic() + seconds
        self.borrowed, self.received = [], []

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
