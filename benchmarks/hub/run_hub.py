"""A real course JupyterHub on 127.0.0.1, end to end: N students open the course through an
nbgitpuller link, run notebook 01 and move its sliders in Chromium.

Usage::

    python benchmarks/hub/run_hub.py --students 8          # a table
    python benchmarks/hub/run_hub.py --students 2 --json   # the whole report as JSON

What it stands up, in a temporary run folder (removed afterwards unless ``--keep``):

* a venv with ``jupyterhub`` and ``pip install -r binder/requirements.txt`` run from the
  repository root: the per-user image's packages (the package with ``-e .``, voila, nbgitpuller);
  ``--venv DIR`` re-uses one made before (it is then kept);
* configurable-http-proxy from npm (``npm install`` into the run folder);
* a bare clone of this repository, the "course" the nbgitpuller link pulls (branch ``course`` at
  the repository's HEAD commit: what is committed, not the working tree);
* JupyterHub with the shared-password authenticator and ``SimpleLocalProcessSpawner`` (local
  processes, no isolation: for tests only), every port on 127.0.0.1 and free.

Then one Chromium (Debian's ``/usr/bin/chromium`` via Playwright; no browser is downloaded)
with one context per student, all at once: log in through the link, wait for the clone and
JupyterLab, clear the outputs of notebook 01 and run all cells; when every student got there,
all of them press keys on the dashboard's slider handles at once, and the time from a key press
to the new picture is taken inside the page. Memory is the resident size (VmRSS, and VmHWM, the
peak) from /proc of every process of the run: kernels, single-user servers, the hub, the proxy.

Everything it started is stopped in a ``finally``: the browser, then SIGTERM to the hub (which
stops the proxy, the servers and their kernels), then any process of the run still alive
(recognized by the run folder in its environment), SIGTERM then SIGKILL.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("HUB_BENCH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [  # the browser-tests note: headless=False plus --headless=new
    "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PROXY_PACKAGE = "configurable-http-proxy@5.3.0"
PASSWORD = "course-test"
MARKER = "COURSE_HUB_RUN"  # in the environment of every process of a run: its run folder
PICTURE_TIMEOUT_S = 60.0


# ---------------------------------------------------------------- processes of the run
def _proc_environ(pid: int) -> dict[str, str]:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return {}
    pairs = (item.partition(b"=") for item in raw.split(b"\0") if item)
    return {k.decode(errors="replace"): v.decode(errors="replace") for k, _, v in pairs}


def _proc_cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _proc_memory(pid: int) -> dict[str, float]:
    values = {}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    values[key] = int(rest.split()[0]) / 1024.0  # kB -> MiB
    except OSError:
        pass
    return values


def _kind(cmdline: list[str]) -> str:
    text = " ".join(cmdline)
    if "ipykernel_launcher" in text or "ipykernel" in text:
        return "kernel"
    if "jupyterhub-singleuser" in text:
        return "server"
    if "configurable-http-proxy" in text:
        return "proxy"
    if "jupyterhub" in text:
        return "hub"
    return "other"


def run_processes(run: Path) -> list[dict]:
    """Every live process whose environment names ``run`` as its run folder."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        pid = int(entry.name)
        environ = _proc_environ(pid)
        if environ.get(MARKER) != str(run):
            continue
        cmdline = _proc_cmdline(pid)
        if not cmdline:  # a zombie or gone
            continue
        memory = _proc_memory(pid)
        found.append({"pid": pid, "kind": _kind(cmdline), "user": environ.get("JUPYTERHUB_USER"),
                      "rss_mib": round(memory.get("VmRSS", 0.0), 1),
                      "peak_mib": round(memory.get("VmHWM", 0.0), 1),
                      "cmd": " ".join(cmdline)[:160]})
    return found


