"""The parts of the grading path, one by one: the plain-data wire, the reading of a chapter, the
static check for borrowed answers, and what the sandbox lets a student's process do."""

from __future__ import annotations

import io
import json
import math
import struct
import subprocess

import nbformat
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch

from conftest import ROOT
from course.cells import hidden_line_numbers
from course.grading import sandbox
from course.grading.checker import Chapter, CourseError, borrowed_names, defined_names
from course.grading.protocol import AnswerTooLarge, ProtocolError, decode, encode, read_plain, send_plain
from course.grading.sandbox import Limits, SandboxFailure, StudentProcess
from recsys_helpers.partial_credit import part


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
    text = json.dumps({**header, "nbuf": len(buffers)}).encode()
    body = struct.pack("<Q", len(text)) + text + b"".join(struct.pack("<Q", len(b)) + b for b in buffers)
    return io.BytesIO(struct.pack("<Q", len(body)) + body)


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


def test_an_oversized_answer_is_refused_and_read_past(monkeypatch):
    monkeypatch.setattr("course.grading.protocol.MAX_ANSWER_BYTES", 100)
    stream = frame({"value": None}, [b"x" * 200])
    stream.seek(0, io.SEEK_END)
    stream.write(frame({"value": 7}, []).getvalue())  # the next answer on the channel
    stream.seek(0)
    with pytest.raises(AnswerTooLarge, match="over the 0 MiB"):
        read_plain(stream)
    assert read_plain(stream)[0]["value"] == 7


def test_an_answer_with_too_much_structure_is_refused(monkeypatch):
    monkeypatch.setattr("course.grading.protocol.MAX_HEADER_BYTES", 1000)
    with pytest.raises(AnswerTooLarge, match="structure"):
        round_trip([0.5] * 100)


def test_an_answer_is_bounded_in_decoded_size(monkeypatch):
    """Decoded size counts Python objects too: 1,000 small floats are 64 kB here, not 8 kB of buffers."""
    monkeypatch.setattr("course.grading.protocol.MAX_ANSWER_BYTES", 50_000)
    with pytest.raises(AnswerTooLarge, match="decodes to more than"):
        round_trip([float(i) for i in range(1000)])
    assert round_trip(np.arange(1000.0)).shape == (1000,)  # the same numbers as an array fit


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


# --------------------------------------------------------------------------- the submission as a whole (issue 20)


def forked_holders(children: int, each_bytes: int) -> str:
    """A cell that forks ``children`` processes, each allocating ``each_bytes`` and holding them for 4 s;
    ``result`` is how many of them held their memory (the parent waits for all of them first)."""
    return (
        "import os, select, time\n"
        "import numpy as np\n"
        "read_end, write_end = os.pipe()\n"
        "kids = []\n"
        f"for _ in range({children}):\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        try:\n"
        f"            block = np.ones({each_bytes} // 8)\n"
        "            os.write(write_end, b'x')\n"
        "            time.sleep(4)\n"
        "        finally:\n"
        "            os._exit(0)\n"
        "    kids.append(pid)\n"
        "os.close(write_end)\n"
        "held = b''\n"
        "while chunk := os.read(read_end, 16):\n"
        "    held += chunk\n"
        "for pid in kids:\n"
        "    os.waitpid(pid, 0)\n"
        "result = len(held)\n"
    )


def test_a_forking_submission_cannot_hold_more_than_its_memory_cap():
    """4 children x 2.5 GiB under the default 6 GiB cap: at most two hold their memory at once."""
    assert Limits().memory_bytes == 6 * 2**30
    student = run_cells(forked_holders(4, 5 * 2**29))
    cell_error = student.cell_errors.get(0, "")
    held = result_of(student)
    if sandbox.submission_cap() == sandbox.CAP_WATCHDOG:  # the whole sandbox is killed
        assert "more than 6 GiB" in cell_error
    else:  # the kernel kills children past the cgroup's limit
        assert held in (1, 2), (held, cell_error)


