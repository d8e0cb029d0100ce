"""The wire between the trusted checker and the sandboxed student process.

Messages are length-prefixed frames. The checker sends commands as pickles (the sandbox unpickles
data it is given, which is safe in that direction). The sandbox answers with *plain data* only: a
JSON header plus raw array buffers, decoded by :func:`decode` without ever unpickling or calling
code, so nothing the student's process sends can run in the checker.

What one answer may cost the checker is bounded twice: on the wire (:data:`MAX_ANSWER_BYTES` in
all, :data:`MAX_HEADER_BYTES` of JSON structure, checked from the frame's length prefixes before
anything is read into memory) and decoded (:data:`MAX_ANSWER_BYTES` of Python objects and arrays,
estimated while :func:`decode` builds them). An answer over either bound raises
:class:`AnswerTooLarge` after the frame has been read past, so the channel stays usable.

Plain data is None, bool, int, float, complex, str, bytes, list, tuple, dict, set, range, NumPy
arrays and scalars (no object dtype, except arrays whose elements are themselves plain), pandas
Series/DataFrame/Index, torch tensors and SciPy sparse matrices. Anything else is answered as a
reference (``{"t": "ref"}``) that the checker can call but never look inside.

This module is imported by both sides, so it needs only the standard library and NumPy at import
time; pandas, SciPy and torch are imported when a value of theirs is encoded or decoded.
"""

from __future__ import annotations

import json
import pickle
import struct
from typing import Any, BinaryIO, Callable

import numpy as np

MAX_ANSWER_BYTES = 256 * 2**20  # one answer, on the wire and decoded (arrays and Python objects)
MAX_HEADER_BYTES = 8 * 2**20  # its JSON structure: parsing costs up to ~25x this in Python objects
OBJECT_BYTES = 64  # what one decoded Python object (a float, a list slot, a dict entry) is counted as
MAX_DEPTH = 64
_ALLOWED_KINDS = set("biufcmMUS")  # NumPy dtype kinds: no objects, no raw void/structured data


class ProtocolError(Exception):
    """A frame or a value that does not follow the protocol (a broken or hostile sandbox)."""


class AnswerTooLarge(ProtocolError):
    """An answer over :data:`MAX_ANSWER_BYTES` or :data:`MAX_HEADER_BYTES` (already read past)."""


_SIZE_HINT = (
    "return NumPy arrays or tensors rather than long Python lists, and only what the exercise asks for"
)


