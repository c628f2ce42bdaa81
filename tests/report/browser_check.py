"""Opens report pages in headless Chromium and checks what a person would see.

Chromium is driven through its DevTools protocol over a pipe (--remote-debugging-pipe: JSON
messages ending in NUL on file descriptors 3 and 4), so the check needs nothing but Python's
standard library and Debian's chromium. For every page it fails on a console error, an
uncaught exception or any request that leaves the page (reports are self-contained); then it
checks by pixels that every image of the grid is drawn as embedded (the screenshot of a cell
against the decoded PNG it embeds), that every chart draws each of its series in its colour,
and that a click enlarges an image and Escape closes it again.

usage: browser_check.py CHROMIUM SHOTS_DIR PAGE.html[:min_grids:min_charts] ...
"""
import base64
import fcntl
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
import zlib


class Failure(Exception):
    pass


# ---- PNG decoding (8-bit grey, RGB or RGBA, not interlaced: what Chromium and stb write) ----

def decode_png(data):
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise Failure("not a PNG")
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or interlace or colour not in (0, 2, 6):
                raise Failure("unsupported PNG (depth %d, colour %d, interlace %d)" % (depth, colour, interlace))
            channels = {0: 1, 2: 3, 6: 4}[colour]
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    # As RGB triples.
    def pixel(x, y):
        r = rows[y]
        if channels == 1:
            return (r[x], r[x], r[x])
        return tuple(r[x * channels:x * channels + 3])
    return width, height, pixel


# ---- The DevTools protocol over a pipe ----

