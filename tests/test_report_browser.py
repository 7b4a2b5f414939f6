"""The report in a real browser: headless Chromium (Debian's ``chromium``) driven over the
DevTools protocol on a pipe, so no websocket library or browser download is needed.

Checks: no console errors, exceptions or dialogs (an ``alert`` from a hostile run name would
show as a dialog); nothing fetched but the file itself (works offline, no CDN); the charts
draw (chart pixels in a screenshot); hover and zoom work; the overview lists every run and
sorts; a 1,000-run report opens and lists every run (how fast: benchmarks/report_open.py).

Install the browser with ``apt-get install -y chromium`` (CI does); without it these tests skip.
"""

from __future__ import annotations

import base64
import io
import json
import os
import select
import shutil
import subprocess
import tempfile
import time

import numpy as np
import pytest

import losslens
from losslens.report import plot
from losslens.report.html import write_report

from test_report import ECO, EVIL, EXAMPLE, LOGS, evil_long_csv

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)")

READY = "document.getElementById('ll-status') && document.getElementById('ll-status').dataset.state !== 'loading'"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--hide-scrollbars", "--mute-audio", "--remote-debugging-pipe"]


class Browser:
    """One headless Chromium with one page; ``events`` keeps every event received."""

    def __init__(self, executable: str | None = None, width: int = 1400, height: int = 1000):
        exe = executable or shutil.which("chromium") or shutil.which("chromium-browser")
        if exe is None:
            raise FileNotFoundError("chromium not found")
        self._profile = tempfile.TemporaryDirectory(prefix="losslens-chromium-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire():  # in the child: its fd 3 reads our commands, its fd 4 writes replies
            a, b = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [exe, *FLAGS, f"--user-data-dir={self._profile.name}", f"--window-size={width},{height}",
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=wire, pass_fds=(3, 4, to_child_r, from_child_w))
        os.close(to_child_r)
        os.close(from_child_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict] = []
        self.session = None
        targets = self.call("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.call("Target.attachToTarget", targetId=page["targetId"], flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")

    # ---- protocol ------------------------------------------------------------------------
    def _send(self, method: str, params: dict) -> int:
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params}
        if self.session and not method.startswith(("Target.", "Browser.")):
            msg["sessionId"] = self.session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        return self._id

    def _read(self, timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self._from_child], [], [], left)
            if ready:
                chunk = os.read(self._from_child, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium closed the pipe")
                self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        msg = json.loads(raw)
        if msg.get("method") == "Page.javascriptDialogOpening":
            # An alert() would block the page: record it (see problems()) and dismiss it.
            self._send("Page.handleJavaScriptDialog", {"accept": True})
        return msg

    def call(self, method: str, timeout: float = 30, **params) -> dict:
        """Send one command and wait for its reply (events meanwhile go to ``events``)."""
        mid = self._send(method, params)
        deadline = time.monotonic() + timeout
        while True:
            msg = self._read(max(0.0, deadline - time.monotonic()))
            if msg is None:
                raise TimeoutError(f"{method}: no reply in {timeout} s")
            if msg.get("id") == mid:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def pump(self, seconds: float):
        """Collect events for ``seconds``."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            msg = self._read(deadline - time.monotonic())
            if msg is not None and "method" in msg:
                self.events.append(msg)

    # ---- page helpers ----------------------------------------------------------------------
    def eval(self, expression: str):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def open(self, url: str, until: str, timeout: float = 30) -> float:
        """Navigate and poll the JS expression ``until`` (truthy = done); seconds it took."""
        t0 = time.monotonic()
        self.call("Page.navigate", url=url)
        while time.monotonic() - t0 < timeout:
            try:
                if self.eval(until):
                    return time.monotonic() - t0
            except RuntimeError:
                pass
            self.pump(0.02)
        raise TimeoutError(f"{url}: {until!r} still false after {timeout} s")

    def wait(self, expression: str, timeout: float = 15):
        """Poll ``expression`` until it is truthy (a loaded machine can be slow); returns its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.eval(expression)
            if value or time.monotonic() > deadline:
                return value
            self.pump(0.05)

    def screenshot(self, full_page: bool = False) -> bytes:
        params = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
        return base64.b64decode(self.call("Page.captureScreenshot", **params)["data"])

    def problems(self) -> list[str]:
        """Console errors/warnings, uncaught exceptions, log errors and dialogs seen so far."""
        out = []
        for e in self.events:
            m, p = e["method"], e.get("params", {})
            if m == "Runtime.exceptionThrown":
                out.append("exception: " + json.dumps(p["exceptionDetails"].get("exception", {}).get("description")
                                                      or p["exceptionDetails"].get("text")))
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning", "assert"):
                out.append(f"console.{p['type']}: " + " ".join(str(a.get("value", a.get("description")))
                                                               for a in p.get("args", [])))
            elif m == "Log.entryAdded" and p["entry"].get("level") in ("error", "warning"):
                out.append(f"log.{p['entry']['level']}: {p['entry'].get('text')}")
            elif m == "Page.javascriptDialogOpening":
                out.append(f"dialog: {p.get('type')} {p.get('message')}")
        return out

    def requests(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events if e["method"] == "Network.requestWillBeSent"]

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        self._profile.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---- tests ----------------------------------------------------------------------------------------
def _rgb(hexcol: str) -> np.ndarray:
    return np.array([int(hexcol[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)


def _pixels_near(png: bytes, hexcol: str, tol: float = 40) -> int:
    import matplotlib.image as mpimg
    img = mpimg.imread(io.BytesIO(png), format="png")[..., :3] * 255
    return int((np.abs(img - _rgb(hexcol)).max(axis=-1) < tol).sum())


def _element_shot(b: Browser, selector: str) -> bytes:
    b.eval(f"document.querySelector({json.dumps(selector)}).scrollIntoView()")
    # A run's charts are drawn when it scrolls into view: under load (CI's two workers) 0.3 s was not always enough
    # and the shot came back blank, so wait for its run to say it is drawn.
    b.wait(f"(function(){{var e=document.querySelector({json.dumps(selector)}).closest('.ll-run');"
           "return !e || e.hasAttribute('data-rendered');})()")
    b.pump(0.3)
    # ... and for two frames painted at the scroll position: on a loaded machine the shot still came back as the page
    # background at times, the compositor a frame behind.
    b.call("Runtime.evaluate", awaitPromise=True, expression="new Promise(function(r){requestAnimationFrame("
           "function(){requestAnimationFrame(function(){r(1);});});})")
    r = b.eval(f"(function(){{var r=document.querySelector({json.dumps(selector)}).getBoundingClientRect();"
               "return {x:r.x+window.scrollX,y:r.y+window.scrollY,w:r.width,h:r.height};})()")
    clip = {"x": r["x"], "y": r["y"], "width": r["w"], "height": r["h"], "scale": 1}
    return base64.b64decode(b.call("Page.captureScreenshot", format="png", clip=clip,
                                   captureBeyondViewport=True)["data"])


@pytest.fixture(scope="module")
def small_report(tmp_path_factory):
    """A report of real logs: Keras CSVLogger, a Keras History, a transformers trainer_state
    (lr and grad-norm panels) and two runs whose names and a column are HTML."""
    tmp = tmp_path_factory.mktemp("report")
    ds = [losslens.diagnose(EXAMPLE, horizon=120), losslens.diagnose(LOGS / "keras_csvlogger.csv"),
          losslens.diagnose(LOGS / "keras_history.json")]
    state = LOGS / "hf_output" / "trainer_state.json"
    if state.exists():
        ds.append(losslens.diagnose(state))
    ds += losslens.diagnose_all(evil_long_csv(tmp))
    return write_report(ds, tmp / "report.html"), ds


@pytest.fixture(scope="module")
def browser():
    b = Browser(CHROMIUM, width=1400, height=1000)
    yield b
    b.close()


def test_report_opens_clean_and_offline(browser, small_report):
    path, ds = small_report
    b = browser
    b.events.clear()
    b.open(path.as_uri(), READY)
    assert b.eval("document.getElementById('ll-status').dataset.state") == "ok", \
        b.eval("document.getElementById('ll-status').textContent")
    # Scroll every run into view so that every chart is drawn, then look for trouble.
    for i in range(1, len(ds) + 1):
        b.eval(f"document.getElementById('run-{i}').scrollIntoView()")
        b.wait(f"document.getElementById('run-{i}').hasAttribute('data-rendered')")
    assert b.eval("document.querySelectorAll('.ll-run[data-rendered]').length") == len(ds)
    b.pump(0.2)
    assert b.problems() == []
    assert {u.split(":")[0] for u in b.requests()} == {"file"}  # nothing fetched from a network
    # The overview lists every run by name, as text; the headings show the hostile name as text.
    names = b.eval("Array.from(document.querySelectorAll('#ll-overview tbody td.ll-name'))"
                   ".map(function(td){return td.title})")
    # (two keras_csvlogger runs, from two folders: each with its source, as the terminal's table names them)
    from losslens.report.html import overview_labels
    from losslens.report.text import distinct_names
    assert names == distinct_names([d.run for d in ds], [d.run_name for d in ds])
    assert b.eval("Array.from(document.querySelectorAll('#ll-overview tbody td.ll-name a'))"
                  ".map(function(a){return a.textContent})") == overview_labels(names)
    assert names[0] == f"keras_csvlogger ({EXAMPLE})" and names[1] == f"keras_csvlogger ({LOGS / 'keras_csvlogger.csv'})"
    assert EVIL in b.eval("Array.from(document.querySelectorAll('.ll-run h2')).map(function(h){"
                          "return h.textContent}).join('|')")
    assert b.eval("document.querySelectorAll('img').length") == 0
    assert b.eval("document.querySelectorAll('script:not([type])').length") == 2


def test_charts_draw_hover_and_zoom(browser, small_report):
    path, ds = small_report
    b = browser
    b.events.clear()
    b.open(path.as_uri(), READY)
    png = _element_shot(b, "#ll-chart-1")
    # The smoothed train (blue) and validation (orange) curves, and the X line (red).
    assert _pixels_near(png, "#1f77b4") > 200
    assert _pixels_near(png, "#e8710a") > 200
    assert _pixels_near(png, "#c0392b", tol=30) > 50
    # Hover: the legend shows the values under the cursor.
    b.eval("document.getElementById('run-1').scrollIntoView()")  # the capture may have scrolled
    b.pump(0.2)
    box = b.eval("(function(){var r=document.querySelector('#ll-chart-1 .u-over').getBoundingClientRect();"
                 "return {x:r.x,y:r.y,w:r.width,h:r.height};})()")
    y = box["y"] + box["h"] / 2
    for frac in (0.45, 0.5):  # enter, then move: uPlot follows the cursor on mousemove
        b.call("Input.dispatchMouseEvent", type="mouseMoved", x=box["x"] + box["w"] * frac, y=y)
    legend = ("Array.from(document.querySelectorAll('#ll-chart-1 .u-legend')[0]"
              ".querySelectorAll('.u-value')).map(function(v){return v.textContent})")
    b.wait(legend + ".some(function(v){return /[0-9]/.test(v)})")
    values = b.eval(legend)
    assert sum(v not in ("", "\u2013", "--") for v in values) >= 3, values
    # Zoom: drag across the middle; every chart of the run follows (linked x axes).
    before = b.eval("losslensReport.charts.filter(function(c){return c.el.id==='ll-chart-1'})"
                    ".map(function(c){return [c.u.scales.x.min, c.u.scales.x.max]})")
    x0, x1 = box["x"] + box["w"] * 0.3, box["x"] + box["w"] * 0.6
    b.call("Input.dispatchMouseEvent", type="mousePressed", x=x0, y=y, button="left", clickCount=1)
    for k in range(1, 6):
        b.call("Input.dispatchMouseEvent", type="mouseMoved", x=x0 + (x1 - x0) * k / 5, y=y, button="left",
               buttons=1)
    b.call("Input.dispatchMouseEvent", type="mouseReleased", x=x1, y=y, button="left", clickCount=1)
    b.wait("(function(){var u=losslensReport.charts.filter(function(c){return c.el.id==='ll-chart-1'})[0].u;"
           f"return u.scales.x.max - u.scales.x.min < {0.5 * (before[0][1] - before[0][0])};}})()")
    b.pump(0.1)
    after = b.eval("losslensReport.charts.filter(function(c){return c.el.id==='ll-chart-1'})"
                   ".map(function(c){return [c.u.scales.x.min, c.u.scales.x.max]})")
    assert len(after) == len(before) >= 2
    assert after[0][1] - after[0][0] < 0.5 * (before[0][1] - before[0][0])
    assert all(a == pytest.approx(after[0]) for a in after)
    assert b.problems() == []


def _label_rows(png: bytes, left: float, right: float, top: float, bottom: float) -> list[int]:
    """The text lines (their first pixel rows) in a strip of a screenshot: rows holding the axis's text colour."""
    import matplotlib.image as mpimg
    img = mpimg.imread(io.BytesIO(png), format="png")[..., :3] * 255
    strip = img[int(top):int(bottom), int(left):int(right)]
    dark = (np.abs(strip - _rgb("#4b5563")).max(axis=-1) < 60).sum(axis=1) > 0
    return [int(top) + i for i in np.flatnonzero(dark & ~np.r_[False, dark[:-1]])]


def _chart_shots(b: Browser, ds: list, path):
    """``(i, screenshot)`` of each run's main chart in the report at ``path``, once drawn."""
    b.events.clear()
    b.open(path.as_uri(), READY)
    for i in range(1, len(ds) + 1):
        b.eval(f"document.getElementById('run-{i}').scrollIntoView()")
        b.wait(f"document.getElementById('run-{i}').hasAttribute('data-rendered')")
        b.pump(0.3)
        yield i, _element_shot(b, f"#ll-chart-{i} .uplot")


BLOWUP = os.path.join(os.path.dirname(__file__), "fixtures", "ecosystem", "keras_sgd_blowup")


def test_log_axis_labelled_over_any_range(browser, tmp_path):
    # Keras SGD above its stable step (CSVLogger): the loss climbs from 3.7 to 1e34 (lr 0.27) or to 3e33 and
    # then inf (lr 0.3), 33-34 decades on a log axis, where uPlot drew no tick and no label. Beside them the
    # example's 3 decades (0.001 to 2) keep theirs.
    ds = [losslens.diagnose(os.path.join(BLOWUP, f)) for f in ("lr0.27.csv", "lr0.3.csv")]
    ds += [losslens.diagnose(EXAMPLE)]
    assert [d.verdict for d in ds[:2]] == ["diverged", "diverged"]
    b = browser
    for i, png in _chart_shots(b, ds, write_report(ds, tmp_path / "blowup.html")):
        over = b.eval(f"(function(){{var u=document.querySelector('#ll-chart-{i} .uplot'),"
                      f"o=u.querySelector('.u-over'),a=u.getBoundingClientRect(),r=o.getBoundingClientRect();"
                      "return {x:r.x-a.x,y:r.y-a.y,h:r.height};})()")
        assert b.eval(f"losslensReport.charts.filter(function(c){{return c.el.id==='ll-chart-{i}'}})[0]"
                      ".u.scales.y.distr") == 3
        # Between the rotated axis title (16 px) and the ticks: one text line per tick label.
        rows = _label_rows(png, 18, over["x"] - 12, over["y"], over["y"] + over["h"])
        assert 3 <= len(rows) <= 9, (ds[i - 1].run_name, rows)
    assert b.problems() == []


def test_overview_sorts_and_filters(browser, small_report):
    path, ds = small_report
    b = browser
    b.open(path.as_uri(), READY)
    b.eval("document.querySelector('#ll-overview th[data-key=x]').click()")
    xs = b.eval("Array.from(document.querySelectorAll('#ll-overview tbody tr')).map(function(r){"
                "return r.dataset.x})")
    known = [float(v) for v in xs if v != ""]
    assert known == sorted(known) and all(v == "" for v in xs[len(known):])  # missing X last
    b.eval("document.querySelector('#ll-overview th[data-key=verdict]').click()")
    verdicts = b.eval("Array.from(document.querySelectorAll('#ll-overview tbody tr')).map(function(r){"
                      "return r.dataset.verdict})")
    assert verdicts == sorted(d.verdict for d in ds)
    b.eval("var f=document.getElementById('ll-filter'); f.value='alert'; f.dispatchEvent(new Event('input'))")
    shown = b.eval("Array.from(document.querySelectorAll('#ll-overview tbody tr')).filter(function(r){"
                   "return !r.hidden}).map(function(r){return r.querySelector('a').textContent})")
    assert shown == [EVIL]


@pytest.mark.slow
def test_thousand_run_report_opens_and_lists_every_run(browser, shared_curves, tmp_path):
    runs = losslens.read(shared_curves / "deepobs_baselines_curves.csv.gz")[:1000]
    ds = [losslens.diagnose(r) for r in runs]
    path = write_report(ds, tmp_path / "big.html")
    b = browser
    b.events.clear()
    b.open("about:blank", "true")
    seconds = b.open(path.as_uri(), READY, timeout=60)
    status = b.eval("document.getElementById('ll-status').textContent")
    print(f"1,000-run report ({path.stat().st_size / 1e6:.1f} MB) ready in {seconds:.2f} s: {status}")
    assert b.eval("document.getElementById('ll-status').dataset.state") == "ok", status
    assert b.eval("document.querySelectorAll('#ll-overview tbody tr').length") == 1000
    assert b.problems() == []


def test_a_nan_marks_label_covers_no_curve(browser, tmp_path):
    """The label of the "NaN from epoch N" mark was drawn left of the mark at the foot of the chart: over the last
    finite stretch of a loss that broke while falling. Real PyTorch runs: a regression still falling when a corrupt
    record made every loss NaN from epoch 12, and an lr range test left running (val inf from 22, train from 23).
    In the screenshot, no curve pixel lies within 4 px of a label's."""
    import matplotlib.image as mpimg
    from test_forecast import _nan_record_run
    from test_report import _lr_range_run

    from losslens.report.plot import chart_data

    ds = [losslens.diagnose(_nan_record_run()), losslens.diagnose(_lr_range_run())]
    assert [d.verdict for d in ds] == ["diverged", "diverged"]
    b = browser
    for i, png in _chart_shots(b, ds, write_report(ds, tmp_path / "nan.html")):
        at = json.dumps([m["x"] for m in chart_data(ds[i - 1])["nonfinite"]])
        xs = b.eval("(function(){var u=losslensReport.charts.filter(function(c){return c.el.id==='ll-chart-%d'})[0].u,"
                    "a=u.root.getBoundingClientRect(),o=u.over.getBoundingClientRect();"
                    "return %s.map(function(x){return u.valToPos(x,'x')+o.left-a.left;});})()" % (i, at))
        img = mpimg.imread(io.BytesIO(png), format="png")[..., :3] * 255

        def near(color):
            return np.abs(img - _rgb(color)).max(axis=-1) < 40

        label = near("#8b0000")
        cols = np.arange(img.shape[1])
        for x in xs:  # the dashed marks themselves
            label[:, np.abs(cols - x) <= 3] = False
        assert label.sum() > 40, (i, label.sum())  # the labels are drawn
        around = np.zeros_like(label)
        for dy in range(-4, 5):
            for dx in range(-4, 5):
                around |= np.roll(np.roll(label, dy, axis=0), dx, axis=1)
        curves = near("#1f77b4") | near("#e8710a")
        assert not (around & curves).any(), (ds[i - 1].run_name, i, int((around & curves).sum()))
    assert b.problems() == []


def test_a_nan_mark_s_label_with_no_room_beside_it_goes_under_the_chart(browser, tmp_path):
    """In a 500-pixel window the lr range test's marks (val inf from 22, train from 23) have no clear place beside
    them: the labels were drawn on white boxes over the curves (session 45's walk: "train loss and val loss NaN from
    epoch 22" across both curves and "val min"). Now such a label is a line under the chart, as the PNG puts it in
    its legend; no mark's label is drawn within 4 px of a curve."""
    import matplotlib.image as mpimg
    from test_report import _lr_range_run

    from losslens.report.plot import chart_data

    d = losslens.diagnose(_lr_range_run())
    labels = [m["label"] for m in chart_data(d)["nonfinite"]]
    assert d.verdict == "diverged" and len(labels) == 2
    b = browser
    b.call("Emulation.setDeviceMetricsOverride", width=500, height=1000, deviceScaleFactor=1, mobile=False)
    try:
        [(i, png)] = list(_chart_shots(b, [d], write_report([d], tmp_path / "narrow.html")))
        key = b.eval("(function(){var k=document.querySelector('#ll-chart-1 .ll-nan-key');"
                     "return k ? k.textContent : '';})()")
        at = json.dumps([m["x"] for m in chart_data(d)["nonfinite"]])
        xs = b.eval("(function(){var u=losslensReport.charts[0].u,a=u.root.getBoundingClientRect(),"
                    "o=u.over.getBoundingClientRect();return %s.map(function(x){return u.valToPos(x,'x')+o.left-a.left;});"
                    "})()" % at)
    finally:
        b.call("Emulation.clearDeviceMetricsOverride")
    img = mpimg.imread(io.BytesIO(png), format="png")[..., :3] * 255
    label = np.abs(img - _rgb("#8b0000")).max(axis=-1) < 40
    cols = np.arange(img.shape[1])
    for x in xs:  # the dashed marks themselves
        label[:, np.abs(cols - x) <= 3] = False
    around = np.zeros_like(label)
    for dy in range(-4, 5):
        for dx in range(-4, 5):
            around |= np.roll(np.roll(label, dy, axis=0), dx, axis=1)
    curves = (np.abs(img - _rgb("#1f77b4")).max(axis=-1) < 40) | (np.abs(img - _rgb("#e8710a")).max(axis=-1) < 40)
    assert not (around & curves).any(), int((around & curves).sum())
    assert all(t in key for t in labels), key
    assert b.problems() == []


def test_a_curve_of_few_points_is_drawn_with_a_marker_at_each(browser, tmp_path):
    """A Trainer run stopped early (tests/fixtures/ecosystem/hf_earlystop_rise): 8 evaluations drawn as a bare line,
    nothing saying where the run was measured; now each is marked, as on the PNG. Its 25 training points are not."""
    d = losslens.diagnose(os.path.join(os.path.dirname(__file__), "fixtures", "ecosystem", "hf_earlystop_rise",
                                       "stop128_trainer_state.json"))
    b = browser
    list(_chart_shots(b, [d], write_report([d], tmp_path / "few.html")))
    # (uPlot keeps points.show as a function of (u, series index) returning the option given)
    shown = b.eval("(function(){var u=losslensReport.charts[0].u;return u.series.slice(1).map(function(s, i){"
                   "var p=s.points&&s.points.show;return [s.label, !!(typeof p==='function'?p(u,i+1):p)];});})()")
    marked = {label: show for label, show in shown}
    assert marked["val loss (smoothed)"] is True and marked["train loss (smoothed)"] is False, shown
    assert b.problems() == []


def test_x_s_interval_leaves_the_phase_bands_their_colour(browser, tmp_path):
    """A real Trainer's run (hf_output: X = 50, interval 25-65 steps since X's bootstrap scales residuals by their local noise, the steep drop up to step 50): the interval
    was a red tint over the phase bands, so the steep drop changed colour at step 15 and read as one more phase.
    In the screenshot, the band's colour just inside the interval's left edge is the one just outside it (below
    the curves), and the interval's edges and label are drawn in X's colour."""
    import matplotlib.image as mpimg

    d = losslens.diagnose(LOGS / "hf_output")
    assert (d.plateau.epoch, *d.plateau.interval) == (50, 25, 65)
    assert [p["name"] for p in d.phases][0] == "steep_drop" and d.phases[0]["end"] >= 50
    b = browser
    [(i, png)] = list(_chart_shots(b, [d], write_report([d], tmp_path / "x.html")))
    at = b.eval("(function(){var u=losslensReport.charts[0].u,r=u.root.getBoundingClientRect(),"
                "o=u.over.getBoundingClientRect();"
                "return {lo:u.valToPos(15,'x')+o.left-r.left,bottom:o.bottom-r.top};})()")
    img = mpimg.imread(io.BytesIO(png), format="png")[..., :3] * 255
    row = int(at["bottom"]) - 6  # under every curve (the loss axis runs down to 0.2; the curves stay above 0.38)
    outside, inside = img[row, int(at["lo"]) - 6], img[row, int(at["lo"]) + 8]
    assert np.abs(outside - inside).max() < 4, (outside, inside)
    assert _pixels_near(png, "#c0392b", tol=30) > 50  # X, its interval's edges and its label


def test_the_best_point_s_label_is_drawn_whole(browser, tmp_path):
    """A real Trainer's run whose validation minimum is its first evaluation (hf_best_accuracy, step 10, at the
    plot's left edge): centred under the ring, "val min" was cut by the plot's clip ("al min"). Beside it a Keras
    CSVLogger run's, at its last epoch, where it always fitted. Every label the chart writes is recorded
    (fillText): the best point's must lie inside the plot area."""
    ds = [losslens.diagnose(ECO / "hf_best_accuracy" / "trainer_state.json"),
          losslens.diagnose(LOGS / "keras_csvlogger.csv")]
    b = browser
    b.open(write_report(ds, tmp_path / "vm.html").as_uri(), READY)
    b.eval("(function(){window.__texts=[];var f=CanvasRenderingContext2D.prototype.fillText;"
           "CanvasRenderingContext2D.prototype.fillText=function(t,x,y){var m=this.measureText(t),w=m.width,"
           "x0=this.textAlign==='center'?x-w/2:this.textAlign==='right'?x-w:x,"
           "h=m.actualBoundingBoxAscent+m.actualBoundingBoxDescent,"
           "y0=this.textBaseline==='top'?y:this.textBaseline==='bottom'?y-h:y-h/2;"
           "window.__texts.push({t:String(t),x0:x0,x1:x0+w,y0:y0,y1:y0+h,c:this.canvas});"
           "return f.apply(this,arguments);};return 1;})()")
    for i in range(1, len(ds) + 1):
        b.eval(f"document.getElementById('run-{i}').scrollIntoView()")
        b.wait(f"document.getElementById('run-{i}').hasAttribute('data-rendered')")
    b.eval("losslensReport.charts.forEach(function(c){c.u.redraw(false);});1")
    b.pump(0.3)
    drawn = b.eval("(function(){return losslensReport.charts.map(function(c){var u=c.u,bb=u.bbox;"
                   "return window.__texts.filter(function(r){return r.c===u.ctx.canvas&&/^val m/.test(r.t);})"
                   ".map(function(r){return [r.t,r.x0>=bb.left-0.5&&r.x1<=bb.left+bb.width+0.5"
                   "&&r.y0>=bb.top-0.5&&r.y1<=bb.top+bb.height+0.5];});});})()")
    labels = [lab for chart in drawn for lab in chart]
    assert len(labels) >= 2 and all(inside for _, inside in labels), labels


def test_a_sweep_s_curves_are_drawn_on_one_chart_and_hover_names_the_run(browser, tmp_path):
    """A real SGD sweep (4 lrs): the overview's chart draws every run's validation loss, the best one thick in its
    colour, inside the plot (lr 1's blow-up to ~1e20 leaves at the top), and the cursor on a line names its run."""
    from test_report import _lr_sweep

    _lr_sweep(tmp_path / "sweep")
    ds = losslens.diagnose_all(tmp_path / "sweep")
    path = write_report(ds, tmp_path / "sweep.html")
    b = browser
    b.events.clear()
    b.open(path.as_uri(), READY)
    assert b.eval("document.getElementById('ll-status').dataset.state") == "ok"
    runs = b.eval("JSON.parse(document.getElementById('ll-sweep-data').textContent).runs")
    [best] = [r for r in runs if r["best"]]
    png = _element_shot(b, "#ll-sweep-chart")
    for r in runs:
        assert _pixels_near(png, r["color"], tol=30) > (300 if r["best"] else 40), r["name"]
    # the axis is cut at twice the highest start: the best run's fall spans most of the plot's height
    # The best run is drawn last, on top of the others (in the overview's order the runs after it painted over its
    # line), while the legend keeps the overview's order.
    labels = b.eval("losslensReport.sweep.series.slice(1).map(function(s){return s.label;})")
    assert labels[-1] == f"{best['label']} (best)" and len(labels) == len(runs)
    k = len(labels)  # the best run's series
    legend = b.eval("Array.from(document.querySelectorAll('#ll-sweep-chart .u-legend tr.u-series'))"
                    ".slice(1).map(function(r){return r.querySelector('.u-label').textContent;})")
    overview = b.eval("Array.from(document.querySelectorAll('#ll-overview tbody tr')).map(function(r){"
                      "return r.dataset.name;})")
    assert legend == [r["label"] + (" (best)" if r["best"] else "") for r in runs]
    assert [r["name"] for r in runs] == overview and runs.index(best) < len(runs) - 1
    # Its legend row, moved back into place, still toggles its own line.
    toggle = ("(function(){var rows=document.querySelectorAll('#ll-sweep-chart .u-legend tr.u-series');"
              "rows[%d].querySelector('.u-label').click();return losslensReport.sweep.series[%d].show;})()"
              % (runs.index(best) + 1, k))
    assert b.eval(toggle) is False and b.eval(toggle) is True
    span = b.eval("(function(){var u=losslensReport.sweep,ys=u.data[%d].filter(function(v){return v!=null});"
                  "return (u.valToPos(Math.min.apply(null,ys),'y')-u.valToPos(Math.max.apply(null,ys),'y'))"
                  "/u.bbox.height*devicePixelRatio;})()" % k)
    assert span > 0.3, span
    # hover on the best run's line at its middle point
    b.eval("document.getElementById('ll-sweep-box').scrollIntoView()")
    b.pump(0.3)
    at = b.eval("(function(){var u=losslensReport.sweep,i=Math.floor(u.data[0].length/2),"
                "r=u.over.getBoundingClientRect();return {x:r.x+u.valToPos(u.data[0][i],'x'),"
                "y:r.y+u.valToPos(u.data[%d][i],'y')};})()" % k)
    for dx in (-2, 0):
        b.call("Input.dispatchMouseEvent", type="mouseMoved", x=at["x"] + dx, y=at["y"])
    b.wait("document.getElementById('ll-sweep-hover').textContent.indexOf('lr_') === 0")
    assert b.eval("document.getElementById('ll-sweep-hover').textContent").startswith(f"{best['name']} (best): ")
    assert b.problems() == []


def test_a_curve_with_one_finite_value_is_drawn(browser, tmp_path):
    """DeepOBS' Adam at lr 63.1 (deepobs_blowup: one finite epoch, NaN from epoch 1): one point strokes no line,
    and the chart showed no training loss at all beside a legend naming it. In the screenshot its point is there
    in the training colour."""
    d = losslens.diagnose(os.path.join(os.path.dirname(__file__), "fixtures", "ecosystem", "deepobs_blowup",
                                       "adam_lr63.1.csv"))
    assert d.verdict == "diverged" and np.isfinite(d.run.series["train_loss"]).sum() == 1
    b = browser
    import matplotlib.image as mpimg

    [(i, png)] = list(_chart_shots(b, [d], write_report([d], tmp_path / "one_point.html")))
    over = b.eval(f"(function(){{var u=document.querySelector('#ll-chart-{i} .uplot'),"
                  f"o=u.querySelector('.u-over'),a=u.getBoundingClientRect(),r=o.getBoundingClientRect();"
                  "return {x:r.x-a.x,y:r.y-a.y,w:r.width,h:r.height};})()")
    img = mpimg.imread(io.BytesIO(png), format="png")[..., :3] * 255
    # the plotting area alone: the legend below it shows the colour whatever is drawn
    area = img[int(over["y"]):int(over["y"] + over["h"]), max(0, int(over["x"]) - 6):int(over["x"] + over["w"])]
    assert int((np.abs(area - _rgb("#1f77b4")).max(axis=-1) < 40).sum()) >= 8
    assert b.problems() == []


def test_no_overview_number_runs_into_the_next_column(browser, tmp_path):
    """Real runs whose smoothed best and best point differ at small losses (a validation set leaked from training,
    a Keras autoencoder, a PyTorch GRU): "0.005658 point 0.005598" was wider than the 130 px val-best column and
    was drawn over the gap column, itself too narrow for "-5.447e-04". No overview cell's content is wider than
    its cell."""
    ecosystem = os.path.join(os.path.dirname(__file__), "fixtures", "ecosystem")
    ds = [losslens.diagnose(os.path.join(ecosystem, f)) for f in (
        "pathologies/leak_val_from_train.csv", "keras_autoencoder_code2/ae_code32.csv", "torch_gru_cliff/seed4.json")]
    path = write_report(ds, tmp_path / "overview.html")
    assert path.read_text().count(">point ") == 3
    b = browser
    b.open(path.as_uri(), READY)
    over = b.eval("Array.prototype.slice.call(document.querySelectorAll('#ll-overview td')).filter(function(td){"
                  "return td.scrollWidth > td.clientWidth + 1 && !td.classList.contains('ll-name');})"
                  ".map(function(td){return td.textContent + ' ' + td.scrollWidth + '>' + td.clientWidth;})")
    assert over == []
    assert b.problems() == []


def test_a_flat_loss_s_axis_labels_tell_its_ticks_apart(browser, tmp_path):
    """A real PyTorch run whose weights were never updated (torch_weights_not_updated/no_dropout: loss 2.3098 to
    2.3100 over its run): uPlot's ticks, 0.00005 apart, were all written "2.31" at 4 digits. Each tick now has
    a label of its own."""
    d = losslens.diagnose(os.path.join(os.path.dirname(__file__), "fixtures", "ecosystem", "torch_weights_not_updated",
                                       "no_dropout.csv"))
    b = browser
    b.open(write_report([d], tmp_path / "flat.html").as_uri(), READY)
    b.eval("document.getElementById('run-1').scrollIntoView()")
    b.wait("document.getElementById('run-1').hasAttribute('data-rendered')")
    b.pump(0.3)
    labels = b.eval("losslensReport.charts.filter(function(c){return c.el.id==='ll-chart-1'})[0].u.axes[1]._values")
    shown = [t for t in labels if t]
    assert len(shown) >= 3 and len(set(shown)) == len(shown), labels
    assert b.problems() == []


def test_the_best_point_s_label_stays_off_a_nan_mark_s_label(browser, shared_curves, tmp_path):
    """DeepOBS' All-CNN-C on CIFAR-100 at Adam lr 1.58 (the shared curves: one finite epoch, 4.928 and 4.930,
    NaN from epoch 1): the best point sat at the foot of the axis, and "val min" was written under it over
    "train loss and val loss NaN from epoch 1". Right of the NaN mark, no row holds both labels' colours."""
    import matplotlib.image as mpimg

    from conftest import runs_by_name

    runs = runs_by_name(shared_curves / "deepobs_baselines_curves.csv.gz")
    name = next(n for n in runs if n.startswith("cifar100_allcnnc/AdamOptimizer/") and "lr__1.5848931925e+00" in n)
    d = losslens.diagnose(runs[name])
    assert d.verdict == "diverged"
    b = browser
    [(i, png)] = list(_chart_shots(b, [d], write_report([d], tmp_path / "nan_best.html")))
    nx = b.eval("(function(){var u=losslensReport.charts.filter(function(c){return c.el.id==='ll-chart-1'})[0].u,"
                "a=u.root.getBoundingClientRect(),o=u.over.getBoundingClientRect();"
                "return u.valToPos(1,'x')+o.left-a.left;})()")
    img = mpimg.imread(io.BytesIO(png), format="png")[..., :3] * 255
    right = img[:, int(nx) + 8:int(nx) + 200]  # the labels' side; the ring and the mark stand left of it
    red = (np.abs(right - _rgb("#8b0000")).max(axis=-1) < 40).any(axis=1)
    orange = (np.abs(right - _rgb("#e8710a")).max(axis=-1) < 40).any(axis=1)
    assert red.sum() > 4 and orange.sum() > 4  # both labels drawn there
    assert not (red & orange).any(), np.flatnonzero(red & orange)
    assert b.problems() == []


def test_no_line_runs_over_epochs_nobody_logged(browser, tmp_path):
    """A real Keras run whose notebook output Jupyter cut in the middle (keras_truncated_output/cell56.csv: epochs
    0-16, then 361-377): every curve ran straight across the 344 epochs with no value. In the screenshot, the
    columns of the gap hold no curve pixel; both sides still do."""
    import matplotlib.image as mpimg

    d = losslens.diagnose(os.path.join(os.path.dirname(__file__), "fixtures", "ecosystem", "keras_truncated_output",
                                       "cell56.csv"))
    b = browser
    [(i, png)] = list(_chart_shots(b, [d], write_report([d], tmp_path / "gap.html")))
    at = b.eval("(function(){var u=losslensReport.charts[0].u,r=u.root.getBoundingClientRect(),"
                "o=u.over.getBoundingClientRect(),p=function(x){return u.valToPos(x,'x')+o.left-r.left;};"
                "return {a:p(16),b:p(361),top:o.top-r.top,bottom:o.bottom-r.top};})()")
    img = mpimg.imread(io.BytesIO(png), format="png")[..., :3] * 255
    rows = slice(int(at["top"]), int(at["bottom"]))
    curve = np.zeros(img.shape[:2], dtype=bool)
    for color in ("#1f77b4", "#e8710a"):
        curve |= np.abs(img - _rgb(color)).max(axis=-1) < 40
    # (right of it, "val min" is written over the gap, left of the ring and of X's line beside it)
    inside = curve[rows, int(at["a"]) + 6:int(at["b"]) - 50]
    assert inside.sum() == 0, np.argwhere(inside)[:5].tolist()
    assert curve[rows, :int(at["a"]) + 1].sum() > 20 and curve[rows, int(at["b"]) - 1:].sum() > 20
    assert b.problems() == []


def test_a_long_y_label_keeps_off_the_axis_title(browser, tmp_path):
    """A real PyTorch run whose weights were never updated (torch_weights_not_updated/no_dropout: loss 2.3098 to
    2.3100), its accuracy panel below: telling its ticks apart takes labels such as 2.30985, wider than uPlot's 60 px
    axis, and they ran into the rotated "loss" title. Each chart's y axis is now as wide as its longest label
    needs, and the run's charts keep one width, so their x axes still line up."""
    d = losslens.diagnose(os.path.join(os.path.dirname(__file__), "fixtures", "ecosystem", "torch_weights_not_updated",
                                       "no_dropout.csv"))
    assert d.run.has("val_acc")  # a panel below it
    b = browser
    b.open(write_report([d], tmp_path / "wide.html").as_uri(), READY)
    b.eval("document.getElementById('run-1').scrollIntoView()")
    b.wait("document.getElementById('run-1').hasAttribute('data-rendered')")
    b.pump(0.3)
    axes = b.eval("losslensReport.charts.filter(function(c){return c.el.id==='ll-chart-1'}).map(function(c){"
                  "var a=c.u.axes[1],ctx=c.u.ctx;ctx.font=a.font[0];var w=0;(a._values||[]).forEach(function(v){"
                  "if(v)w=Math.max(w,ctx.measureText(v).width/(window.devicePixelRatio||1));});"
                  "return {need:w+a.ticks.size+a.gap,size:a._size,left:c.u.bbox.left/(window.devicePixelRatio||1),"
                  "longest:Math.max.apply(null,(a._values||['']).map(function(v){return String(v).length;}))};})")
    assert len(axes) >= 2 and max(a["longest"] for a in axes) >= 7, axes
    assert all(a["need"] <= a["size"] for a in axes), axes
    assert len({round(a["left"]) for a in axes}) == 1, axes  # one plot edge for the run's charts
    assert b.problems() == []


def _main_chart(b: Browser, i: int, expression: str):
    """``expression`` evaluated with ``u`` the main uPlot chart of run ``i`` and ``o`` its plot area's offset in the
    chart's element (CSS px)."""
    return b.eval(f"(function(){{var u=losslensReport.charts.filter(function(c){{return c.el.id==='ll-chart-{i}'}})[0].u,"
                  "a=u.root.getBoundingClientRect(),r=u.over.getBoundingClientRect(),o={x:r.left-a.left,y:r.top-a.top};"
                  f"return {expression};}})()")


def test_a_run_nan_after_its_first_point_gets_an_axis_and_a_whole_ring(browser, tmp_path):
    """DeepOBS' Adam at lr 63.1 (deepobs_blowup: losses 3.585 and 3.591 at epoch 0, NaN from epoch 1): uPlot padded
    the two points' spread to an axis 0.007 tall (3.5844-3.5916), and the best point's ring at epoch 0, on the plot's
    left edge, was cut in half by the plot's clip. The axis now spans 5% of the value each way, and the ring's left
    half is drawn."""
    import matplotlib.image as mpimg

    d = losslens.diagnose(os.path.join(os.path.dirname(__file__), "fixtures", "ecosystem", "deepobs_blowup",
                                       "adam_lr63.1.csv"))
    assert d.verdict == "diverged" and np.isfinite(d.run.series["val_loss"]).sum() == 1
    b = browser
    [(i, png)] = list(_chart_shots(b, [d], write_report([d], tmp_path / "one_point.html")))
    lo, hi = _main_chart(b, i, "[u.scales.y.min, u.scales.y.max]")
    assert lo < 3.585 < 3.591 < hi and hi - lo >= 0.05 * 3.59, (lo, hi)
    ring = _main_chart(b, i, "{x:u.valToPos(0,'x')+o.x, y:u.valToPos(3.591,'y')+o.y}")
    img = mpimg.imread(io.BytesIO(png), format="png")[..., :3] * 255
    left = img[int(ring["y"]) - 7:int(ring["y"]) + 8, int(ring["x"]) - 8:int(ring["x"]) - 2]
    assert int((np.abs(left - _rgb("#e8710a")).max(axis=-1) < 60).sum()) >= 6  # the ring's left arc
    assert b.problems() == []


def test_a_constant_accuracy_s_panel_stays_within_0_and_1(browser, tmp_path):
    """A real PyTorch run stuck on the majority class (torch_imbalanced_prior/adam_lr0.1: val accuracy 0.938 at
    every epoch): uPlot pads a constant to twice itself, and the accuracy panel ran from 0 to 1.88. It now stops at
    1; a chance-level 0.0878 (torch_weights_not_updated) keeps uPlot's 0 to 0.176."""
    eco = os.path.join(os.path.dirname(__file__), "fixtures", "ecosystem")
    ds = [losslens.diagnose(os.path.join(eco, "torch_imbalanced_prior", "adam_lr0.1.csv")),
          losslens.diagnose(os.path.join(eco, "torch_weights_not_updated", "no_dropout.csv"))]
    acc = [np.asarray(d.run.series["val_acc"], dtype=float) for d in ds]
    assert all(a.min() == a.max() for a in acc)
    b = browser
    b.open(write_report(ds, tmp_path / "acc.html").as_uri(), READY)
    for i, a in enumerate(acc, 1):
        b.eval(f"document.getElementById('run-{i}').scrollIntoView()")
        b.wait(f"document.getElementById('run-{i}').hasAttribute('data-rendered')")
        b.pump(0.3)
        [(lo, hi)] = b.eval(f"losslensReport.charts.filter(function(c){{return c.el.id==='ll-chart-{i}'"
                            "&&c.u.axes[1].label==='accuracy'}).map(function(c){return [c.u.scales.y.min,c.u.scales.y.max];})")
        assert 0 <= lo < a[0] < hi <= 1, (i, lo, hi)
        if a[0] < 0.5:
            assert hi == pytest.approx(2 * a[0], rel=0.01)  # uPlot's own padding, unchanged inside the bounds
    assert b.problems() == []


def test_two_spikes_at_one_epoch_both_show(browser, tmp_path):
    """A real PyTorch loop at SGD 1.0 (torch_stuck_high_lr/sgd_lr1.0: at epoch 1 training thrown to 141 and
    validation to 3.1): both triangles stood on one place, the validation one drawn over the training one, and its
    label over the other's. Each triangle now stands beside the other, in its curve's colour."""
    import matplotlib.image as mpimg

    d = losslens.diagnose(os.path.join(os.path.dirname(__file__), "fixtures", "ecosystem", "torch_stuck_high_lr",
                                       "sgd_lr1.0.csv"))
    assert sorted((s["x"], s["key"]) for s in plot.chart_data(d)["spikes"])[:2] == [(1, "train_loss"), (1, "val_loss")]
    b = browser
    [(i, png)] = list(_chart_shots(b, [d], write_report([d], tmp_path / "spikes.html")))
    at = _main_chart(b, i, "{x:u.valToPos(1,'x')+o.x, top:o.y}")
    img = mpimg.imread(io.BytesIO(png), format="png")[..., :3] * 255
    # the triangles' rows, from 12 px left of epoch 1 to 5 px right of it: labels start further right
    strip = img[int(at["top"]) + 1:int(at["top"]) + 11, int(at["x"]) - 12:int(at["x"]) + 5]
    for color in ("#1f77b4", "#e8710a"):
        assert int((np.abs(strip - _rgb(color)).max(axis=-1) < 40).sum()) >= 10, color
    assert b.problems() == []


def test_a_narrow_window_keeps_every_run_s_name_and_draws_charts_the_card_s_width(browser, small_report):
    """At 500 px (a phone, a half-screen window) the overview's fixed columns (870 px with the lr column) left the
    run column nothing: rows read "1 0.001 converged 89% 3" with no name. And the chart column, shrunk to its
    content once the card went under it, drew every chart at the 320 px least width in a wider card. Now each
    name shows (its cell and link wide, inside the window) and the chart fills its column."""
    path, ds = small_report
    b = browser
    b.call("Emulation.setDeviceMetricsOverride", width=500, height=1000, deviceScaleFactor=1, mobile=False)
    try:
        b.open(path.as_uri(), READY)
        assert b.eval("document.querySelectorAll('#ll-overview th').length") == 10  # (the lr column is there)
        cells = b.eval("Array.from(document.querySelectorAll('#ll-overview tbody td.ll-name')).map(function(td){"
                       "var a=td.querySelector('a').getBoundingClientRect();"
                       "return {cell:td.clientWidth, a:a.width, right:a.left + Math.min(a.width, 60)};})")
        assert len(cells) == len(ds)
        for c in cells:
            assert c["cell"] >= 150 and c["a"] >= 30 and c["right"] <= 500, cells
        # Scrolled sideways to the last column, the # and the name stay in view.
        b.eval("document.querySelector('#ll-overview-box .ll-scroll').scrollLeft = 10000")
        b.pump(0.1)
        left = b.eval("document.querySelector('#ll-overview tbody td.ll-name').getBoundingClientRect().left")
        assert 0 <= left < 120, left
        b.eval("document.getElementById('run-1').scrollIntoView()")
        b.wait("document.getElementById('run-1').hasAttribute('data-rendered')")
        col, drawn = b.eval("(function(){var c=document.querySelector('#run-1 .ll-chartcol');"
                            "return [c.getBoundingClientRect().width,"
                            "c.querySelector('.uplot').getBoundingClientRect().width];})()")
        assert col > 400 and drawn >= col - 2, (col, drawn)
    finally:
        b.call("Emulation.clearDeviceMetricsOverride")
    assert b.problems() == []


def test_printing_a_multi_run_report_draws_every_chart(browser, small_report):
    """Printed or saved as PDF, a 5-run report had no chart (`chromium --print-to-pdf`: 0 images): charts are drawn
    as they scroll near, and nothing drew the rest for the printer. Printing (the DevTools printToPDF, which fires
    beforeprint as the print dialog does) now draws every chart first."""
    path, ds = small_report
    b = browser
    b.open(path.as_uri(), READY)
    b.pump(0.3)
    total = b.eval("document.querySelectorAll('.ll-chart[data-idx]').length")
    assert total == len(ds)
    assert b.eval("document.querySelectorAll('.ll-chart[data-drawn]').length") < total  # (lazy on screen)
    pdf = base64.b64decode(b.call("Page.printToPDF", timeout=60)["data"])
    assert pdf.startswith(b"%PDF")
    assert b.eval("document.querySelectorAll('.ll-chart[data-drawn]').length") == total
    assert b.eval("document.querySelectorAll('.ll-run[data-rendered]').length") == total
    assert b.problems() == []


def test_the_lab_page_shows_its_runs_on_the_first_screen(browser, tmp_path):
    """The demo's page (losslens-lab/report.html) opened on ~60 lines of bullets before its first chart, each
    experiment's heading with "— Measured (5 seeds x 50 epochs ...)" glued on. Now the summary, the overview and the
    first run's chart come first; each experiment follows folded, its heading the experiment's title alone and the
    measurement note under it; printed, the folds open."""
    pytest.importorskip("torch")
    from losslens.lab import report, runner

    res = runner.run_seed_lab(range(2), epochs=5)
    path = report.write_reports(res, tmp_path)[-1]
    b = browser
    b.call("Emulation.setDeviceMetricsOverride", width=1300, height=1000, deviceScaleFactor=1, mobile=False)
    try:
        b.open(path.as_uri(), READY)
        top = b.eval("(function(){var f=function(s){return document.querySelector(s).getBoundingClientRect().top;};"
                     "return {overview:f('#ll-overview-box'), chart:f('#ll-chart-1')};})()")
        assert top["overview"] < 500 and top["chart"] < 1000, top
        assert b.eval("document.getElementById('ll-chart-1').hasAttribute('data-drawn')")
        heads = b.eval("Array.from(document.querySelectorAll('details.ll-notes summary')).map(function(s){"
                       "return [s.querySelector('h2').textContent, s.querySelector('.ll-sub').textContent,"
                       "s.parentNode.open];})")
        assert [h[0] for h in heads] == [e.experiment.title for e in res.experiments]
        for h in heads:
            assert h[1].startswith("Measured (2 seeds x 5 epochs") and not h[2], heads
        assert not b.eval("Array.from(document.querySelectorAll('h2')).some(function(h){"
                          "return h.textContent.indexOf('Measured') >= 0;})")
        b.eval("window.dispatchEvent(new Event('beforeprint'))")
        assert b.eval("Array.from(document.querySelectorAll('details.ll-notes')).every(function(d){return d.open;})")
        b.eval("window.dispatchEvent(new Event('afterprint'))")
        assert not b.eval("Array.from(document.querySelectorAll('details.ll-notes')).some(function(d){return d.open;})")
    finally:
        b.call("Emulation.clearDeviceMetricsOverride")
    assert b.problems() == []


def test_the_legend_shows_values_only_under_the_cursor(browser, small_report):
    """With nothing hovered the legend read "epoch: – train loss: – val loss: –". Its values (and the axis's entry)
    now show only while the cursor is on the run's charts; the series' names always."""
    path, ds = small_report
    b = browser
    b.open(path.as_uri(), READY)
    b.eval("document.getElementById('run-1').scrollIntoView()")
    b.wait("document.getElementById('run-1').hasAttribute('data-rendered')")
    b.call("Input.dispatchMouseEvent", type="mouseMoved", x=2, y=2)
    b.pump(0.1)
    seen = ("Array.from(document.querySelectorAll('#ll-chart-1 .u-legend')[0].querySelectorAll('.u-value'))"
            ".map(function(v){return getComputedStyle(v).visibility})")
    names = ("Array.from(document.querySelectorAll('#ll-chart-1 .u-legend')[0].querySelectorAll('tr.u-series th'))"
             ".slice(1).map(function(v){return getComputedStyle(v).visibility})")
    assert set(b.eval(seen)) == {"hidden"} and set(b.eval(names)) == {"visible"}
    box = b.eval("(function(){var r=document.querySelector('#ll-chart-1 .u-over').getBoundingClientRect();"
                 "return {x:r.x,y:r.y,w:r.width,h:r.height};})()")
    for frac in (0.45, 0.5):
        b.call("Input.dispatchMouseEvent", type="mouseMoved", x=box["x"] + box["w"] * frac, y=box["y"] + box["h"] / 2)
    b.pump(0.1)
    assert set(b.eval(seen)) == {"visible"}
    b.call("Input.dispatchMouseEvent", type="mouseMoved", x=2, y=2)
    assert b.problems() == []
