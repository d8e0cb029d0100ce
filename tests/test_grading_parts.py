"""The parts of the grading path, one by one: the plain-data wire, the reading of a chapter, the
static check for borrowed answers, and what the sandbox lets a student's process do."""

from __future__ import annotations

import io
import json
import math
import struct
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch

from conftest import ROOT

sys.path.insert(0, str(ROOT))
from grading import sandbox
from grading.checker import borrowed_names, defined_names, hidden_line_numbers
from grading.protocol import ProtocolError, decode, encode, read_plain, send_plain
from grading.sandbox import Limits, SandboxFailure, StudentProcess


def round_trip(value):
    refs = []
    buffers: list[bytes] = []
    tree = encode(value, buffers, lambda obj: refs.append(obj) or len(refs))
    stream = io.BytesIO()
    send_plain(stream, {"value": tree}, buffers)
    stream.seek(0)
    header, got = read_plain(stream)
    return decode(header["value"], got, lambda info: ("ref", info["type"]))


@pytest.mark.parametrize(
    "value",
    [
        None, True, 3, -2**70, 0.1, float("inf"), 1 + 2j, "héllo", b"\x00\x01",
        [1, (2, 3), {"a": [4.5]}], {1: "x", (2, 3): None}, {1, 2}, range(2, 9, 3),
        np.arange(6, dtype=np.int32).reshape(2, 3), np.float32(0.5), np.array(["a", "bc"]),
    ],
)
def test_plain_values_round_trip(value):
    got = round_trip(value)
    if isinstance(value, np.ndarray):
        assert got.dtype == value.dtype and np.array_equal(got, value)
    elif isinstance(value, float) and math.isnan(value):
        assert math.isnan(got)
    else:
        assert got == value and type(got) is type(value)


def test_library_values_round_trip():
    frame = pd.DataFrame({"user": [1, 2], "title": ["a", "b"], "genres": [("x",), ("y", "z")]}, index=[5, 7])
    pd.testing.assert_frame_equal(round_trip(frame), frame)
    series = pd.Series([0.5, 1.5], index=pd.Index(["p", "q"], name="k"), name="s")
    pd.testing.assert_series_equal(round_trip(series), series)
    tensor = torch.tensor([[1.0, 2.0]], dtype=torch.float32, requires_grad=True)
    assert torch.equal(round_trip(tensor), tensor.detach()) and round_trip(tensor).dtype == torch.float32
    matrix = sp.random(5, 4, density=0.5, format="csr", random_state=0)
    assert (round_trip(matrix) != matrix).nnz == 0


def test_other_objects_come_back_as_references():
    assert round_trip(lambda x: x) == ("ref", "function")
    assert round_trip(np.array([object()], dtype=object))[0][0] == "ref"


def frame(header: dict, buffers: list[bytes]) -> io.BytesIO:
    stream = io.BytesIO()
    text = json.dumps({**header, "nbuf": len(buffers)}).encode()
    stream.write(struct.pack("<Q", len(text)) + text)
    for buffer in buffers:
        stream.write(struct.pack("<Q", len(buffer)) + buffer)
    stream.seek(0)
    return stream


@pytest.mark.parametrize(
    "tree, buffers",
    [
        ({"t": "nd", "dtype": "|O", "shape": [1], "b": 0}, [b"\0" * 8]),  # object dtype: a pickle in disguise
        ({"t": "nd", "dtype": "<f8", "shape": [3], "b": 0}, [b"\0" * 8]),  # buffer of the wrong size
        ({"t": "nd", "dtype": "<f8", "shape": [1], "b": 4}, [b"\0" * 8]),  # no such buffer
        ({"t": "pickle", "v": "gASVAAAAAA=="}, []),  # unknown tag
        ({"t": "list", "v": "not a list"}, []),
    ],
)
def test_malformed_answers_are_refused(tree, buffers):
    header, got = read_plain(frame({"value": tree}, buffers))
    with pytest.raises(ProtocolError):
        decode(header["value"], got, lambda info: None)


def test_an_oversized_answer_is_refused(monkeypatch):
    monkeypatch.setattr("grading.protocol.MAX_MESSAGE_BYTES", 100)
    with pytest.raises(ProtocolError, match="larger than"):
        read_plain(frame({"value": None}, [b"x" * 200]))


