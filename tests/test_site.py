"""The built site works offline and says where the course comes from (needs `make book` first).

- No page loads a script, stylesheet, font, image or frame from another host: MathJax is served
  from ``_static/mathjax`` (the npm package pinned in package-lock.json).
- In headless Chromium with every host but 127.0.0.1 unresolvable, a chapter's formulas are
  typeset by MathJax (no raw ``\\(`` left) and Chinese text is marked ``lang="zh"``.
- The repository link and the learner's archive are on the site; the archive holds the student
  notebooks and what ``make lab`` needs, and nothing of the instructor's.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from conftest import CHAPTERS, ROOT, skip_unless_all

pytestmark = pytest.mark.site
SITE = ROOT / "_build" / "html"
EXTERNAL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.I)
CSS_EXTERNAL_URL = re.compile(r"(?:url\(\s*['\"]?|@import\s+['\"])\s*(?:[a-z][a-z0-9+.-]*:)?//", re.I)
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
MATH_PAGE = "book/chapters/02_evaluation.html"


def site_file(relative: str) -> Path:
    path = SITE / relative
    if not path.exists():
        pytest.fail(f"{path.relative_to(ROOT)} is missing: run `make book` first")
    return path


def pages() -> list[Path]:
    site_file("index.html")
    return sorted(SITE.rglob("*.html"))


class Resources(HTMLParser):
    """Collects what a page makes the browser fetch: (tag, attribute, value)."""

    FETCHED = {"script": ("src",), "link": ("href",), "img": ("src", "srcset"), "iframe": ("src",),
               "source": ("src", "srcset"), "audio": ("src",), "video": ("src", "poster"),
               "embed": ("src",), "object": ("data",)}

    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, str, str]] = []
        self.inline_styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for attribute in self.FETCHED.get(tag, ()):
            if values.get(attribute):
                self.found.append((tag, attribute, values[attribute]))
        if values.get("style"):
            self.inline_styles.append(values["style"])
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.inline_styles.append(data)


def resources(path: Path) -> Resources:
    parser = Resources()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_no_page_loads_anything_from_another_host():
    offenders = []
    for page in pages():
        parsed = resources(page)
        offenders += [f"{page.relative_to(SITE)}: <{t} {a}={v!r}>" for t, a, v in parsed.found if EXTERNAL.match(v)]
        offenders += [
            f"{page.relative_to(SITE)}: style {s[:80]!r}" for s in parsed.inline_styles if CSS_EXTERNAL_URL.search(s)
        ]
    assert not offenders, "pages load from other hosts:\n" + "\n".join(offenders[:20])


def test_no_stylesheet_imports_from_another_host():
    offenders = [
        str(css.relative_to(SITE))
        for css in sorted((SITE / "_static").rglob("*.css"))
        if CSS_EXTERNAL_URL.search(re.sub(r"/\*.*?\*/", "", css.read_text(encoding="utf-8"), flags=re.S))
    ]
    assert not offenders, f"stylesheets that fetch from other hosts: {offenders}"


def test_mathjax_is_served_by_the_site():
    scripts = [v for t, a, v in resources(site_file(MATH_PAGE)).found if t == "script"]
    mathjax = [s for s in scripts if "tex-chtml.js" in s]
    assert mathjax and all(s.startswith("../../_static/mathjax/") for s in mathjax), scripts
    assert (SITE / "_static" / "mathjax" / "tex-chtml.js").exists()
    assert (SITE / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").is_dir()


def test_site_links_to_the_configured_repository_or_says_there_is_none():
    """repository.url is configurable; while it is empty no page links a made-up repository."""
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    how_to = site_file("book/how_to_use.html").read_text(encoding="utf-8")
    if url:
        assert url.startswith("https://")
        for page in ("book/intro.html", "book/how_to_use.html"):
            assert f'href="{url}"' in site_file(page).read_text(encoding="utf-8"), f"{page} has no link to {url}"
    else:
        assert "none configured" in how_to
        for page in [SITE / "index.html", *SITE.glob("book/**/*.html")]:  # the book's own pages
            text = page.read_text(encoding="utf-8", errors="ignore")
            assert "recsys-course/recsys-era-of-large-models" not in text, f"{page} links a made-up repository"


# --- the learner's archive ------------------------------------------------------------------------

def served_archive() -> Path:
    found = sorted(SITE.glob("_downloads/*/recsys-course-learner.zip"))
    assert len(found) == 1, f"expected one learner archive under _build/html/_downloads, found {found}"
    link = found[0].relative_to(SITE).as_posix()
    assert link in site_file("book/how_to_use.html").read_text(encoding="utf-8"), "how_to_use links to it"
    return found[0]


def test_learner_archive_holds_what_a_learner_needs():
    names = set(zipfile.ZipFile(served_archive()).namelist())
    expected = {f"recsys-course/{name}" for name in (
        "README.md", "Makefile", "requirements-learner.txt", "requirements-nodeps.txt", "pyproject.toml",
        "scripts/prepare_machine.py", "course/publish/workspace.py",
        "lab/jupyter/jupyter_server_config.json", "lab/jupyter/labconfig/page_config.json",
        "recsys_helpers/__init__.py", "recsys_helpers/metrics.py",
    )}
    expected |= {f"recsys-course/notebooks/{c}/{c}.ipynb" for c in CHAPTERS}
    assert expected <= names, f"missing: {sorted(expected - names)}"


def test_learner_archive_holds_no_solutions_and_no_hidden_tests():
    with zipfile.ZipFile(served_archive()) as archive:
        names = archive.namelist()
        tops = {name.split("/")[1] for name in names}
        assert not tops & {"solutions", "tests", "submitted", "autograded", "feedback", "book"}, tops
        assert not [n for n in names if n.startswith("recsys-course/course/grading/")]
        assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
        for name in names:
            if name.endswith((".ipynb", ".py")):
                text = archive.read(name).decode("utf-8")
                for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "BEGIN MARK SCHEME"):
                    assert marker not in text, f"{name} contains {marker}"


# --- rendering in a browser, offline --------------------------------------------------------------

@pytest.fixture(scope="module")
def rendered():
    """``rendered(page)`` -> the DOM of ``page`` after headless Chromium ran its scripts, offline."""
    if CHROMIUM is None:
        skip_unless_all("LOUD SKIP: Chromium is not installed (apt-get install -y chromium), so the offline "
                    "rendering of formulas and lang=zh markup is NOT checked")
    site_file(MATH_PAGE)
    handler = functools.partial(QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    cache: dict[str, str] = {}

    def render(page: str) -> str:
        if page not in cache:
            cache[page] = dump_dom(f"http://127.0.0.1:{server.server_port}/{page}")
        return cache[page]

    yield render
    server.shutdown()
    server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def dump_dom(url: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        command = [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
            # Every host name but 127.0.0.1 fails to resolve: a page that needs the internet breaks here.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--virtual-time-budget=20000", "--dump-dom", url,
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0 and "<html" in done.stdout, done.stderr[-2000:]
    return done.stdout


class MathCheck(HTMLParser):
    """Counts math elements, the typeset ones among them, and raw TeX delimiters left in the text."""

    def __init__(self):
        super().__init__()
        self.stack: list[tuple[str, bool]] = []  # (tag, is a math element)
        self.math = self.typeset = 0
        self.raw: list[str] = []
        self.skip_depth = 0

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        is_math = "math" in classes and tag in {"span", "div"}
        if is_math:
            self.math += 1
        if tag == "mjx-container" and any(m for _, m in self.stack if m):
            self.typeset += 1
            for index, (t, m) in enumerate(self.stack):  # count each math element once
                if m:
                    self.stack[index] = (t, False)
        if tag in {"script", "style", "pre", "code", "textarea"}:
            self.skip_depth += 1
        self.stack.append((tag, is_math))

    def handle_endtag(self, tag):
        while self.stack:
            t, _ = self.stack.pop()
            if t in {"script", "style", "pre", "code", "textarea"}:
                self.skip_depth -= 1
            if t == tag:
                break

    def handle_data(self, data):
        if self.skip_depth == 0:
            self.raw += re.findall(r"\\\(|\\\[|\$\$", data)


def test_formulas_are_typeset_offline(rendered):
    check = MathCheck()
    check.feed(rendered(MATH_PAGE))
    assert check.math >= 5, f"{MATH_PAGE} should hold formulas; found {check.math}"
    assert "<mjx-container" in rendered(MATH_PAGE)
    assert check.typeset == check.math, f"{check.math - check.typeset} of {check.math} formulas not typeset"
    assert not check.raw, f"raw TeX left in the rendered page: {check.raw[:5]}"


class ChineseCheck(HTMLParser):
    """Collects Chinese text that is not inside an element with lang="zh"."""

    def __init__(self):
        super().__init__()
        self.langs: list[str | None] = []
        self.unmarked: list[str] = []
        self.marked = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"meta", "link", "br", "img", "input", "hr", "wbr", "source"}:
            return
        self.langs.append(dict(attrs).get("lang"))

    def handle_endtag(self, tag):
        if self.langs:
            self.langs.pop()

    def handle_data(self, data):
        if CJK.search(data):
            lang = next((lang for lang in reversed(self.langs) if lang), None)
            if lang == "zh":
                self.marked += 1
            else:
                self.unmarked.append(data.strip()[:40])


@pytest.mark.parametrize("page", ["book/errata.html", "book/glossary.html", "book/how_to_use.html"])
def test_chinese_text_is_marked_lang_zh(rendered, page):
    dom = rendered(page)
    body = dom[dom.index("<body"):]
    check = ChineseCheck()
    check.feed(body)
    assert check.marked > 0, f"{page} should hold Chinese text"
    assert not check.unmarked, f"Chinese text without lang=zh on {page}: {check.unmarked[:5]}"


# --- layout at laptop width (1366 x 768), measured in Chromium ------------------------------------

LAYOUT = r"""(() => {
  const article = document.querySelector('.bd-article');
  const scrolls = e => e.scrollWidth > e.clientWidth + 1;
  const folded = [...article.querySelectorAll('details.hide')];
  folded.forEach(d => { d.open = true; });
  const code = [...article.querySelectorAll('.cell_input pre')].filter(scrolls).map(e => e.innerText.slice(0, 60));
  const wrapped = [...article.querySelectorAll('td')].filter(td => {
    if (!/^-?[\d.,]+$/.test(td.innerText.trim())) return false;
    const range = document.createRange();
    range.selectNodeContents(td);
    return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size > 1;
  }).map(td => td.innerText.trim());
  const targets = [...article.querySelectorAll('.exercise-list a, .exercise-step a')].map(a => a.hash.slice(1));
  return {code, wrapped, folded: folded.length, links: targets.length,
          dangling: targets.filter(id => !document.getElementById(id))};
})()"""


def measure_in_chromium(url: str, expression: str) -> dict:
    """Evaluate ``expression`` in ``url`` at 1366 x 768 in headless Chromium (DevTools protocol), offline."""
    import json
    import time
    import urllib.request

    import websocket

    # Chromium's helper processes may still write to the profile as the browser ends: the whole
    # process group is stopped, and what a straggler leaves behind does not fail the check.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        browser = subprocess.Popen(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0",
             f"--user-data-dir={profile}", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            port_file = Path(profile) / "DevToolsActivePort"
            for _ in range(300):
                if port_file.exists() and port_file.read_text().strip():
                    break
                time.sleep(0.1)
            port = port_file.read_text().split()[0]
            target = json.loads(urllib.request.urlopen(urllib.request.Request(
                f"http://127.0.0.1:{port}/json/new?about:blank", method="PUT"), timeout=30).read())
            socket = websocket.create_connection(target["webSocketDebuggerUrl"], timeout=120, suppress_origin=True)
            calls = iter(range(1, 1000))

            def call(method, **params):
                number = next(calls)
                socket.send(json.dumps({"id": number, "method": method, "params": params}))
                while (reply := json.loads(socket.recv())).get("id") != number:
                    pass
                return reply["result"]

            call("Emulation.setDeviceMetricsOverride", width=1366, height=768, deviceScaleFactor=1, mobile=False)
            call("Page.navigate", url=url)
            deadline = time.time() + 60
            evaluate = {"returnByValue": True, "awaitPromise": True}
            state = "document.readyState"
            while call("Runtime.evaluate", expression=state, **evaluate)["result"]["value"] != "complete":
                assert time.time() < deadline, f"{url} did not load"
                time.sleep(0.5)
            time.sleep(2)  # MathJax typesets after the load event
            return call("Runtime.evaluate", expression=expression, **evaluate)["result"]["value"]
        finally:
            try:
                os.killpg(browser.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            browser.wait(timeout=30)


@pytest.mark.parametrize("chapter", ["05_sequential", "08_training"])
def test_chapter_reads_at_laptop_width(chapter):
    """At 1366 x 768 no code cell scrolls sideways, opened solutions included, no number wraps inside
    a table cell, and the exercise navigator's links land on targets of the page."""
    if CHROMIUM is None:
        skip_unless_all("Chromium is not installed, so the layout at laptop width is NOT checked")
    page = f"book/chapters/{chapter}.html"
    site_file(page)
    handler = functools.partial(QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        layout = measure_in_chromium(f"http://127.0.0.1:{server.server_port}/{page}", LAYOUT)
    finally:
        server.shutdown()
        server.server_close()
    assert layout["folded"] >= 5, layout
    assert not layout["code"], f"code cells scrolling sideways: {layout['code']}"
    assert not layout["wrapped"], f"numbers wrapped inside a table cell: {layout['wrapped'][:10]}"
    assert layout["links"] >= 2 * layout["folded"] - 1 and not layout["dangling"], layout
