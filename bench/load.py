"""Load through HTTP: the app served by gunicorn, driven by wrk, both outside this process.

gunicorn runs 4 workers × 4 threads (gthread), as a small office would deploy it; wrk keeps its
connections alive across 2 threads, so that the client is not the bottleneck, and runs in its
own process. Each measurement is a few seconds of wrk against one route.
"""

import os
import re
import socket
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"

# wrk prints the 50/75/90/99th percentiles; the 95th comes from the script's done().
DONE = """
function done(summary, latency, requests)
  io.write(string.format("p95 %d\\n", latency:percentile(95)))
end
"""

GET_SCRIPT = (
    """
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer {token}"
"""
    + DONE
)

# Each wrk thread takes every other pair, so no two requests approve the same nomination.
APPROVE_SCRIPT = """
local pairs_ = {{{pairs}}}
local threads = 0
function setup(thread)
  thread:set("offset", threads)
  threads = threads + 1
end
function init(args)
  sent = 0
end
function request()
  local pair = pairs_[offset + 1 + sent * {threads}]
  sent = sent + 1
  if pair == nil then
    pair = pairs_[1]  -- out of nominations: a 409, counted apart
  end
  return wrk.format("POST", "/api/v1/nominations/" .. pair[1] .. "/actions/approve",
    {{["Authorization"] = "Bearer " .. pair[2], ["Content-Type"] = "application/json"}},
    '{{"version": ' .. pair[3] .. '}}')
end
-- Each refusal on a line of its own: its status and the problem's title.
function response(status, headers, body)
  if status ~= 200 then
    local title = string.match(body, '"title": *"([^"]*)"') or ""
    io.write("refused " .. status .. " " .. title .. "\\n")
  end
end
"""


# GET /me, then a route, then GET /me again, each for {phase} s, on the same connections: one
# connection per wrk thread, so that a thread's request() and response() alternate and time one
# request each (LuaJIT's ffi reads the monotonic clock). The first {settle} s of each phase, while
# the previous one's last requests finish, are not counted.
PAIRED_SCRIPT = """
local ffi = require("ffi")
ffi.cdef[[
typedef struct {{ long tv_sec; long tv_nsec; }} bench_timespec;
int clock_gettime(int clock_id, bench_timespec *now);
]]
local clock = ffi.new("bench_timespec")
local function now()
  ffi.C.clock_gettime(1, clock)
  return tonumber(clock.tv_sec) + tonumber(clock.tv_nsec) / 1e9
end
local threads = {{}}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  me_request = wrk.format("GET", "{me_path}", {{["Authorization"] = "Bearer {me_token}"}})
  route_request = wrk.format("GET", "{route_path}", {{["Authorization"] = "Bearer {route_token}"}})
  started = now()
  me, route, bad = {{}}, {{}}, 0
end
function request()
  sent = now()
  local elapsed = sent - started
  phase = math.floor(elapsed / {phase})
  counted = elapsed - phase * {phase} >= {settle}
  if phase == 1 then
    return route_request
  end
  return me_request
end
function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
  end
  if counted and phase <= 2 then
    local into = phase == 1 and route or me
    into[#into + 1] = (now() - sent) * 1000
  end
end
local function p95(name)
  local all = {{}}
  for _, thread in ipairs(threads) do
    for _, value in ipairs(thread:get(name)) do
      all[#all + 1] = value
    end
  end
  table.sort(all)
  return all[math.max(1, math.ceil(#all * 0.95))] or -1, #all
end
function done(summary, latency, requests)
  local bad_total = 0
  for _, thread in ipairs(threads) do
    bad_total = bad_total + thread:get("bad")
  end
  io.write(string.format("me %f %d\\n", p95("me")))
  io.write(string.format("route %f %d\\n", p95("route")))
  io.write(string.format("bad %d\\n", bad_total))
end
"""