def test_defined_names_and_hidden_lines():
    source = "import numpy as np\nA = 1\ndef f(x):\n    y = 2\nclass C: pass\nb, (c, d) = 1, (2, 3)\nA += 1\n"
    assert defined_names(source) == ["A", "f", "C", "b", "c", "d"]
    test = "assert f(1)\n### BEGIN HIDDEN TESTS\nassert f(2)\nassert f(3)\n### END HIDDEN TESTS\n"
    assert hidden_line_numbers(test) == {2, 3, 4, 5}


@pytest.mark.parametrize(
    "answer, found",
    [
        ("causal_mask = causal_attention_mask\n", ["recsys_helpers.models.sequential.causal_attention_mask"]),
        ("import torch.nn.functional as F\ndef attend(q, k, v):\n    return F.scaled_dot_product_attention(q, k, v)\n",
         ["torch.nn.functional.scaled_dot_product_attention"]),
        ("from recsys_helpers.models.sequential import causal_attention_mask as m\n",
         ["recsys_helpers.models.sequential.causal_attention_mask"]),
        ("f = getattr(F, 'scaled_dot_product_attention')\n", ["torch.nn.functional.scaled_dot_product_attention"]),
        ("import importlib\n", ["importlib (a dynamic look-up, not allowed in this exercise)"]),
        ("def causal_mask(n):\n    return torch.triu(torch.ones(n, n, dtype=torch.bool), 1)\n", []),
    ],
)
def test_borrowed_names_are_found_in_the_answer(answer, found):
    forbid = [
        "recsys_helpers.models.sequential.causal_attention_mask", "torch.nn.functional.scaled_dot_product_attention"
    ]
    assert borrowed_names(answer, forbid) == found


def run_cells(*cells: str, forbid=(), **limits) -> StudentProcess:
    steps = [{"op": "exec", "index": i, "source": s} for i, s in enumerate(cells)]
    steps.append({"op": "snapshot", "key": "t", "names": ["result"]})
    student = StudentProcess(steps, forbid=list(forbid), limits=Limits(**limits))
    student.prepare()
    return student


def result_of(student: StudentProcess):
    try:
        return student.ask("fetch", key="t", name="result", seconds=30)
    finally:
        student.close()


def test_the_sandbox_sees_no_course_file_but_the_helpers():
    student = run_cells(
        "import os, glob\n"
        "import recsys_helpers.split\n"
        f"result = [os.path.exists('{ROOT / 'solutions'}'), os.path.exists('{ROOT / 'gradebook.db'}'),\n"
        f"          os.path.exists('{ROOT / 'recsys_helpers'}'), sorted(os.listdir('{ROOT}')), os.getuid()]\n"
    )
    assert result_of(student) == [False, False, True, sorted([".venv", "recsys_helpers"]), 65534]


def test_the_sandbox_can_write_only_its_scratch_space():
    student = run_cells(
        "result = []\n"
        f"for path in ['/tmp/ok.txt', '{ROOT}/recsys_helpers/x.py', '{ROOT}/.venv/x', '/etc/x']:\n"
        "    try:\n"
        "        open(path, 'w').write('x')\n"
        "        result.append('written')\n"
        "    except OSError as error:\n"
        "        result.append(type(error).__name__)\n"
    )
    assert result_of(student) == ["written", "OSError", "OSError", "OSError"]


def test_the_sandbox_has_no_network():
    student = run_cells(
        "import socket\n"
        "try:\n"
        "    socket.create_connection(('127.0.0.1', 22), timeout=2)\n"
        "    result = 'connected'\n"
        "except OSError as error:\n"
        "    result = type(error).__name__\n"
    )
    assert result_of(student) in ("ConnectionRefusedError", "OSError", "gaierror")


def test_memory_is_capped():
    student = run_cells(
        "import numpy as np\n"
        "try:\n"
        "    np.ones(2**30)\n"
        "    result = 'allocated'\n"
        "except MemoryError:\n"
        "    result = 'refused'\n"
    )
    assert result_of(student) == "refused"


def test_a_hanging_cell_costs_only_itself():
    student = run_cells("result = 1\n", "while True:\n    pass\n", "result += 1\n", cell_seconds=3)
    assert result_of(student) == 2
    assert "time limit" in student.cell_errors[1]


