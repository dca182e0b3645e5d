"""Headless Chromium driven through the DevTools protocol over a pipe (no websocket, no extra
package): open a page with the network off, wait for a marker the page writes, collect console
errors, exceptions and every request, take a screenshot. Used by tests/test_graph_browser.py and
tests/bench/graph_bench.py."""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import struct
import subprocess
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--window-size=1280,800",
    # no network: an unroutable proxy and no name resolution, besides the offline emulation
    "--proxy-server=127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)


def chromium_binary() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass(slots=True)
class PageResult:
    marker: str | None  # the value of the attribute waited for (None: timed out)
    seconds: float  # wall time from navigation to the marker
    errors: list[str] = field(default_factory=list)  # console errors and uncaught exceptions
    requests: list[str] = field(default_factory=list)  # every URL the page asked for
    screenshot: bytes = b""
    values: dict[str, Any] = field(default_factory=dict)  # the expressions evaluated at the end


class Chromium:
    def __init__(self, binary: str) -> None:
        self.profile = tempfile.mkdtemp(prefix="slr-chromium-")
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        # chromium reads commands on fd 3 and writes on fd 4: move both ends above 10 first
        child_in = fcntl.fcntl(to_child_r, fcntl.F_DUPFD_CLOEXEC, 10)
        child_out = fcntl.fcntl(from_child_w, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(to_child_r)
        os.close(from_child_w)

        def setup() -> None:
            os.dup2(child_in, 3)
            os.dup2(child_out, 4)

        self.process = subprocess.Popen(
            [
                binary,
                *FLAGS,
                f"--user-data-dir={self.profile}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=False,
            preexec_fn=setup,
        )
        os.close(child_in)
        os.close(child_out)
        self.write = to_child_w
        self.read = from_child_r
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        self.session = ""

    def _send(self, method: str, params: dict[str, Any] | None = None, session: str = "") -> int:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.write, json.dumps(message).encode() + b"\0")
        return self.next_id

    def _receive(self, deadline: float) -> dict[str, Any] | None:
        import select

        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.read], [], [], left)
            if not ready:
                return None
            chunk = os.read(self.read, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self.buffer += chunk
        message, _, self.buffer = self.buffer.partition(b"\0")
        return json.loads(message)

    def call(
        self, method: str, params: dict[str, Any] | None = None, session: str = "", timeout=30.0
    ) -> dict[str, Any]:
        wanted = self._send(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            message = self._receive(deadline)
            if message is None:
                raise TimeoutError(method)
            if message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def open(
        self,
        path: Path,
        attribute: str = "data-drawn-ms",
        timeout: float = 30.0,
        evaluate: dict[str, str] | None = None,
    ) -> PageResult:
        targets = self.call("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        session = self.call(
            "Target.attachToTarget", {"targetId": page["targetId"], "flatten": True}
        )["sessionId"]
        self.session = session
        for method in ("Runtime.enable", "Log.enable", "Network.enable", "Page.enable"):
            self.call(method, session=session)
        self.call(
            "Network.emulateNetworkConditions",
            {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
            session=session,
        )
        self.events.clear()
        start = time.monotonic()
        self.call("Page.navigate", {"url": path.resolve().as_uri()}, session=session)
        marker = None
        expression = f"document.body ? document.body.getAttribute({json.dumps(attribute)}) : null"
        while time.monotonic() - start < timeout:
            value = self.call(
                "Runtime.evaluate", {"expression": expression, "returnByValue": True}, session
            )["result"].get("value")
            if value is not None:
                marker = value
                break
            time.sleep(0.05)
        seconds = time.monotonic() - start
        result = PageResult(marker, seconds)
        for name, code in (evaluate or {}).items():
            result.values[name] = self.call(
                "Runtime.evaluate", {"expression": code, "returnByValue": True}, session
            )["result"].get("value")
        shot = self.call("Page.captureScreenshot", {"format": "png"}, session)
        result.screenshot = base64.b64decode(shot["data"])
        # let late messages arrive, then read the events
        deadline = time.monotonic() + 0.3
        while self._receive(deadline) is not None:
            pass
        for event in self.events:
            if event.get("sessionId") != session:
                continue  # an earlier page's session
            method = event.get("method")
            params = event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                result.errors.append(
                    "console: "
                    + " ".join(str(a.get("value", a.get("description"))) for a in params["args"])
                )
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                result.errors.append(
                    "exception: "
                    + str(details.get("exception", {}).get("description", details.get("text")))
                )
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                result.errors.append("log: " + params["entry"].get("text", ""))
            elif method == "Page.javascriptDialogOpening":
                result.errors.append("dialog: " + params.get("message", ""))
            elif method == "Network.requestWillBeSent":
                result.requests.append(params["request"]["url"])
        return result

    def evaluate(self, expression: str) -> Any:
        """Evaluate in the page last opened; the value (JSON-able)."""
        reply = self.call(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True}, self.session
        )
        if "exceptionDetails" in reply:
            raise RuntimeError(str(reply["exceptionDetails"]))
        return reply["result"].get("value")

    def move(self, x: float, y: float) -> None:
        self.call("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y}, self.session)

    def click(self, x: float, y: float) -> None:
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1},
                self.session,
            )

    def close(self) -> None:
        try:
            self._send("Browser.close")
            self.process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        os.close(self.write)
        os.close(self.read)
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and the RGB(A) rows of an 8-bit PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position = 8
    idat = b""
    width = height = 0
    channels = 4
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8
            channels = {2: 3, 6: 4, 0: 1, 4: 2}[colour]
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytes] = []
    previous = bytearray(stride)
    offset = 0
    for _ in range(height):
        kind = raw[offset]
        line = bytearray(raw[offset + 1 : offset + 1 + stride])
        offset += 1 + stride
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + pred) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, rows


def coloured_pixels(data: bytes, right: int) -> int:
    """Pixels of the screenshot, left of x = `right` (the graph's canvas), that are neither
    white nor grey: the coloured nodes and edges."""
    width, _height, rows = png_pixels(data)
    channels = len(rows[0]) // width
    count = 0
    for row in rows[::2]:
        for x in range(0, min(right, width), 2):
            r, g, b = row[x * channels : x * channels + 3]
            if max(r, g, b) - min(r, g, b) > 40:
                count += 1
    return count
