"""Open a student notebook in a running JupyterLab with headless Chromium, Run All, screenshot it.

A manual check of what a learner sees (the automated checks are in tests/test_learner_lab.py).
Start JupyterLab with ``make lab LAB_ARGS="--no-browser --port 8891 --IdentityProvider.token=tok
--LabApp.expose_app_in_browser=True"`` (as root add ``--allow-root``) and Chromium with ``chromium
--headless=new --remote-debugging-port=9333`` (as root add ``--no-sandbox``), then::

    .venv/bin/python scripts/lab_screenshots.py 01_basics/01_basics.ipynb OUT_DIR \\
        --find "MovieLens-100k holds" --find "Harper"

Each ``--find TEXT`` scrolls the first rendered cell containing TEXT to the top and saves a
screenshot ``OUT_DIR/<stem>-<n>.png``. ``--cells FILE`` writes what each cell shows as JSON (the
browser test in tests/test_learner_lab.py reads it). Needs ``websocket-client`` (pinned in
requirements.txt).
"""

from __future__ import annotations

import argparse
import base64
import json
import time
import urllib.request
from pathlib import Path

import websocket


class Page:
    def __init__(self, debug_port: int):
        target = json.loads(urllib.request.urlopen(
            urllib.request.Request(f"http://127.0.0.1:{debug_port}/json/new?about:blank",
                                   method="PUT")).read())
        self.ws = websocket.create_connection(target["webSocketDebuggerUrl"], timeout=120,
                                             suppress_origin=True)
        self.next_id = 0

    def call(self, method: str, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(reply["error"])
                return reply["result"]

    def js(self, expression: str, await_promise: bool = True):
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=await_promise,
                           returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def wait_for(self, expression: str, seconds: float = 120.0) -> None:
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.js(expression):
                return
            time.sleep(0.5)
        raise TimeoutError(expression)

    def screenshot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))


PANEL = "[...window.jupyterapp.shell.widgets('main')].find(w => w.sessionContext)"
# Per cell: its type, tags, execution count, whether it shows an error, the rendered text of a
# markdown cell and the figures it shows as the course's (recording.CourseFigure's HTML class).
CELLS = """(() => %s.content.widgets.map(w => ({
  type: w.model.type,
  tags: w.model.getMetadata('tags') || [],
  execution_count: w.model.type === 'code' ? w.model.executionCount : null,
  error: w.model.type === 'code' && w.model.outputs.toJSON().some(o => o.output_type === 'error'),
  text: w.model.type === 'markdown' ? w.node.innerText : '',
  course_figures: [...w.node.querySelectorAll('.recsys-course-figure')].map(e => e.innerText),
})))()""" % PANEL
SCROLL_TO = """(async () => {
  const nb = %s.content;
  const index = nb.widgets.findIndex(w => w.model.sharedModel.getSource().includes(%%s));
  if (index < 0) return false;
  await nb.scrollToItem(index, 'start');
  return true;
})()""".replace("%s", PANEL, 1).replace("%%s", "%s")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", help="path relative to the lab's root, e.g. 01_basics/01_basics.ipynb")
    parser.add_argument("out", type=Path)
    parser.add_argument("--find", action="append", default=[])
    parser.add_argument("--lab", default="http://127.0.0.1:8891")
    parser.add_argument("--token", default="tok")
    parser.add_argument("--debug-port", type=int, default=9333)
    parser.add_argument("--no-run", action="store_true", help="open only, do not Run All")
    parser.add_argument("--cells", type=Path, help="write what each cell shows here (JSON)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    page = Page(args.debug_port)
    page.call("Emulation.setDeviceMetricsOverride", width=1280, height=1400, deviceScaleFactor=1,
              mobile=False)
    page.call("Page.enable")
    page.call("Page.bringToFront")  # a background tab never gets focus: no current notebook
    page.call("Emulation.setFocusEmulationEnabled", enabled=True)
    page.call("Page.navigate", url=f"{args.lab}/lab/tree/{args.notebook}?token={args.token}&reset")
    page.wait_for("!!(window.jupyterapp && document.querySelector('.jp-NotebookPanel .jp-Cell'))")
    page.wait_for(f"{PANEL}?.sessionContext?.session?.kernel?.status === 'idle'", 180)
    page.js(f"window.jupyterapp.shell.activateById({PANEL}.id)")
    for kind in ("mousePressed", "mouseReleased"):  # a real click gives the notebook focus
        page.call("Input.dispatchMouseEvent", type=kind, x=800, y=300, button="left",
                  clickCount=1)
    page.wait_for("!!window.jupyterapp.shell.currentWidget", 30)
    if not args.no_run:
        page.js("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        time.sleep(2)
        page.wait_for("(() => {const nb = " + PANEL + ";"
                      " return nb.sessionContext.session.kernel.status === 'idle' &&"
                      " ![...document.querySelectorAll('.jp-InputPrompt')]"
                      ".some(p => p.innerText.includes('*'));})()", 600)
        time.sleep(3)
    stem = Path(args.notebook).stem
    shots = []
    for index, text in enumerate(args.find or [""]):
        if text and not page.js(SCROLL_TO % json.dumps(text)):
            print(f"not found: {text!r}")
            continue
        time.sleep(1)
        path = args.out / f"{stem}-{index + 1}.png"
        page.screenshot(path)
        shots.append(path)
    if args.cells:
        args.cells.write_text(json.dumps(page.js(CELLS), indent=1, ensure_ascii=False))
    errors = page.js("[...document.querySelectorAll('.jp-OutputArea-output[data-mime-type*=error]')]"
                     ".map(e => e.innerText.slice(0, 300))")
    print(json.dumps({"screenshots": [str(p) for p in shots], "error_outputs": errors}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