def paired(url, me, route, *, phase=4, settle=0.5, connections=8):
    """(p95 of GET /me, p95 of the route) in ms, from one wrk run on the same `connections`:
    GET /me, then the route, then GET /me again, `phase` seconds each. `me` and `route` are
    (path, token).

    Measured in separate runs, the two did not see the same server: gunicorn's workers race to
    accept wrk's keep-alive connections, and how they split them (4+4, or all 8 on one worker,
    which halves the rate and doubles the p95 of GET /me) changed from run to run, and with it
    a route's ratio to GET /me by up to 2× for the same code."""
    script = PAIRED_SCRIPT.format(
        me_path=me[0],
        me_token=me[1],
        route_path=route[0],
        route_token=route[1],
        phase=phase,
        settle=settle,
    )
    output = run_wrk(url, script, seconds=3 * phase, connections=connections, threads=connections)
    found = dict(re.findall(r"^(me|route) ([\d.-]+) \d+$", output, re.M))
    bad = int(re.search(r"^bad (\d+)$", output, re.M).group(1))
    if bad or len(found) != 2 or min(float(value) for value in found.values()) < 0:
        raise RuntimeError(f"wrk: {bad} answers other than 200, or no timings: {output}")
    return float(found["me"]), float(found["route"])


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn serving web:create_app() with the given settings, on a free loopback port."""

    def __init__(self, database_url, *, broker=None, workers=4, threads=4):
        self.port = free_port()
        self.instance = tempfile.mkdtemp(prefix="commend-bench-")
        env = {
            **os.environ,
            "COMMEND_ENV": "production",
            "SECRET_KEY": "bench-only-key",
            "DATABASE_URL": database_url,
            "COMMEND_INSTANCE_PATH": self.instance,
        }
        env.pop("CELERY_BROKER_URL", None)
        env.pop("SMTP_URL", None)
        if broker:
            env["CELERY_BROKER_URL"] = broker
        self.workers = workers
        self.ready = Path(self.instance, "ready")
        self.ready.mkdir()
        env["BENCH_READY_DIR"] = str(self.ready)
        # One JSON line per request, as in production; kept out of the bench's own output.
        self.log = open(os.path.join(self.instance, "gunicorn.log"), "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                str(GUNICORN),
                "-w",
                str(workers),
                "--threads",
                str(threads),
                "-k",
                "gthread",
                "-b",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                "-c",
                str(ROOT / "bench" / "gunicorn_ready.py"),
                "web:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stderr=self.log,
        )
        self._wait_until_serving()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def _wait_until_serving(self):
        deadline = time.monotonic() + 120
        while len(list(self.ready.iterdir())) < self.workers:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("gunicorn's workers did not all start")
            time.sleep(0.2)
        # Every worker's first requests are slower (imports, connections): warm them all.
        subprocess.run(
            ["wrk", "-t2", "-c16", "-d2s", f"{self.url}/api/v1/me"], capture_output=True, check=True
        )

    def stop(self):
        self.process.terminate()
        self.process.wait(30)
        self.log.close()


def run_wrk(url, script, *, seconds, connections, threads):
    """What wrk printed, run with the Lua `script` against `url`."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script)
    try:
        return subprocess.run(
            [
                "wrk",
                *("-t", str(threads), "-c", str(connections), "-d", f"{seconds}s"),
                *("--latency", "-s", lua.name, url),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(lua.name)


def wrk(url, script, *, seconds=8, connections=8, threads=2):
    """Requests per second, the latency percentiles (ms), and the non-2xx answers."""
    output = run_wrk(url, script, seconds=seconds, connections=connections, threads=threads)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    latency = {
        percent: _milliseconds(value)
        for percent, value in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+\w+)", output, re.M)
    }
    p95 = re.search(r"^p95 (\d+)", output, re.M)
    if p95:
        latency["95"] = int(p95.group(1)) / 1000  # microseconds
    refused = Counter(re.findall(r"^refused (.*)$", output, re.M))
    return {
        "rate": rate,
        "latency": latency,
        "errors": int(errors.group(1)) if errors else 0,
        "refused": dict(refused.most_common()),
    }


def _milliseconds(text):
    number, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def get(url, token, **options):
    return wrk(url, GET_SCRIPT.format(token=token), **options)


def approve(url, pairs, **options):
    """Approve distinct nominations: `pairs` of (id, reviewer's token, version)."""
    body = ",".join(f'{{{number},"{token}",{version}}}' for number, token, version in pairs)
    threads = options.get("threads", 2)
    return wrk(url, APPROVE_SCRIPT.format(pairs=body, threads=threads) + DONE, **options)


def cpu_seconds(pattern):
    """CPU time (s) used so far by the processes whose command line matches `pattern`."""
    ticks = 0
    found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout
    for pid in found.split():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def profile(pids, seconds, path):
    """Sample every gunicorn worker with py-spy while the load runs (wrk's keep-alive
    connections may all land on some of them): the raw samples of all, appended to `path` when
    `wait()` is called; None when py-spy is not installed."""
    spy = ROOT / ".venv" / "bin" / "py-spy"
    if not spy.exists():
        return None
    parts = [Path(f"{path}.{pid}") for pid in pids]
    processes = [
        subprocess.Popen(
            [
                str(spy),
                "record",
                "-p",
                str(pid),
                "-d",
                str(seconds),
                "-r",
                str(250 // len(pids)),  # the same sampling cost as one worker at 250 Hz
                "-f",
                "raw",
                "-o",
                str(part),
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid, part in zip(pids, parts, strict=True)
    ]

    class Samples:
        def wait(self):
            with Path(path).open("w") as merged:
                for process, part in zip(processes, parts, strict=True):
                    process.wait()
                    if part.exists():
                        text = part.read_text()
                        merged.write(text if text.endswith("\n") or not text else text + "\n")
                        part.unlink()

    return Samples()


def workers_of(server):
    found = subprocess.run(
        ["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True
    ).stdout
    return [int(pid) for pid in found.split()]


def top_functions(raw_path, count=30):
    """The frames holding most of the samples, inclusive: [(share, frame)], and the total.
    Frames every sample passes through (the thread, gunicorn's loop) are left out."""
    totals, samples = {}, 0
    for line in Path(raw_path).read_text().splitlines():
        if not line.strip():
            continue
        stack, _, number = line.rpartition(" ")
        samples += int(number)
        for frame in set(stack.split(";")):
            totals[frame] = totals.get(frame, 0) + int(number)
    ranked = sorted(((n / samples, frame) for frame, n in totals.items()), reverse=True)
    return [(share, frame) for share, frame in ranked if share < 0.9][:count], samples