def stop_leftovers(run: Path, grace_s: float = 5.0) -> list[dict]:
    """SIGTERM, then SIGKILL, every process of the run still alive; returns what was found."""
    leftovers = run_processes(run)
    for process in leftovers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process["pid"], signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and run_processes(run):
        time.sleep(0.2)
    for process in run_processes(run):
        with contextlib.suppress(ProcessLookupError):
            os.kill(process["pid"], signal.SIGKILL)
    return leftovers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def prerequisites() -> list[str]:
    """What this machine lacks for the run (empty: it can run)."""
    missing = []
    for tool in ("node", "npm", "git"):
        if shutil.which(tool) is None:
            missing.append(f"{tool} not on PATH")
    if not (os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        missing.append(f"{CHROMIUM} not found (apt-get install chromium)")
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        missing.append("playwright is not installed (pip install -r requirements-test.txt)")
    if not Path("/proc/self/status").exists():
        missing.append("no /proc (Linux only)")
    return missing


# ---------------------------------------------------------------- set-up
def _check(command: list, *, cwd: Path, env: dict | None = None, timeout: float = 900) -> None:
    done = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, command[:4]))} failed ({done.returncode}):\n"
                           f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}")


def make_venv(venv: Path) -> None:
    """The per-user environment: what repo2docker installs from binder/, plus jupyterhub."""
    _check([sys.executable, "-m", "venv", venv], cwd=REPO)
    _check([venv / "bin/python", "-m", "pip", "install", "-q", "jupyterhub",
            "-r", "binder/requirements.txt"], cwd=REPO, timeout=1500)


def install_proxy(run: Path) -> Path:
    _check(["npm", "install", "--prefix", run / "proxy", "--no-audit", "--no-fund",
            "--loglevel=error", PROXY_PACKAGE], cwd=run, timeout=600)
    return run / "proxy/node_modules/.bin/configurable-http-proxy"


def bare_course(run: Path) -> Path:
    """A bare clone of this repository with branch ``course`` at its HEAD commit."""
    course = run / "course.git"
    head = subprocess.run(["git", "-C", REPO, "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()
    _check(["git", "clone", "--bare", "-q", REPO, course], cwd=run)
    _check(["git", "--git-dir", course, "update-ref", "refs/heads/course", head], cwd=run)
    return course


def write_config(run: Path, venv: Path, proxy: Path, ports: dict) -> Path:
    config = run / "jupyterhub_config.py"
    env = {"PATH": f"{venv}/bin:/usr/local/bin:/usr/bin:/bin", MARKER: str(run)}
    config.write_text(f'''# Written by benchmarks/hub/run_hub.py: a course hub on loopback.
c = get_config()  # noqa
c.JupyterHub.bind_url = "http://127.0.0.1:{ports['hub']}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{ports['hub_api']}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{ports['proxy_api']}"
c.ConfigurableHTTPProxy.command = [{str(proxy)!r}]
c.JupyterHub.db_url = "sqlite:///{run}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{run}/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = "{run}/jupyterhub.pid"
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = {PASSWORD!r}
c.SharedPasswordAuthenticator.admin_password = {secrets.token_hex(24)!r}
c.Authenticator.admin_users = {{"instructor"}}
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"  # SimpleLocalProcessSpawner: tests only, no isolation
c.SimpleLocalProcessSpawner.home_dir_template = "{run}/home/{{username}}"
c.Spawner.cmd = ["{venv}/bin/jupyterhub-singleuser"]
c.Spawner.default_url = "/lab"
c.Spawner.args = ["--allow-root", "--LabApp.expose_app_in_browser=True",
                  "--LabApp.news_url=None",
                  "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
c.Spawner.environment = {env!r}
c.Spawner.start_timeout = 300
c.Spawner.http_timeout = 240
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True
''')
    return config


def start_hub(run: Path, venv: Path, config: Path, port: int, timeout_s: float = 120):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("VIRTUAL_ENV", "PYTHONPATH", "JUPYTER", "IPYTHON"))}
    env.update({"PATH": f"{venv}/bin:{env.get('PATH', '/usr/bin:/bin')}", MARKER: str(run)})
    log = open(run / "hub.log", "w")  # noqa: SIM115 - closed in stop_hub
    hub = subprocess.Popen([str(venv / "bin/jupyterhub"), "-f", str(config)], cwd=run, env=env,
                           stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    hub.log_file = log
    deadline = time.monotonic() + timeout_s
    while True:
        if hub.poll() is not None:
            raise RuntimeError(f"jupyterhub exited with {hub.returncode}:\n"
                               f"{_tail(run / 'hub.log')}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/hub/health", timeout=5) as r:
                if r.status == 200:
                    return hub
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the hub did not answer within {timeout_s} s:\n"
                               f"{_tail(run / 'hub.log')}")
        time.sleep(0.5)