def test_the_watchdog_fallback_caps_memory_and_processes(monkeypatch):
    monkeypatch.setattr(sandbox, "submission_cap", lambda: sandbox.CAP_WATCHDOG)
    student = run_cells(forked_holders(4, 700 * 2**20), memory_bytes=2 * 2**30)
    assert "held more than 2 GiB" in student.cell_errors[0]
    student.close()
    student = run_cells("import subprocess\nkids = [subprocess.Popen(['sleep', '20']) for _ in range(40)]\n",
                        processes=16)
    assert "more than 16 processes" in student.cell_errors[0]
    student.close()


def test_a_submission_cannot_start_more_processes_than_its_cap():
    student = run_cells(
        "import subprocess\n"
        "kids = []\n"
        "try:\n"
        "    for _ in range(100):\n"
        "        kids.append(subprocess.Popen(['sleep', '20']))\n"
        "except OSError:\n"
        "    pass\n"
        "result = len(kids)\n"
        "for kid in kids:\n"
        "    kid.kill()\n",
        processes=16,
    )
    if sandbox.submission_cap() == sandbox.CAP_WATCHDOG:
        assert "more than 16 processes" in student.cell_errors[0]
        student.close()
    else:
        assert result_of(student) < 16


def test_an_answer_of_8_million_floats_fails_without_growing_the_checker():
    import tracemalloc

    student = run_cells("def result():\n    return [0.5] * 8_000_000\n\ndef small():\n    return 3\n")
    function = student.ask("fetch", key="t", name="result", seconds=30)
    student.start_test(120)
    tracemalloc.start()
    try:
        with pytest.raises(sandbox.AnswerRefused, match="structure .* takes [0-9]+ MiB, over the 8 MiB"):
            function()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 400 * 2**20, f"the checker grew by {peak / 2**20:.0f} MiB"
    assert student.ask("fetch", key="t", name="result", seconds=30) is not None  # the process goes on
    student.close()


def test_printing_more_than_the_file_limit_is_cut_with_a_note():
    """Python's output is cut at 8 MiB with a note; writing to the log's descriptor past the 64 MiB file limit
    raises OSError (EFBIG) instead of killing the process with SIGXFSZ."""
    student = run_cells(
        "print('x' * (80 * 2**20))\n",
        "def loud():\n    print('y' * (80 * 2**20))\n    return 5\n",
        "import errno, os\n"
        "try:\n"
        "    while True:\n"
        "        os.write(1, b'z' * 2**20)\n"
        "except OSError as error:\n"
        "    refused = errno.errorcode[error.errno]\n"
        "notes = open('/tmp/output.log', 'rb').read().count(b'[output cut here: more than 8 MiB')\n"
        "result = (loud(), notes, refused)\n",
    )
    assert result_of(student) == (5, 1, "EFBIG") and student.cell_errors == {}


FRESH_COPY = (
    "import importlib.util\n"
    "import recsys_helpers.split as split\n"
    "spec = importlib.util.spec_from_file_location('fresh_split', split.__file__)\n"
    "fresh = importlib.util.module_from_spec(spec)\n"
    "spec.loader.exec_module(fresh)\n"
    "copied = {}\n"
    "exec(open(split.__file__).read(), copied)\n"
    "shifted = {}\n"
    "exec(compile('\\n' * 40 + open(split.__file__).read(), 'elsewhere.py', 'exec'), shifted)\n"
    "by_import, by_exec, by_shifted = fresh.leave_last_out, copied['leave_last_out'], shifted['leave_last_out']\n"
)


@pytest.mark.parametrize("name", ["by_import", "by_exec", "by_shifted"])
def test_a_fresh_copy_of_a_forbidden_function_is_poisoned_too(name):
    steps = [
        {"op": "exec", "index": 0, "source": FRESH_COPY},
        {"op": "exec", "index": 1, "source": f"def result(frame):\n    return {name}(frame)\n"},
        {"op": "snapshot", "key": "t", "names": ["result"]},
    ]
    student = StudentProcess(steps, forbid=["recsys_helpers.split.leave_last_out"], limits=Limits())
    student.prepare()
    function = student.ask("fetch", key="t", name="result", seconds=30)
    student.start_test(30)
    with pytest.raises(Exception, match="recsys_helpers.split.leave_last_out"):
        function(None)
    assert student.end_test() == ["recsys_helpers.split.leave_last_out"]
    student.close()