class Browser:
    def __init__(self, executable):
        self.profile = tempfile.mkdtemp(prefix="distill-chromium-")
        to_child_r, self.to_child = os.pipe()
        self.from_child, from_child_w = os.pipe()

        def wire():  # in the child: its fd 3 reads our commands, fd 4 carries its replies
            a, b = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10), fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [executable, "--headless", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
             "--user-data-dir=" + self.profile, "about:blank"],
            preexec_fn=wire, pass_fds=(), close_fds=False, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        os.close(to_child_r)
        os.close(from_child_w)
        self.buffer = b""
        self.next_id = 0
        self.events = []

    def send(self, method, params=None, session=None, timeout=60):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_child, json.dumps(message).encode() + b"\0")
        deadline = time.time() + timeout
        while True:
            reply = self.receive(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise Failure("%s: %s" % (method, reply["error"]))
                return reply.get("result", {})
            self.events.append(reply)

    def receive(self, deadline):
        while b"\0" not in self.buffer:
            if time.time() > deadline:
                raise Failure("Chromium did not answer in time")
            chunk = os.read(self.from_child, 1 << 20)
            if not chunk:
                raise Failure("Chromium closed the pipe (exit code %s)" % self.proc.poll())
            self.buffer += chunk
        text, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(text)

    def wait_for(self, method, session, timeout=60):
        deadline = time.time() + timeout
        for i, e in enumerate(self.events):
            if e.get("method") == method and e.get("sessionId") == session:
                return self.events.pop(i)
        while True:
            e = self.receive(deadline)
            if e.get("method") == method and e.get("sessionId") == session:
                return e
            self.events.append(e)

    def close(self):
        try:
            self.send("Browser.close", timeout=10)
        except Failure:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        subprocess.run(["rm", "-rf", self.profile])


# ---- The checks ----

def close_to(p, q, tolerance=60):
    return sum(abs(a - b) for a, b in zip(p, q)) <= tolerance


def hex_rgb(color):
    color = color.lstrip("#")
    return tuple(int(color[i:i + 2], 16) for i in (0, 2, 4))


def check_page(browser, page, shots, min_grids, min_charts):
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        browser.send(domain + ".enable", session=session)
    browser.send("Emulation.setDeviceMetricsOverride",
                 {"width": 1400, "height": 1000, "deviceScaleFactor": 1, "mobile": False}, session=session)
    url = "file://" + os.path.abspath(page)
    browser.send("Page.navigate", {"url": url}, session=session)
    browser.wait_for("Page.loadEventFired", session)

    def evaluate(expression):
        r = browser.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                              "awaitPromise": True}, session=session)
        if "exceptionDetails" in r:
            raise Failure("%s: evaluating %s: %s" % (page, expression[:60], r["exceptionDetails"]))
        return r["result"].get("value")

    def shot(x, y, w, h, name=None):
        r = browser.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                   "clip": {"x": x, "y": y, "width": w, "height": h, "scale": 1}},
                         session=session)
        data = base64.b64decode(r["data"])
        if name:
            with open(os.path.join(shots, name), "wb") as f:
                f.write(data)
        return decode_png(data)

    # Wait until every image has decoded.
    evaluate("Promise.all([...document.images].map(i => i.decode().catch(() => null)))")
    name = os.path.splitext(os.path.basename(page))[0] + "-" + os.path.basename(os.path.dirname(os.path.abspath(page)))
    height = evaluate("document.documentElement.scrollHeight")
    shot(0, 0, 1400, min(height, 6000), name + ".png")  # the whole page, for people to look at

    broken = evaluate("[...document.querySelectorAll('img.cell')].filter(i => !i.complete || i.naturalWidth === 0)"
                      ".length")
    if broken:
        raise Failure("%s: %d images of the grid did not decode" % (page, broken))

    # The grids: each cell's screenshot is its embedded PNG, scaled up by nearest neighbour.
    cells = evaluate("""[...document.querySelectorAll('[data-grid]')].map(g => ({grid: g.dataset.grid,
        cells: [...g.querySelectorAll('img.cell')].slice(0, 12).map(i => { const r = i.getBoundingClientRect();
          return {x: r.x + scrollX, y: r.y + scrollY, w: r.width, h: r.height, src: i.src}; })}))""")
    if len(cells) < min_grids:
        raise Failure("%s: %d image grids, expected at least %d" % (page, len(cells), min_grids))
    for grid in cells:
        if not grid["cells"]:
            raise Failure("%s: grid %s has no images" % (page, grid["grid"]))
        for cell in grid["cells"]:
            iw, ih, ipix = decode_png(base64.b64decode(cell["src"].split(",", 1)[1]))
            sw, sh, spix = shot(cell["x"], cell["y"], cell["w"], cell["h"])
            total, off, n = 0, 0, 0
            for j in range(ih):
                for i in range(iw):
                    # The centre of the block that image pixel (i, j) becomes. A block edge may fall
                    # a pixel away from where the layout puts it, so a few samples may see the
                    # neighbour: the check bounds the mean and the share of such samples.
                    sx, sy = min(sw - 1, int((i + 0.5) * sw / iw)), min(sh - 1, int((j + 0.5) * sh / ih))
                    d = max(abs(a - b) for a, b in zip(ipix(i, j), spix(sx, sy)))
                    total, off, n = total + d, off + (d > 32), n + 1
            if total / n > 6 or off > 0.05 * n:
                raise Failure("%s: grid %s: the drawn image differs from the embedded one (mean difference %.1f, "
                              "%d of %d pixels off)" % (page, grid["grid"], total / n, off, n))

    # The charts: every series is drawn in its colour.
    charts = evaluate("""[...document.querySelectorAll('svg[data-chart]')].map(s => { const r = s.getBoundingClientRect();
        return {id: s.dataset.chart, x: r.x + scrollX, y: r.y + scrollY, w: r.width, h: r.height,
          colors: [...new Set([...s.querySelectorAll('polyline, circle')].map(p => p.getAttribute('stroke') ||
                                                                                   p.getAttribute('fill')))]}; })""")
    drawn = [c for c in charts if c["colors"]]
    if len(drawn) < min_charts:
        raise Failure("%s: %d charts with curves (%s), expected at least %d"
                      % (page, len(drawn), ", ".join(c["id"] for c in charts), min_charts))
    for c in drawn:
        w, h, pix = shot(round(c["x"]), round(c["y"]), int(c["w"]), int(c["h"]))
        pixels = [pix(x, y) for y in range(h) for x in range(w)]
        for color in c["colors"]:
            rgb = hex_rgb(color)
            hits = sum(1 for p in pixels if close_to(p, rgb))
            if hits < 12:
                raise Failure("%s: chart %s: series colour %s appears in %d pixels" % (page, c["id"], color, hits))

    # Click to enlarge, Escape to close.
    if cells:
        evaluate("document.querySelector('img.cell').click()")
        box = evaluate("""(() => { const b = document.getElementById('lightbox'); const i = document.getElementById(
            'lightbox-image'); const r = i.getBoundingClientRect(); return {hidden: b.hidden, x: r.x, y: r.y,
            w: r.width, h: r.height, same: i.src === document.querySelector('img.cell').src}; })()""")
        if box["hidden"] or not box["same"] or box["w"] < 300:
            raise Failure("%s: a click did not enlarge the image (%s)" % (page, box))
        w, h, pix = shot(box["x"], box["y"], box["w"], box["h"], name + "-enlarged.png")
        colours = {pix(x, y) for y in range(0, h, 4) for x in range(0, w, 4)}
        if len(colours) < 8:
            raise Failure("%s: the enlarged image shows %d colours" % (page, len(colours)))
        evaluate("document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape'}))")
        if not evaluate("document.getElementById('lightbox').hidden"):
            raise Failure("%s: Escape did not close the enlarged image" % page)

    # Everything the page said or asked for while it was open.
    problems = []
    for e in browser.events:
        if e.get("sessionId") != session:
            continue
        m, p = e.get("method"), e.get("params", {})
        if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert", "warning"):
            problems.append("console %s: %s" % (p["type"], " ".join(str(a.get("value", a.get("description")))
                                                                   for a in p.get("args", []))))
        elif m == "Runtime.exceptionThrown":
            problems.append("exception: %s" % p["exceptionDetails"].get("exception", {}).get("description"))
        elif m == "Log.entryAdded" and p["entry"]["level"] == "error":
            problems.append("log error: %s" % p["entry"]["text"])
        elif m == "Network.requestWillBeSent" and not p["request"]["url"].startswith(("data:", url)):
            problems.append("the page fetched %s" % p["request"]["url"])
    if problems:
        raise Failure("%s: %s" % (page, "; ".join(problems)))
    browser.send("Target.closeTarget", {"targetId": target})
    print("ok: %s: %d grids as embedded, %d charts drawn%s, no console errors"
          % (page, len(cells), len(drawn), ", enlarging works" if cells else ""))


def main():
    executable, shots, pages = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.makedirs(shots, exist_ok=True)
    browser = Browser(executable)
    try:
        browser.send("Browser.getVersion")
        for spec in pages:
            path, grids, charts = (spec.split(":") + ["0", "0"])[:3]
            check_page(browser, path, shots, int(grids), int(charts))
    except Failure as e:
        print("FAIL: %s" % e)
        return 1
    finally:
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
