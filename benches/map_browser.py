#!/usr/bin/env python3
"""Time to draw the map's case layer in headless Chromium (README, "In the browser").

Usage: map_browser.py BASE_URL [USERNAME]   (password: the demo password)

Drives Debian's chromedriver over WebDriver with the standard library only:
logs in, opens /map at 1280x800, waits until map.js has drawn the cases of
the first view (the whole town), then zooms in with the keyboard to street
zoom and waits again. Prints, per view, what map.js wrote on #map: the
answer's mode, cases in view, features drawn, the request's time, the time
from the answer to the painted frame, and the time since navigation.
"""
import json
import subprocess
import sys
import time
import urllib.request

BASE = sys.argv[1].rstrip("/")
USER = sys.argv[2] if len(sys.argv) > 2 else "admin"
PORT = 9519


def call(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{PORT}{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read() or b"null")["value"]


def main():
    driver = subprocess.Popen(["chromedriver", f"--port={PORT}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):
            try:
                call("GET", "/status")
                break
            except OSError:
                time.sleep(0.1)
        caps = {"capabilities": {"alwaysMatch": {"goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--window-size=1280,800"]}}}}
        sid = call("POST", "/session", caps)["sessionId"]
        s = f"/session/{sid}"
        run = lambda js, *args: call("POST", f"{s}/execute/sync", {"script": js, "args": list(args)})
        call("POST", f"{s}/url", {"url": f"{BASE}/login"})
        run("document.querySelector('[name=username]').value = arguments[0];"
            "document.querySelector('[name=password]').value = 'gridsafe-demo';"
            "document.querySelector('form').submit();", USER)
        time.sleep(1.0)
        call("POST", f"{s}/url", {"url": f"{BASE}/map"})

        def wait_for(seq):
            for _ in range(600):
                d = run("return Object.assign({}, document.getElementById('map').dataset);")
                if d and int(d.get("casesSeq", "0")) >= seq:
                    return d
                time.sleep(0.05)
            raise SystemExit("the cases were not drawn in 30 s")

        first = wait_for(1)
        report("town (first view)", first)
        el = call("POST", f"{s}/element", {"using": "css selector", "value": "#map"})
        key = list(el.values())[0]
        run("document.getElementById('map').focus();")
        for _ in range(10):  # zoomDelta 0.5: five levels in
            call("POST", f"{s}/element/{key}/value", {"text": "="})
            time.sleep(0.05)
        time.sleep(1.0)
        d = wait_for(int(first["casesSeq"]) + 1)
        seq = int(d["casesSeq"])
        time.sleep(1.0)
        d = wait_for(seq)
        report("street (keyboard zoom)", d)
        call("DELETE", s)
    finally:
        driver.terminate()


def report(name, d):
    print(f"{name:<24} zoom={d.get('casesZoom')} mode={d.get('casesMode')} in-view={d.get('casesTotal')} features={d.get('casesFeatures')} "
          f"request={d.get('casesFetchMs')} ms draw={d.get('casesDrawMs')} ms since-navigation={d.get('casesAtMs')} ms")


if __name__ == "__main__":
    main()