def test_a_function_of_the_same_name_but_other_code_is_not_poisoned():
    student = run_cells(
        "def leave_last_out(frame):\n    return 'mine'\n\nresult = leave_last_out(None)\n",
        forbid=["recsys_helpers.split.leave_last_out"],
    )
    assert result_of(student) == "mine"


# --------------------------------------------------------------------------- verdicts of a synthetic chapter


def synthetic_chapter(tmp_path, test_source: str, points: float, reference: str) -> Chapter:
    """A one-exercise chapter: an answer cell defining ``double`` and its test cell."""
    answer = nbformat.v4.new_code_cell(f"### BEGIN SOLUTION\n{reference}### END SOLUTION\n")
    answer.metadata["nbgrader"] = {"solution": True, "grade": False, "locked": False, "grade_id": "ex",
                                   "schema_version": 3}
    test = nbformat.v4.new_code_cell(test_source)
    test.metadata["nbgrader"] = {"solution": False, "grade": True, "locked": True, "points": points,
                                 "grade_id": "ex_tests", "schema_version": 3}
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import math\n"), answer, test])
    path = tmp_path / "synthetic.ipynb"
    nbformat.write(nb, path)
    return Chapter(path)


def submission(chapter: Chapter, answer: str) -> nbformat.NotebookNode:
    nb = nbformat.read(chapter.path, as_version=4)
    nb.cells[1].source = answer
    return nb


PARTS_TEST = (
    "from recsys_helpers.partial_credit import part\n"
    "with part('doubles positive numbers', points=2):\n"
    "    got = double(2)\n"
    "    assert got == 4, f'expected 4, got {got!r}'\n"
    "### BEGIN HIDDEN TESTS\n"
    "with part('doubles negative numbers', points=1):\n"
    "    got = double(-3)\n"
    "    assert got == -6, f'a negative number is doubled too: expected -6, got {got!r}'\n"
    "with part('refuses strings', points=1):\n"
    "    try:\n"
    "        double('secret-987')\n"
    "    except TypeError:\n"
    "        pass\n"
    "    else:\n"
    "        raise AssertionError('a string must raise TypeError')\n"
    "### END HIDDEN TESTS\n"
)
DOUBLE = "def double(x):\n    if isinstance(x, str):\n        raise TypeError('a number, please')\n    return 2 * x\n"


def test_partial_credit_gives_the_points_of_the_parts_that_pass(tmp_path):
    chapter = synthetic_chapter(tmp_path, PARTS_TEST, 4, DOUBLE)
    assert chapter.exercises[0].parts == {
        "doubles positive numbers": 2, "doubles negative numbers": 1, "refuses strings": 1,
    }
    verdicts = chapter.grade(submission(chapter, DOUBLE))
    assert verdicts["ex_tests"].as_dict() == {"passed": True, "message": "passed", "points": 4.0}
    verdict = chapter.grade(submission(chapter, "def double(x):\n    return 0 if x == -3 else x + x\n"))["ex_tests"]
    assert (verdict.passed, verdict.points) == (False, 2.0)
    assert verdict.message.splitlines() == [
        "1 of 3 parts passed (2 of 4 points).",
        "- passed: doubles positive numbers (2 points)",
        "- FAILED: doubles negative numbers (1 point): A hidden test failed with AssertionError: a negative number "
        "is doubled too: expected -6, got <your value: not shown in a hidden test>",
        "- FAILED: refuses strings (1 point): A hidden test failed with AssertionError: a string must raise TypeError",
    ]


def test_without_parts_an_exercise_stays_all_or_nothing(tmp_path):
    test = (
        "assert double(2) == 4\n"
        "### BEGIN HIDDEN TESTS\nassert double(-3) == -6, 'negatives too'\n### END HIDDEN TESTS\n"
    )
    chapter = synthetic_chapter(tmp_path, test, 3, DOUBLE)
    verdict = chapter.grade(submission(chapter, "def double(x):\n    return 2 * abs(x)\n"))["ex_tests"]
    assert verdict.as_dict() == {
        "passed": False, "message": "A hidden test failed with AssertionError: negatives too", "points": 0.0,
    }


