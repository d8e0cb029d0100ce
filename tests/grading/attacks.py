"""Submissions that try to cheat or to break grading, for chapter 01.

Each attack starts from a notebook (the blank release or the solution), changes or adds cells, and
states the points it must end with. ``{root}`` in a source is replaced by the absolute path of the
course being graded, which a real attacker could guess too. The marker ``987654`` lets the test
find any process an attack left behind.
"""

from __future__ import annotations

ASSIGNMENT = "01_basics"
FULL = {"ex1_sparsity_tests": 2, "ex2_head_share_tests": 2, "ex3_similarity_tests": 2,
        "ex4_item_scores_tests": 3, "ex5_leave_last_out_tests": 3}
ZERO = dict.fromkeys(FULL, 0)

GARBAGE_ANSWERS = {
    "ex1_sparsity": "def sparsity(interactions):\n    return 0.25\n",
    "ex2_head_share": "def head_share(interactions, top_fraction):\n    return 0.6\n",
    "ex3_similarity": "def cosine(a, b):\n    return 0.5\n\ndef pearson(a, b):\n    return 0.5\n",
    "ex4_item_scores": "import numpy as np\ndef item_based_scores(user_row, similarity):\n    return np.zeros(3)\n",
    "ex5_leave_last_out": "def leave_last_out_split(frame):\n    return frame, frame\n",
}

# Each attack: base notebook ("blank" or "solution"), answers that replace solution cells,
# cells inserted after the imports, and the points each test cell must end with.
ATTACKS = {
    "shadowed_builtins": {
        "base": "blank",
        "answers": GARBAGE_ANSWERS,
        "insert": [
            "import builtins, math\n"
            "import numpy as np, pandas as pd\n"
            "abs = builtins.abs = lambda value: 0\n"
            "math.isclose = lambda *args, **kwargs: True\n"
            "np.allclose = lambda *args, **kwargs: True\n"
            "np.isneginf = lambda *args, **kwargs: np.array([True])\n"
            "pd.testing.assert_frame_equal = lambda *args, **kwargs: None\n"
            "builtins.AssertionError = type('Quiet', (Exception,), {})\n"
        ],
        "points": ZERO,
    },
    "input_transformer": {
        "base": "blank",
        "answers": GARBAGE_ANSWERS,
        "insert": [
            "def _disarm(lines):\n"
            "    return [line.replace('assert ', 'pass  # ') for line in lines]\n"
            "get_ipython().input_transformers_post.append(_disarm)\n"
        ],
        "points": ZERO,
    },
    "gradebook_write": {
        "base": "solution",
        "answers": {},
        "insert": [
            "import sqlite3\n"
            "try:\n"
            "    db = sqlite3.connect('{root}/gradebook.db')\n"
            "    db.execute('UPDATE grade SET auto_score = 100')\n"
            "    db.commit()\n"
            "except Exception as error:\n"
            "    print('gradebook:', error)\n"
        ],
        "points": FULL,
    },
    "copy_from_others": {
        "base": "blank",
        "answers": {
            "ex1_sparsity": (
                "import json, glob\n"
                "_sources = glob.glob('{root}/solutions/*/*.ipynb') + glob.glob('{root}/submitted/*/*/*.ipynb')\n"
                "_sources += glob.glob('{root}/autograded/*/*/*.ipynb') "
                "+ glob.glob('/tmp/**/*.ipynb', recursive=True)\n"
                "for _path in _sources:\n"
                "    for _cell in json.load(open(_path))['cells']:\n"
                "        if 'def sparsity' in ''.join(_cell['source']):\n"
                "            exec(''.join(_cell['source']).replace('### BEGIN SOLUTION', ''))\n"
            ),
        },
        "insert": [
            "import socket\n"
            "try:\n"
            "    socket.create_connection(('pypi.org', 443), timeout=3)\n"
            "    leaked = True\n"
            "except OSError:\n"
            "    leaked = False\n"
        ],
        "points": ZERO,
    },
    "detached_process": {
        "base": "solution",
        "answers": {},
        "insert": [
            "import subprocess, sys\n"
            "subprocess.Popen(['sleep', '987654'], start_new_session=True)\n"
            "subprocess.Popen([sys.executable, '-c', 'import time, sqlite3; time.sleep(3); "
            "db = sqlite3.connect(\"{root}/gradebook.db\"); db.execute(\"UPDATE grade SET auto_score = 0\"); "
            "db.commit()  # 987654'], start_new_session=True)\n"
        ],
        "points": FULL,
    },
    "endless_loop": {
        "base": "solution",
        "answers": {
            "ex1_sparsity": (
                "import signal\n"
                "def sparsity(interactions):\n"
                "    signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                "    signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                "    while True:\n"
                "        pass\n"
            ),
        },
        "insert": [],
        "points": {**FULL, "ex1_sparsity_tests": 0},
    },
    "exit_the_process": {
        "base": "solution",
        "answers": {
            "ex3_similarity": (
                "import os\n"
                "def cosine(a, b):\n"
                "    os._exit(0)\n"
                "def pearson(a, b):\n"
                "    os._exit(0)\n"
            ),
        },
        "insert": ["import os\nos._exit(0)\n"],
        "points": {**FULL, "ex3_similarity_tests": 0},
    },
    "exhaust_memory": {
        "base": "solution",
        "answers": {
            "ex2_head_share": (
                "import numpy as np\n"
                "def head_share(interactions, top_fraction):\n"
                "    big = np.ones(2**30)  # 8 GiB\n"
                "    return 0.6\n"
            ),
        },
        "insert": ["import numpy as np\nhog = np.ones(2**30)  # 8 GiB\n"],
        "points": {**FULL, "ex2_head_share_tests": 0},
    },
    "fresh_copy_of_a_forbidden_function": {  # issue 20: the static check reads answer cells only
        "base": "solution",
        "answers": {"ex5_leave_last_out": "def leave_last_out_split(frame):\n    return _split_copy(frame)\n"},
        "insert": [
            "import importlib.util\n"
            "import recsys_helpers.split as _split\n"
            "_spec = importlib.util.spec_from_file_location('_split_copy_module', _split.__file__)\n"
            "_module = importlib.util.module_from_spec(_spec)\n"
            "_spec.loader.exec_module(_module)\n"
            "_split_copy = getattr(_module, 'leave' + '_last_out')\n"
        ],
        "points": {**FULL, "ex5_leave_last_out_tests": 0},
    },
    "edited_and_deleted_tests": {
        "base": "solution",
        "answers": {"ex1_sparsity": "def sparsity(interactions):\n    return 0.0\n"},
        "insert": [],
        "edit_tests": {"ex1_sparsity_tests": "pass  # tests removed"},
        "delete_tests": ["ex2_head_share_tests"],
        "points": {**FULL, "ex1_sparsity_tests": 0},
    },
}
