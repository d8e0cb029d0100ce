"""The student's side of grading: runs inside the sandbox, executes the submission's cells and
answers the checker's calls with plain data.

Started by :mod:`grading.sandbox` as ``python worker.py`` with the command channel on stdin and the
answer channel on stdout. Everything the student's code prints goes to a log file in the
sandbox's scratch space instead, so it can never be mistaken for an answer; and whatever the
student's code does to this process, the checker decodes its answers as plain data only.
"""

from __future__ import annotations

import importlib
import linecache
import os
import sys

from protocol import RefMarker, describe_exception, encode, read_command, send_plain

MISSING = object()


class BorrowedAnswer(Exception):
    """Raised by a function the exercise forbids (the course's own implementation, say)."""


class Worker:
    def __init__(self, channel_in, channel_out):
        self.channel_in, self.channel_out = channel_in, channel_out
        self.refs: dict[int, object] = {}
        self.snapshots: dict[str, dict[str, object]] = {}
        self.borrowed: list[str] = []
        self.patched: list[tuple] = []  # (module, attribute, original, stub) of forbidden functions
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
        """Replace every forbidden function, wherever the course's modules re-export it."""
        for path in paths:
            module_name, _, attr = path.rpartition(".")
            try:
                module = importlib.import_module(module_name)
                original = getattr(module, attr)
            except (ImportError, AttributeError):
                continue
            stub = _forbidden_stub(self, path)
            for name, loaded in list(sys.modules.items()):
                if loaded is None or not (name == module_name or name.startswith("recsys_helpers")):
                    continue
                for key, value in list(vars(loaded).items()):
                    if value is original:
                        setattr(loaded, key, stub)
                        self.patched.append((loaded, key, original, stub))

    def _swap(self, use_originals: bool) -> None:
        for module, key, original, stub in self.patched:
            setattr(module, key, original if use_originals else stub)

    def run_cell(self, index: int, source: str) -> None:
        filename = f"<cell {index}>"
        code_text = self.shell.transform_cell(source)
        linecache.cache[filename] = (len(code_text), None, code_text.splitlines(True), filename)
        exec(compile(code_text, filename, "exec"), self.namespace)

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


def main() -> None:
    # Keep the channels on private descriptors, then point the standard streams at a log file so
    # that nothing the student's code prints can reach the checker.
    channel_in = os.fdopen(os.dup(0), "rb")
    channel_out = os.fdopen(os.dup(1), "wb")
    log = os.open(os.environ.get("GRADING_LOG", "/tmp/output.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    sys.stdin = open(0, closefd=False)
    sys.stdout = open(1, "w", buffering=1, closefd=False)
    sys.stderr = open(2, "w", buffering=1, closefd=False)
    Worker(channel_in, channel_out).serve()


if __name__ == "__main__":
    main()