class _Budget:
    """Decoded bytes left for one answer; :meth:`spend` raises :class:`AnswerTooLarge` past zero."""

    def __init__(self, limit: int):
        self.limit, self.left = limit, limit

    def spend(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise AnswerTooLarge(
                f"the answer decodes to more than {self.limit // 2**20} MiB, the most the checker accepts "
                f"from one answer: {_SIZE_HINT}"
            )


# --------------------------------------------------------------------------- framing


def _read_exact(stream: BinaryIO, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise EOFError("the other side closed the channel")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def send_command(stream: BinaryIO, command: dict) -> None:
    """Checker -> sandbox: one pickled command."""
    payload = pickle.dumps(command, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack("<Q", len(payload)) + payload)
    stream.flush()


def read_command(stream: BinaryIO) -> dict:
    """Sandbox side: read one command sent by :func:`send_command`."""
    (size,) = struct.unpack("<Q", _read_exact(stream, 8))
    return pickle.loads(_read_exact(stream, size))


def send_plain(stream: BinaryIO, header: dict, buffers: list[bytes]) -> None:
    """Sandbox -> checker: the frame's length, then a JSON header and its array buffers."""
    text = json.dumps({**header, "nbuf": len(buffers)}, allow_nan=True).encode()
    parts = [struct.pack("<Q", len(text)), text]
    for buffer in buffers:
        parts += [struct.pack("<Q", len(buffer)), buffer]
    body = b"".join(parts)
    stream.write(struct.pack("<Q", len(body)) + body)
    stream.flush()


def _skip(stream: BinaryIO, size: int) -> None:
    """Read past ``size`` bytes in 1 MiB pieces (a hostile size is cut short by the caller's timer)."""
    while size:
        size -= len(_read_exact(stream, min(size, 2**20)))


def read_plain(stream: BinaryIO) -> tuple[dict, list[bytes]]:
    """Checker side: read one answer.

    Raises :class:`AnswerTooLarge` for a frame over :data:`MAX_ANSWER_BYTES` or a header over
    :data:`MAX_HEADER_BYTES` once the frame is read past, :class:`ProtocolError` for a malformed one.
    """
    (total,) = struct.unpack("<Q", _read_exact(stream, 8))
    if total > MAX_ANSWER_BYTES:
        _skip(stream, total)
        raise AnswerTooLarge(
            f"the answer takes {total / 2**20:.0f} MiB, over the {MAX_ANSWER_BYTES // 2**20} MiB the checker "
            f"accepts from one answer: {_SIZE_HINT}"
        )
    if total < 8:
        raise ProtocolError("frame shorter than its header")
    body = memoryview(_read_exact(stream, total))
    offset = 0

    def sized() -> memoryview:
        nonlocal offset
        if offset + 8 > total:
            raise ProtocolError("frame shorter than its parts")
        (size,) = struct.unpack("<Q", body[offset : offset + 8])
        offset += 8
        if offset + size > total:
            raise ProtocolError("frame shorter than its parts")
        offset += size
        return body[offset - size : offset]

    (header_size,) = struct.unpack("<Q", body[:8])
    if header_size > MAX_HEADER_BYTES:
        raise AnswerTooLarge(
            f"the answer's structure (lists, dicts, Python numbers and strings) takes {header_size / 2**20:.0f} "
            f"MiB, over the {MAX_HEADER_BYTES // 2**20} MiB the checker accepts: {_SIZE_HINT}"
        )
    try:
        header = json.loads(bytes(sized()).decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ProtocolError(f"unreadable header: {error}") from None
    if not isinstance(header, dict) or not isinstance(header.get("nbuf"), int) or header["nbuf"] < 0:
        raise ProtocolError("header is not a message")
    buffers = [sized() for _ in range(header["nbuf"])]
    if offset != total:
        raise ProtocolError("frame longer than its parts")
    return header, buffers


# --------------------------------------------------------------------------- encoding (sandbox)


class RefMarker:
    """A checker-side reference sent back as an argument: the sandbox swaps in its object."""

    def __init__(self, ref_id: int):
        self.ref_id = ref_id


def encode(value: Any, buffers: list[bytes], keep: Callable[[Any], int], depth: int = 0) -> Any:
    """Turn ``value`` into JSON-able plain data, appending array bytes to ``buffers``.

    ``keep(obj) -> id`` stores an object that is not plain data and returns its reference id.
    """
    if depth > MAX_DEPTH:
        return {"t": "ref", "id": keep(value), "type": type(value).__name__, "repr": "(too deep)"}
    if value is None or type(value) in (bool, int, str):
        return value
    if type(value) is float:
        return {"t": "float", "v": repr(value)}  # repr round-trips, and covers nan and inf
    if type(value) is complex:
        return {"t": "complex", "v": [repr(value.real), repr(value.imag)]}
    if type(value) is bytes:
        buffers.append(value)
        return {"t": "bytes", "b": len(buffers) - 1}
    if type(value) in (list, tuple, set, frozenset):
        items = sorted(value, key=repr) if type(value) in (set, frozenset) else value
        return {"t": type(value).__name__, "v": [encode(v, buffers, keep, depth + 1) for v in items]}
    if type(value) is dict:
        return {
            "t": "dict",
            "k": [encode(k, buffers, keep, depth + 1) for k in value],
            "v": [encode(v, buffers, keep, depth + 1) for v in value.values()],
        }
    if type(value) is range:
        return {"t": "range", "v": [value.start, value.stop, value.step]}
    if isinstance(value, np.ndarray) and type(value) is np.ndarray:
        return _encode_array(value, buffers, keep, depth)
    if isinstance(value, np.generic):
        return {"t": "npscalar", "v": _encode_array(np.asarray(value), buffers, keep, depth)}
    module = type(value).__module__.split(".")[0]
    if module == "pandas":
        encoded = _encode_pandas(value, buffers, keep, depth)
        if encoded is not None:
            return encoded
    if module == "torch" and type(value).__name__ in ("Tensor", "Parameter"):
        tensor = value.detach().cpu()
        dtype = str(tensor.dtype)
        if dtype == "torch.bfloat16":
            tensor = tensor.float()
        return {"t": "tensor", "dtype": dtype, "v": _encode_array(tensor.numpy(), buffers, keep, depth)}
    if module == "scipy" and hasattr(value, "tocsr") and hasattr(value, "shape"):
        csr = value.tocsr()
        return {
            "t": "sparse",
            "format": value.format,
            "array": type(value).__name__.endswith("_array"),
            "shape": list(csr.shape),
            "data": _encode_array(csr.data, buffers, keep, depth),
            "indices": _encode_array(csr.indices, buffers, keep, depth),
            "indptr": _encode_array(csr.indptr, buffers, keep, depth),
        }
    text = repr(value) if len(type(value).__name__) < 200 else ""
    return {"t": "ref", "id": keep(value), "type": type(value).__qualname__, "repr": text[:300]}


def _encode_array(array: np.ndarray, buffers: list[bytes], keep, depth: int) -> dict:
    if array.dtype.kind == "O":
        flat = [encode(v, buffers, keep, depth + 1) for v in array.ravel().tolist()]
        return {"t": "objarray", "shape": list(array.shape), "v": flat}
    if array.dtype.kind not in _ALLOWED_KINDS or array.dtype.fields is not None:
        return {"t": "ref", "id": keep(array), "type": "ndarray", "repr": f"array of dtype {array.dtype}"}
    buffers.append(np.ascontiguousarray(array).tobytes())
    return {"t": "nd", "dtype": array.dtype.str, "shape": list(array.shape), "b": len(buffers) - 1}


def _encode_pandas(value, buffers, keep, depth):
    import pandas as pd

    def column(series):
        return _encode_array(np.asarray(series.to_numpy()), buffers, keep, depth)

    def index(idx):
        if isinstance(idx, pd.MultiIndex):
            levels = [column(idx.get_level_values(i)) for i in range(idx.nlevels)]
            return {"t": "multiindex", "levels": levels, "names": encode(list(idx.names), buffers, keep, depth)}
        if isinstance(idx, pd.RangeIndex):
            return {
                "t": "rangeindex",
                "v": [idx.start, idx.stop, idx.step],
                "name": encode(idx.name, buffers, keep, depth),
            }
        return {"t": "index", "v": column(idx), "name": encode(idx.name, buffers, keep, depth)}

    if isinstance(value, pd.DataFrame):
        return {
            "t": "dataframe",
            "columns": encode(list(value.columns), buffers, keep, depth + 1),
            "data": [column(value.iloc[:, i]) for i in range(value.shape[1])],
            "index": index(value.index),
        }
    if isinstance(value, pd.Series):
        return {
            "t": "series",
            "v": column(value),
            "index": index(value.index),
            "name": encode(value.name, buffers, keep, depth),
        }
    if isinstance(value, pd.Index):
        return {"t": "pdindex", "v": index(value)}
    return None


# --------------------------------------------------------------------------- decoding (checker)


def decode(tree: Any, buffers: list, make_ref: Callable[[dict], Any]) -> Any:
    """Rebuild a value from :func:`encode`'s output, trusting nothing in it.

    ``make_ref(info)`` builds the checker-side stand-in for a ``ref`` entry. Raises
    :class:`AnswerTooLarge` as soon as the value being built passes :data:`MAX_ANSWER_BYTES` (each
    Python object counts :data:`OBJECT_BYTES`, a string or an array its size).
    """
    return _decode(tree, buffers, make_ref, 0, _Budget(MAX_ANSWER_BYTES))


def _decode(tree: Any, buffers: list, make_ref: Callable[[dict], Any], depth: int, budget: _Budget) -> Any:
    if depth > MAX_DEPTH + 8:
        raise ProtocolError("value nested too deeply")
    budget.spend(OBJECT_BYTES)
    if tree is None or type(tree) in (bool, int):
        return tree
    if type(tree) is str:
        budget.spend(len(tree))
        return tree
    if type(tree) is not dict or type(tree.get("t")) is not str:
        raise ProtocolError(f"not an encoded value: {type(tree).__name__}")
    tag = tree["t"]
    rec = lambda sub: _decode(sub, buffers, make_ref, depth + 1, budget)  # noqa: E731
    array = lambda sub: _decode_array(sub, buffers, make_ref, depth, budget)  # noqa: E731
    if tag == "float":
        return float(_str(tree["v"]))
    if tag == "complex":
        real, imag = tree["v"]
        return complex(float(_str(real)), float(_str(imag)))
    if tag == "bytes":
        raw = _buffer(buffers, tree["b"])
        budget.spend(len(raw))
        return bytes(raw)
    if tag in ("list", "tuple", "set", "frozenset"):
        items = [rec(v) for v in _list(tree["v"])]
        return {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}[tag](items)
    if tag == "dict":
        keys, values = _list(tree["k"]), _list(tree["v"])
        if len(keys) != len(values):
            raise ProtocolError("dict with unequal keys and values")
        return {rec(k): rec(v) for k, v in zip(keys, values)}
    if tag == "range":
        start, stop, step = (_int(v) for v in _list(tree["v"]))
        return range(start, stop, step)
    if tag in ("nd", "objarray"):
        return array(tree)
    if tag == "npscalar":
        return array(tree["v"])[()]
    if tag == "tensor":
        import torch

        values = array(tree["v"])
        dtype = _str(tree["dtype"])
        tensor = torch.from_numpy(np.array(values))
        return tensor.to(torch.bfloat16) if dtype == "torch.bfloat16" else tensor
    if tag == "sparse":
        import scipy.sparse as sp

        shape = tuple(_int(v) for v in _list(tree["shape"]))
        parts = [array(tree[k]) for k in ("data", "indices", "indptr")]
        matrix = (sp.csr_array if tree.get("array") is True else sp.csr_matrix)(tuple(parts), shape=shape)
        fmt = _str(tree["format"])
        return matrix.asformat(fmt) if fmt in ("csr", "csc", "coo", "lil", "dok", "bsr", "dia") else matrix
    if tag in ("dataframe", "series", "pdindex"):
        return _decode_pandas(tree, buffers, make_ref, depth, budget)
    if tag == "ref":
        return make_ref({"id": _int(tree["id"]), "type": _str(tree["type"]), "repr": _str(tree["repr"])})
    raise ProtocolError(f"unknown value tag {tag!r}")


def _str(value) -> str:
    if type(value) is not str:
        raise ProtocolError("expected a string")
    return value


def _int(value) -> int:
    if type(value) is not int:
        raise ProtocolError("expected an integer")
    return value


def _list(value) -> list:
    if type(value) is not list:
        raise ProtocolError("expected a list")
    return value


def _buffer(buffers: list[bytes], index) -> bytes:
    if type(index) is not int or not 0 <= index < len(buffers):
        raise ProtocolError("bad buffer index")
    return buffers[index]


def _decode_array(tree, buffers, make_ref, depth, budget: _Budget) -> np.ndarray:
    if type(tree) is not dict:
        raise ProtocolError("expected an array")
    shape = tuple(_int(v) for v in _list(tree.get("shape")))
    if any(n < 0 for n in shape):
        raise ProtocolError("negative array dimension")
    if tree.get("t") == "objarray":
        items = [_decode(v, buffers, make_ref, depth + 1, budget) for v in _list(tree["v"])]
        if len(items) != int(np.prod(shape, dtype=np.int64)):
            raise ProtocolError("object array of the wrong size")
        array = np.empty(len(items), dtype=object)
        array[:] = items if items else []
        return array.reshape(shape)
    if tree.get("t") != "nd":
        raise ProtocolError("expected an array")
    try:
        dtype = np.dtype(_str(tree["dtype"]))
    except TypeError as error:
        raise ProtocolError(f"bad dtype: {error}") from None
    if dtype.kind not in _ALLOWED_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise ProtocolError(f"dtype {dtype} is not plain data")
    raw = _buffer(buffers, tree["b"])
    if len(raw) != int(np.prod(shape, dtype=np.int64)) * dtype.itemsize:
        raise ProtocolError("array buffer of the wrong size")
    budget.spend(len(raw))
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def _decode_pandas(tree, buffers, make_ref, depth, budget: _Budget):
    import pandas as pd

    def value(sub):
        return _decode(sub, buffers, make_ref, depth + 1, budget)

    def array(sub):
        return _decode_array(sub, buffers, make_ref, depth, budget)

    def index(sub):
        if type(sub) is not dict:
            raise ProtocolError("expected an index")
        kind = sub.get("t")
        if kind == "rangeindex":
            start, stop, step = (_int(v) for v in _list(sub["v"]))
            return pd.RangeIndex(start, stop, step, name=value(sub["name"]))
        if kind == "multiindex":
            levels = [array(level) for level in _list(sub["levels"])]
            names = value(sub["names"])
            return pd.MultiIndex.from_arrays(levels, names=names)
        if kind == "index":
            values = array(sub["v"])
            return pd.Index(values, name=value(sub["name"]))
        raise ProtocolError("unknown index kind")

    tag = tree["t"]
    if tag == "pdindex":
        return index(tree["v"])
    if tag == "series":
        values = array(tree["v"])
        name = value(tree["name"])
        return pd.Series(values, index=index(tree["index"]), name=name)
    columns = value(tree["columns"])
    data = [array(col) for col in _list(tree["data"])]
    if not isinstance(columns, list) or len(columns) != len(data):
        raise ProtocolError("data frame with mismatched columns")
    frame = pd.DataFrame({i: col for i, col in enumerate(data)}, index=index(tree["index"]))
    frame.columns = pd.Index(columns) if columns else frame.columns
    return frame


def describe_exception(error: BaseException, code_filenames: tuple[str, ...] = ("<cell",)) -> dict:
    """Plain description of an exception raised by student code, with its student frames only."""
    import traceback

    frames = [
        f"  {frame.filename}, line {frame.lineno}, in {frame.name}" + (f"\n    {frame.line}" if frame.line else "")
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename.startswith(code_filenames)
    ]
    mro = [cls.__name__ for cls in type(error).__mro__ if cls.__module__ == "builtins"]
    try:
        message = str(error)
    except Exception:  # a hostile __str__
        message = "(message could not be read)"
    return {"type": type(error).__name__, "mro": mro, "message": message[:2000], "frames": frames[-8:]}