def stop_hub(hub) -> float:
    """SIGTERM the hub, wait; seconds it took (it stops proxy, servers and kernels)."""
    began = time.monotonic()
    if hub.poll() is None:
        hub.send_signal(signal.SIGTERM)
        try:
            hub.wait(timeout=60)
        except subprocess.TimeoutExpired:
            hub.kill()
            hub.wait(timeout=10)
    hub.log_file.close()
    return time.monotonic() - began


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# ---------------------------------------------------------------- students in Chromium
NOTEBOOK_READY = """() => {
  const app = window.jupyterapp; if (!app) return false;
  const w = app.shell.currentWidget; if (!w || !w.sessionContext || !w.content) return false;
  const s = w.sessionContext, k = s.session && s.session.kernel;
  return s.isReady && !!k && k.status === 'idle' && k.connectionStatus === 'connected';
}"""
CELLS_STATE = """() => {
  const w = window.jupyterapp.shell.currentWidget, cells = w.content.model.cells;
  let code = 0, executed = 0; const errors = [];
  for (let i = 0; i < cells.length; i++) {
    const c = cells.get(i); if (c.type !== 'code') continue;
    code++; if (c.executionCount) executed++;
    for (const o of c.outputs.toJSON())
      if (o.output_type === 'error') errors.push(`cell ${i}: ${o.ename}: ${o.evalue}`);
  }
  const k = w.sessionContext.session && w.sessionContext.session.kernel;
  return {code, executed, errors, idle: !!k && k.status === 'idle'};
}"""
KERNEL_IDLE = """() => { const w = window.jupyterapp.shell.currentWidget;
  const k = w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle'; }"""
# The page probes of the browser tests: the same timing of a key press to a new picture.
sys.path.insert(0, str(REPO / "tests" / "browser"))
from page_probes import ARM_PROBE, SLIDER_STATE  # noqa: E402


@dataclass
class Student:
    name: str
    login_to_lab_s: float | None = None
    run_all_s: float | None = None
    code_cells: int = 0
    executed_cells: int = 0
    new_pictures: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    kernel_rss_mib: float | None = None
    kernel_peak_mib: float | None = None
    server_rss_mib: float | None = None
    errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)  # reported, not failures


class Barrier:
    """Every student arrives once (ready or failed); waiters go on when all have."""

    def __init__(self, count: int) -> None:
        self.count, self.event = count, asyncio.Event()

    def arrive(self) -> None:
        self.count -= 1
        if self.count <= 0:
            self.event.set()

    async def wait(self) -> None:
        await self.event.wait()


