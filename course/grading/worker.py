"""The student's side of grading: runs inside the sandbox, executes the submission's cells and
answers the checker's calls with plain data.

Started by :mod:`course.grading.sandbox` as ``python worker.py`` with the command channel on stdin
and the answer channel on stdout. Everything the student's code prints goes to a log file in the
sandbox's scratch space instead, so it can never be mistaken for an answer (the first
:data:`OUTPUT_BYTES` of it, then a note); and whatever the student's code does to this process, the
checker decodes its answers as plain data only.

A function an exercise forbids is replaced by a stub that reports the borrowing, in every loaded
module that holds it, and again in every module loaded later (also one loaded afresh from its file
with importlib) and in every namespace filled by ``exec`` or ``eval``: Python functions are known by
their code (bytecode, names and constants, wherever the source sits), builtins by identity.
"""

from __future__ import annotations

import builtins
import importlib
import importlib._bootstrap_external as bootstrap_external
import inspect
import io
import linecache
import os
import resource
import signal
import sys
import types

# A bare import on purpose: the sandbox shows this process only the folder course/grading/ (as
# /opt/grading, the script's own folder, hence first on sys.path), never the course package itself.
from protocol import RefMarker, describe_exception, encode, read_command, send_plain

MISSING = object()
OUTPUT_BYTES = 8 * 2**20  # what the log keeps of the student's printed output
_exec, _eval = builtins.exec, builtins.eval


def code_fingerprint(code: types.CodeType) -> tuple:
    """What a function's code is, wherever and however its source was loaded (no file, no line numbers)."""
    consts = tuple(code_fingerprint(c) if isinstance(c, types.CodeType) else (type(c).__name__, repr(c))
                   for c in code.co_consts)
    return (code.co_name, code.co_argcount, code.co_posonlyargcount, code.co_kwonlyargcount, code.co_flags,
            code.co_code, code.co_names, code.co_varnames, code.co_freevars, consts)


def _python_code(value) -> types.CodeType | None:
    """The code of a Python function, through decorators (``functools.wraps``); None for anything else."""
    try:
        function = inspect.unwrap(value) if callable(value) else None
    except ValueError:  # a cycle of __wrapped__
        return None
    return function.__code__ if isinstance(function, types.FunctionType) else None


class BoundedLog(io.TextIOBase):
    """The student's stdout and stderr: the first ``limit`` bytes go to the log, then one note, then nothing."""

    def __init__(self, fd: int, limit: int):
        self.fd, self.limit, self.left = fd, limit, limit

    def write(self, text: str) -> int:
        data = str(text).encode("utf-8", "replace")
        if self.left >= 0:
            kept = data[: self.left]
            self.left -= len(data)
            if self.left < 0:
                kept += f"\n[output cut here: more than {self.limit / 2**20:g} MiB was printed]\n".encode()
            try:
                os.write(self.fd, kept)
            except OSError:  # the log is full (a child process wrote to it up to the file size limit)
                pass
        return len(text)

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.fd

    @property
    def encoding(self) -> str:
        return "utf-8"


class BorrowedAnswer(Exception):
    """Raised by a function the exercise forbids (the course's own implementation, say)."""