@pytest.mark.parametrize(
    "test, problem",
    [
        ("from recsys_helpers.partial_credit import part\nwith part('a', points=1):\n    pass\n", "add up to 1"),
        ("from recsys_helpers.partial_credit import part\nwith part('a', points=one):\n    pass\n", "number literal"),
        ("from recsys_helpers.partial_credit import part\nwith part('a', points=1):\n    pass\n"
         "with part('a', points=1):\n    pass\n", "two parts are named 'a'"),
    ],
)
def test_parts_that_do_not_add_up_are_a_course_error(tmp_path, test, problem):
    with pytest.raises(CourseError, match=problem):
        synthetic_chapter(tmp_path, test, 2, DOUBLE)


def test_a_part_outside_grading_is_a_label_that_names_itself_in_the_error():
    with pytest.raises(AssertionError) as caught:
        with part("doubles negative numbers", points=1):
            raise AssertionError("expected -6")
    assert caught.value.__notes__ == ["(in the part 'doubles negative numbers' of this test, worth 1 points)"]


LEAKY_TEST = (
    "got = double(3)\n"
    "assert got == 6, f'expected 6, got {got!r}'\n"
    "### BEGIN HIDDEN TESTS\n"
    "secret = 'hidden-input-4242'\n"
    "got = double(secret)\n"
    "assert got == secret * 2, f'a string is repeated: expected {secret * 2!r}, got {got!r} of length {len(got)}'\n"
    "### END HIDDEN TESTS\n"
)


@pytest.mark.parametrize(
    "answer, expected",
    [
        ("def double(x):\n    if x == 3:\n        return 6\n    raise ValueError(repr(x))\n",
         "Your code raised ValueError in a hidden test (its message is not shown"),
        ("def double(x):\n    return 6 if x == 3 else 'leak: ' + repr(x)\n",
         "A hidden test failed with AssertionError (its message is not shown: it is computed from the test's inputs)."),
        ("def double(x):\n    return 6 if x == 3 else [repr(x)]\n",
         "A hidden test failed with AssertionError (its message is not shown"),
    ],
)
def test_a_hidden_tests_inputs_do_not_reach_the_feedback_through_the_answer(tmp_path, answer, expected):
    chapter = synthetic_chapter(tmp_path, LEAKY_TEST, 1, "def double(x):\n    return 2 * x\n")
    message = chapter.grade(submission(chapter, answer))["ex_tests"].message
    assert message.startswith(expected) and "4242" not in message, message


def test_a_hidden_tests_own_words_are_kept_and_the_students_value_withheld(tmp_path):
    test = LEAKY_TEST.replace(" of length {len(got)}", "")
    chapter = synthetic_chapter(tmp_path, test, 1, "def double(x):\n    return 2 * x\n")
    message = chapter.grade(submission(chapter, "def double(x):\n    return 6 if x == 3 else repr(x)\n"))["ex_tests"]
    assert message.message == (
        "A hidden test failed with AssertionError: a string is repeated: expected "
        "'hidden-input-4242hidden-input-4242', got <your value: not shown in a hidden test>"
    )


def test_nbgrader_records_the_points_of_the_parts_that_pass(tmp_path):
    from nbgrader.utils import determine_grade

    from course.grading.nbgrader_plugin import SandboxedTests

    chapter = synthetic_chapter(tmp_path, PARTS_TEST, 4, DOUBLE)
    grader = SandboxedTests(source_directory=str(tmp_path.parent))
    resources = {"nbgrader": {"assignment": tmp_path.name, "notebook": chapter.path.stem}}
    wrong = submission(chapter, "def double(x):\n    return 0 if x == -3 else x + x\n")
    graded, _ = grader.preprocess(wrong, resources)
    test_cell = graded.cells[2]
    assert determine_grade(test_cell) == (2.0, 4.0)
    assert "- FAILED: refuses strings (1 point)" in test_cell.outputs[0]["text"]