async def _student(browser, student: Student, link: str, *, barrier: Barrier, presses: int,
                   timeout_s: float) -> None:
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(timeout_s * 1000)
    page = await context.new_page()
    page.on("pageerror", lambda error: student.errors.append(f"page error: {error}"))
    page.on("console", lambda msg: msg.type == "error" and student.console_errors.append(
        msg.text[:300]))
    arrived = False
    try:
        began = time.monotonic()
        await page.goto(link)
        await page.fill("#username_input", student.name)
        await page.fill("#password_input", PASSWORD)
        await page.click("#login_submit")
        await page.wait_for_url(f"**/user/{student.name}/lab/**", timeout=timeout_s * 1000)
        await page.wait_for_function(NOTEBOOK_READY, polling=250, timeout=timeout_s * 1000)
        student.login_to_lab_s = round(time.monotonic() - began, 1)
        await page.evaluate(
            "() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
        began = time.monotonic()
        await page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        await page.wait_for_function(
            f"() => {{ const s = ({CELLS_STATE})(); return s.idle && "
            "(s.executed === s.code || s.errors.length > 0); }", polling=500,
            timeout=timeout_s * 1000)
        student.run_all_s = round(time.monotonic() - began, 1)
        state = await page.evaluate(CELLS_STATE)
        student.code_cells, student.executed_cells = state["code"], state["executed"]
        student.errors += state["errors"]
        barrier.arrive()
        arrived = True
        await barrier.wait()  # all students press keys at once
        await _press_sliders(page, student, presses)
    except Exception as error:  # one student's failure is reported, the others go on
        student.errors.append(f"{type(error).__name__}: {str(error).splitlines()[0][:300]}")
    finally:
        if not arrived:
            barrier.arrive()
        student.context = context


async def _press_sliders(page, student: Student, presses: int) -> None:
    img = page.locator(".lecture-picture img, img.widget-image").first
    await img.scroll_into_view_if_needed()
    scope = img.locator("xpath=ancestor::*[contains(@class,'jp-OutputArea-output')][1]")
    handles = scope.locator(".widget-slider .noUi-handle")
    count = await handles.count()
    if not count:
        raise AssertionError("no slider next to the dashboard's picture")
    for n in range(presses):
        handle = handles.nth(n % count)
        await handle.focus()
        state = await handle.evaluate(SLIDER_STATE)
        key = "ArrowRight" if (n // count) % 2 == 0 else "ArrowLeft"
        if key == "ArrowRight" and state["now"] >= state["max"]:
            key = "ArrowLeft"
        elif key == "ArrowLeft" and state["now"] <= state["min"]:
            key = "ArrowRight"
        await img.evaluate(ARM_PROBE)
        await page.keyboard.press(key)
        try:
            await page.wait_for_function("() => window.__probe.changed !== null", polling="raf",
                                         timeout=PICTURE_TIMEOUT_S * 1000)
        except Exception:
            student.errors.append(f"press {n} ({key}): no new picture in {PICTURE_TIMEOUT_S} s")
            continue
        result = await page.evaluate("() => ({t0: window.__probe.t0, "
                                     "changed: window.__probe.changed})")
        student.new_pictures += 1
        if result["t0"] is not None:
            student.latencies_ms.append(round(result["changed"] - result["t0"], 1))
        await page.wait_for_function(KERNEL_IDLE, polling=100)


async def drive_students(students: list[Student], link: str, *, presses: int,
                         timeout_s: float, on_ready) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=False,
                                                   args=CHROMIUM_ARGS, timeout=120_000)
        try:
            barrier = Barrier(len(students))
            await asyncio.gather(*(
                _student(browser, s, link.format(user=s.name), barrier=barrier,
                         presses=presses, timeout_s=timeout_s) for s in students))
            on_ready()  # memory while every notebook is open with its kernel
            for s in students:
                with contextlib.suppress(Exception):
                    await s.context.close()
                del s.context
        finally:
            await browser.close()


# ---------------------------------------------------------------- the whole run
def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def run_hub(students: int = 8, *, presses: int = 12, venv: Path | None = None,
            keep: bool = False, timeout_s: float = 900.0, log=print) -> dict:
    """Stand up the hub, drive ``students`` students, stop everything; the report (a dict)."""
    missing = prerequisites()
    if missing:
        raise RuntimeError("cannot run the hub benchmark: " + "; ".join(missing))
    run = Path(tempfile.mkdtemp(prefix="course-hub-")).resolve()
    if log is print:
        started = time.monotonic()

        def log(text):
            print(f"[{time.monotonic() - started:5.0f} s] {text}", flush=True)

    report = {"students": students, "presses_per_student": presses, "run_folder": str(run),
              "cores": os.cpu_count(), "errors": []}
    began = time.monotonic()
    hub = None
    ports = {}
    try:
        if venv is None:
            log(f"[hub] making the per-user venv in {run}/venv (jupyterhub + binder/) ...")
            venv = run / "venv"
            make_venv(venv)
        venv = Path(venv).resolve()
        log("[hub] npm install configurable-http-proxy; bare clone of the course ...")
        proxy = install_proxy(run)
        course = bare_course(run)
        report["setup_s"] = round(time.monotonic() - began, 1)
        ports = {"hub": free_port(), "hub_api": free_port(), "proxy_api": free_port()}
        config = write_config(run, venv, proxy, ports)
        began_hub = time.monotonic()
        hub = start_hub(run, venv, config, ports["hub"])
        report["hub_start_s"] = round(time.monotonic() - began_hub, 1)
        notebook = sorted((REPO / "notebooks").glob("01_*.ipynb"))[0].name
        link = (f"http://127.0.0.1:{ports['hub']}/hub/user-redirect/git-pull?"
                f"repo={quote(str(course), safe='')}&branch=course&targetpath=course&"
                f"urlpath={quote(f'lab/tree/course/notebooks/{notebook}', safe='')}")
        report["link"] = link
        people = [Student(f"student{i + 1:02d}") for i in range(students)]
        memory = {}

        def on_ready():
            memory["processes"] = run_processes(run)

        log(f"[hub] {report['setup_s']} s: {students} students: log in, clone, run {notebook}, "
            "move sliders ...")
        began_students = time.monotonic()
        asyncio.run(drive_students(people, link, presses=presses, timeout_s=timeout_s,
                                   on_ready=on_ready))
        report["students_s"] = round(time.monotonic() - began_students, 1)
        processes = memory.get("processes", [])
        for student in people:
            mine = [p for p in processes if p["user"] == student.name]
            kernels = [p for p in mine if p["kind"] == "kernel"]
            servers = [p for p in mine if p["kind"] == "server"]
            if kernels:
                student.kernel_rss_mib = round(sum(p["rss_mib"] for p in kernels), 1)
                student.kernel_peak_mib = round(sum(p["peak_mib"] for p in kernels), 1)
            if servers:
                student.server_rss_mib = round(sum(p["rss_mib"] for p in servers), 1)
        by_kind = {}
        for process in processes:
            by_kind.setdefault(process["kind"], []).append(process["rss_mib"])
        report["memory_mib"] = {kind: round(sum(v), 1) for kind, v in by_kind.items()}
        report["memory_mib"]["total"] = round(sum(p["rss_mib"] for p in processes), 1)
        kernel_rss = [s.kernel_rss_mib for s in people if s.kernel_rss_mib is not None]
        report["kernel_rss_mib_per_student"] = (round(statistics.mean(kernel_rss), 1)
                                                if kernel_rss else None)
        report["kernel_peak_mib_max"] = max((s.kernel_peak_mib or 0 for s in people), default=0)
        all_ms = [ms for s in people for ms in s.latencies_ms]
        report["key_to_picture_ms"] = {"p50": percentile(all_ms, 0.5),
                                       "p90": percentile(all_ms, 0.9), "n": len(all_ms)}
        report["per_student"] = [
            {**asdict(s), "p50_ms": percentile(s.latencies_ms, 0.5),
             "p90_ms": percentile(s.latencies_ms, 0.9)} for s in people]
    except Exception as error:
        report["errors"].append(f"{type(error).__name__}: {error}")
        if hub is not None:
            report["hub_log_tail"] = _tail(run / "hub.log")
    finally:
        stopping = time.monotonic()
        if hub is not None:
            report["hub_stop_s"] = round(stop_hub(hub), 1)
        leftovers = stop_leftovers(run)
        report["left_after_hub_stop"] = [f"{p['kind']} {p['pid']}" for p in leftovers]
        report["still_running"] = [f"{p['kind']} {p['pid']}" for p in run_processes(run)]
        report["ports_still_open"] = [name for name, port in ports.items() if port_open(port)]
        if venv is not None and not Path(venv).is_relative_to(run):
            report["venv"] = str(venv)
        report["shutdown_s"] = round(time.monotonic() - stopping, 1)
        if not keep:
            removing = time.monotonic()
            shutil.rmtree(run, ignore_errors=True)
            report["removal_s"] = round(time.monotonic() - removing, 1)
        report["total_s"] = round(time.monotonic() - began, 1)
    return report


def print_table(report: dict) -> None:
    print(f"course hub on 127.0.0.1: {report['students']} students, {report['cores']} cores "
          f"(set-up {report.get('setup_s')} s, hub up in {report.get('hub_start_s')} s, "
          f"students {report.get('students_s')} s, shut down in {report.get('shutdown_s')} s, "
          f"run folder removed in {report.get('removal_s')} s; total {report.get('total_s')} s)")
    print(f"{'student':<11} {'lab s':>6} {'run-all s':>9} {'cells':>7} {'pics':>5} "
          f"{'p50 ms':>7} {'p90 ms':>7} {'kernel MiB':>10} {'peak':>6} {'server':>6}  errors")

    def fmt(value, spec):
        return "-" if value is None else format(value, spec)

    for s in report.get("per_student", []):
        print(f"{s['name']:<11} {fmt(s['login_to_lab_s'], '6.1f')} "
              f"{fmt(s['run_all_s'], '9.1f')} {s['executed_cells']:>3}/{s['code_cells']:<3} "
              f"{s['new_pictures']:>5} {fmt(s['p50_ms'], '7.0f')} {fmt(s['p90_ms'], '7.0f')} "
              f"{fmt(s['kernel_rss_mib'], '10.0f')} {fmt(s['kernel_peak_mib'], '6.0f')} "
              f"{fmt(s['server_rss_mib'], '6.0f')}  {'; '.join(s['errors'])[:200] or '-'}")
    if "key_to_picture_ms" in report:
        k = report["key_to_picture_ms"]
        print(f"key -> picture, all students: p50 {k['p50']} ms, p90 {k['p90']} ms "
              f"over {k['n']} presses")
        print(f"memory (RSS MiB) with every notebook open: {report['memory_mib']}; kernel per "
              f"student {report['kernel_rss_mib_per_student']}, largest kernel peak "
              f"{report['kernel_peak_mib_max']}")
    print(f"shut down: hub stopped in {report.get('hub_stop_s')} s; left after the hub's stop: "
          f"{report['left_after_hub_stop'] or 'none'}; still running: "
          f"{report['still_running'] or 'none'}; ports still open: "
          f"{report['ports_still_open'] or 'none'}")
    for error in report["errors"]:
        print(f"ERROR: {error}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=8)
    parser.add_argument("--presses", type=int, default=12,
                        help="key presses per student on the dashboard's sliders")
    parser.add_argument("--venv", type=Path, help="re-use this per-user venv (kept)")
    parser.add_argument("--keep", action="store_true", help="keep the run folder (logs)")
    parser.add_argument("--timeout", type=float, default=900.0,
                        help="seconds one step of a student may take")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report = run_hub(args.students, presses=args.presses, venv=args.venv, keep=args.keep,
                     timeout_s=args.timeout,
                     log=lambda text: print(text, file=sys.stderr, flush=True))
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print_table(report)
    failed = report["errors"] or any(s["errors"] for s in report.get("per_student", []))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