class Worker:
    def __init__(self, channel_in, channel_out):
        self.channel_in, self.channel_out = channel_in, channel_out
        self.refs: dict[int, object] = {}
        self.snapshots: dict[str, dict[str, object]] = {}
        self.borrowed: list[str] = []
        self.patched: list[tuple] = []  # (namespace, name, original, stub) of forbidden functions
        self.forbidden_code: dict[tuple, str] = {}  # code fingerprint -> forbidden path
        self.forbidden_objects: dict[int, tuple[object, str]] = {}  # id -> (builtin, forbidden path)
        self.stubs: dict[str, object] = {}
        self.forbidden_names: set[str] = set()  # the code names of the forbidden Python functions
        self.originals_in_use = False
        from IPython.core.interactiveshell import InteractiveShell
        from IPython.display import display

        self.shell = InteractiveShell.instance()
        self.namespace = self.shell.user_ns
        self.namespace["display"] = display

    # ------------------------------------------------------------------ replies
    def keep(self, obj) -> int:
        ref_id = len(self.refs) + 1
        self.refs[ref_id] = obj
        return ref_id

    def reply(self, **header) -> None:
        buffers: list[bytes] = []
        if "value" in header:
            header["value"] = encode(header["value"], buffers, self.keep)
        header["borrowed"], self.borrowed = self.borrowed, []
        send_plain(self.channel_out, header, buffers)

    def reply_error(self, error: BaseException) -> None:
        self.reply(ok=False, exc=describe_exception(error))

    # ------------------------------------------------------------------ commands
    def forbid(self, paths: list[str]) -> None:
        """Replace every forbidden function in every loaded module, and in what is loaded or exec'd later."""
        for path in paths:
            module_name, _, attr = path.rpartition(".")
            try:
                original = getattr(importlib.import_module(module_name), attr)
            except (ImportError, AttributeError):
                continue
            code = _python_code(original)
            if code is not None:
                self.forbidden_code[code_fingerprint(code)] = path
            else:
                self.forbidden_objects[id(original)] = (original, path)
            self.stubs[path] = _forbidden_stub(self, path)
        self.forbidden_names = {fingerprint[0] for fingerprint in self.forbidden_code}
        if not self.stubs:
            return
        for module in list(sys.modules.values()):
            if isinstance(module, types.ModuleType):
                self.poison(vars(module))
        _patch_loading(self)

    def forbidden_path(self, value) -> str | None:
        """The forbidden path ``value`` is (or is a copy of), or None."""
        entry = self.forbidden_objects.get(id(value))
        if entry is not None and entry[0] is value:
            return entry[1]
        if type(value) is not types.FunctionType or not self.forbidden_code:
            return None
        code = value.__code__ if "__wrapped__" not in value.__dict__ else _python_code(value)
        if code is None or code.co_name not in self.forbidden_names:
            return None  # the common case, decided without reading the bytecode
        return self.forbidden_code.get(code_fingerprint(code))

    def poison(self, namespace: dict) -> None:
        """Put the stub in place of every forbidden function (or copy of one) that ``namespace`` holds."""
        for key, value in list(namespace.items()):
            path = self.forbidden_path(value)
            if path is not None:
                stub = self.stubs[path]
                namespace[key] = value if self.originals_in_use else stub
                self.patched.append((namespace, key, value, stub))

    def _swap(self, use_originals: bool) -> None:
        self.originals_in_use = use_originals
        for namespace, key, original, stub in self.patched:
            namespace[key] = original if use_originals else stub

    def run_cell(self, index: int, source: str) -> None:
        filename = f"<cell {index}>"
        code_text = self.shell.transform_cell(source)
        linecache.cache[filename] = (len(code_text), None, code_text.splitlines(True), filename)
        _exec(compile(code_text, filename, "exec"), self.namespace)

    def resolve(self, value):
        if isinstance(value, RefMarker):
            return self.refs[value.ref_id]
        if type(value) in (list, tuple):
            return type(value)(self.resolve(v) for v in value)
        if type(value) is dict:
            return {k: self.resolve(v) for k, v in value.items()}
        return value

    def handle(self, command: dict) -> None:
        op = command["op"]
        if op == "forbid":
            self.forbid(command["paths"])
            self.reply(ok=True)
        elif op == "exec":
            # The chapter's own cells, as released, may use what the exercises forbid (after them).
            self._swap(use_originals=bool(command.get("course_cell")))
            try:
                self.run_cell(command["index"], command["source"])
            finally:
                self._swap(use_originals=False)
            self.reply(ok=True)
        elif op == "snapshot":
            self.snapshots[command["key"]] = {n: self.namespace.get(n, MISSING) for n in command["names"]}
            self.reply(ok=True)
        elif op == "fetch":
            value = self.snapshots.get(command["key"], {}).get(command["name"], MISSING)
            if value is MISSING:
                self.reply(ok=True, missing=True)
            else:
                self.reply(ok=True, value=value)
        else:
            target = self.refs[command["target"]]
            args = self.resolve(command.get("args", ()))
            kwargs = self.resolve(command.get("kwargs", {}))
            if op == "call":
                value = target(*args, **kwargs)
            elif op == "getattr":
                value = getattr(target, command["attr"])
            elif op == "method":
                value = getattr(target, command["attr"])(*args, **kwargs)
            elif op == "getitem":
                value = target[args[0]]
            elif op == "len":
                value = len(target)
            elif op == "iter":
                value = iter(target)
            elif op == "next":
                value = next(target)
            else:
                raise ValueError(f"unknown command {op!r}")
            self.reply(ok=True, value=value)

    def serve(self) -> None:
        while True:
            try:
                command = read_command(self.channel_in)
            except EOFError:
                return
            try:
                self.handle(command)
            except BaseException as error:  # everything the student raises is data
                self.reply_error(error)


def _forbidden_stub(worker: Worker, path: str):
    def forbidden(*args, **kwargs):
        worker.borrowed.append(path)
        raise BorrowedAnswer(path)

    forbidden.__name__ = path.rpartition(".")[2]
    return forbidden


def _patch_loading(worker: Worker) -> None:
    """Poison what a module loader, ``exec`` or ``eval`` puts in a namespace from now on."""
    loader_exec = bootstrap_external._LoaderBasics.exec_module

    def exec_module(loader, module):
        try:
            loader_exec(loader, module)
        finally:
            worker.poison(vars(module))

    def run_then_poison(run):
        def patched(source, globals=None, locals=None, /, **kwargs):
            if globals is None:  # the caller's own namespace, as the builtin would use
                frame = sys._getframe(1)
                globals, locals = frame.f_globals, frame.f_locals if locals is None else locals
            try:
                return run(source, globals, locals, **kwargs)
            finally:
                worker.poison(globals)
                if isinstance(locals, dict) and locals is not globals:
                    worker.poison(locals)

        return patched

    bootstrap_external._LoaderBasics.exec_module = exec_module
    builtins.exec, builtins.eval = run_then_poison(_exec), run_then_poison(_eval)


def main() -> None:
    # Keep the channels on private descriptors, then point the standard streams at a log file so
    # that nothing the student's code prints can reach the checker. Past the file size limit a write
    # fails (EFBIG) instead of killing the process; the log keeps the first OUTPUT_BYTES anyway.
    channel_in = os.fdopen(os.dup(0), "rb")
    channel_out = os.fdopen(os.dup(1), "wb")
    log = os.open(os.environ.get("GRADING_LOG", "/tmp/output.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    if "GRADING_PROCESSES" in os.environ:  # inside the sandbox's user namespace: counts its processes only
        processes = int(os.environ["GRADING_PROCESSES"])
        resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
    sys.stdin = open(0, closefd=False)
    sys.stdout = sys.stderr = BoundedLog(1, OUTPUT_BYTES)
    Worker(channel_in, channel_out).serve()


if __name__ == "__main__":
    main()