def test_a_cell_that_exits_costs_only_itself():
    student = run_cells("result = 1\n", "import os\nos._exit(3)\n", "result += 1\n")
    assert result_of(student) == 2
    assert "exit status" in student.cell_errors[1]


def test_a_call_past_the_deadline_is_stopped():
    student = run_cells(
        "import signal\n"
        "def result():\n"
        "    signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "    while True:\n"
        "        pass\n"
    )
    function = student.ask("fetch", key="t", name="result", seconds=30)
    student.start_test(2)
    with pytest.raises(SandboxFailure, match="time limit"):
        function()
    student.close()


def test_forbidden_functions_are_poisoned_in_the_sandbox():
    student = run_cells(
        "from recsys_helpers.split import leave_last_out\n"
        "import recsys_helpers.split as split\n"
        "def result():\n    return split.leave_last_out(None)\n",
        forbid=["recsys_helpers.split.leave_last_out"],
    )
    function = student.ask("fetch", key="t", name="result", seconds=30)
    student.start_test(30)
    with pytest.raises(Exception, match="recsys_helpers.split.leave_last_out"):
        function()
    assert student.end_test() == ["recsys_helpers.split.leave_last_out"]
    student.close()


def test_no_process_outlives_the_sandbox():
    student = run_cells(
        "import subprocess\n"
        "subprocess.Popen(['sleep', '876543'], start_new_session=True)\n"
        "result = 1\n"
    )
    assert result_of(student) == 1
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert "sleep 876543" not in ps


def test_grading_refuses_to_run_unsandboxed_unless_asked(monkeypatch):
    sandbox.sandbox_mode.cache_clear()
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    monkeypatch.delenv(sandbox.UNSANDBOXED_ENV, raising=False)
    with pytest.raises(sandbox.SandboxUnavailable, match="apt-get install bubblewrap"):
        sandbox.sandbox_mode()
    monkeypatch.setenv(sandbox.UNSANDBOXED_ENV, "1")
    with pytest.warns(RuntimeWarning, match="WITHOUT A SANDBOX"):
        assert sandbox.sandbox_mode() == "unsandboxed"
    sandbox.sandbox_mode.cache_clear()


@pytest.mark.parametrize(
    "answer",
    [
        "def sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n",  # its own function, named like torch.sigmoid
        "def f(scores):\n    auc = 0.5\n    return auc\n",  # a variable named like sklearn.metrics.auc
        'def bootstrap_mean_ci(values):\n    """Unlike scipy.stats.bootstrap, ..."""\n    return values\n',
        "class Model:\n    def fit(self):\n        self.auc = 1\n        return self.auc\n",
    ],
)
def test_an_answer_may_use_the_names_of_forbidden_functions_for_its_own_things(answer):
    forbid = ["torch.sigmoid", "sklearn.metrics.auc", "scipy.stats.bootstrap"]
    assert borrowed_names(answer, forbid) == []


def test_aliases_of_forbidden_functions_are_found():
    forbid = ["torch.sigmoid", "sklearn.metrics.auc"]
    assert borrowed_names("sigmoid = torch.sigmoid\n", forbid) == ["torch.sigmoid"]
    assert borrowed_names("from sklearn.metrics import auc as area\n", forbid) == ["sklearn.metrics.auc"]
    assert borrowed_names("def f(x, y):\n    return auc(x, y)\n", forbid) == ["sklearn.metrics.auc"]


def test_the_chapters_own_cells_may_use_forbidden_functions_but_answers_may_not():
    steps = [
        {"op": "exec", "index": 0, "source": "from recsys_helpers import split\nresult = []\n"},
        {"op": "exec", "index": 1, "course_cell": True,
         "source": "import pandas as pd\nresult.append(len(split.leave_last_out(pd.DataFrame("
                   "{'user_idx': [0, 0], 'item_idx': [1, 2], 'timestamp': [1, 2]}))[1]))\n"},
        {"op": "exec", "index": 2, "source": "try:\n    split.leave_last_out(None)\nexcept Exception as e:\n"
                                             "    result.append(type(e).__name__)\n"},
        {"op": "snapshot", "key": "t", "names": ["result"]},
    ]
    student = StudentProcess(steps, forbid=["recsys_helpers.split.leave_last_out"], limits=Limits())
    student.prepare()
    assert result_of(student) == [1, "BorrowedAnswer"]
