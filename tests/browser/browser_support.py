"""What the real-browser tests share: starting and stopping a server process, and reading from a
committed notebook which cells are dashboards and quizzes (and the quizzes' right answers)."""

from __future__ import annotations

import ast
import json
import os
import secrets
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("BROWSER_TEST_CHROMIUM", "/usr/bin/chromium")
# Exactly the flags of the browser-tests note; headless=False is passed to launch() with these.
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# A dashboard's picture: the <img alt> of lecture_lib.dashboards.base.Picture (an HTML widget
# with the class lecture-picture), or an ipywidgets Image (dashboards not moved to Picture yet).
PICTURE = ".lecture-picture img, img.widget-image"
KERNEL_TIMEOUT_S = 180
RUN_ALL_TIMEOUT_S = 180
# The issue asks for a new picture within 2 s; a slower machine may raise it (and says so).
PICTURE_TIMEOUT_S = float(os.environ.get("BROWSER_TEST_PICTURE_TIMEOUT_S", "2"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def random_token() -> str:
    return secrets.token_hex(24)


@dataclass
class Server:
    """A server process started by the tests; ``stop()`` ends this process and no other."""

    process: subprocess.Popen
    port: int
    token: str
    log_path: Path
    _log: object = field(repr=False, default=None)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM: jupyter shuts its kernels down
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self._log is not None:
            self._log.close()


def start_server(command: list[str], port: int, token: str, log_path: Path, env: dict, *,
                 ready_path: str, any_status: bool = False, cwd: Path | None = None,
                 timeout_s: float = KERNEL_TIMEOUT_S) -> Server:
    """Start ``command`` (output to ``log_path``) and wait until ``ready_path`` answers 200
    (or answers at all, with ``any_status``)."""
    log = open(log_path, "w")  # noqa: SIM115 - closed by Server.stop()
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, env=env, cwd=cwd)
    server = Server(process, port, token, log_path, log)
    deadline = time.monotonic() + timeout_s
    url = f"{server.url}{ready_path}?token={token}"
    while True:
        if process.poll() is not None:
            server.stop()
            raise RuntimeError(f"{command[0]} exited with {process.returncode} before answering "
                               f"on port {port}; log:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return server
        except urllib.error.HTTPError as error:
            error.close()
            if any_status:  # it answers: it listens
                return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"{' '.join(command[:4])} did not answer {ready_path} within "
                               f"{timeout_s} s; log:\n{server.log_tail()}")
        time.sleep(0.5)


# ---------------------------------------------------------------- committed notebooks
@dataclass
class QuizQuestion:
    options: list[str]
    answer: int


@dataclass
class NotebookPlan:
    """Which code cells (index among all cells) show a dashboard or a quiz."""

    dashboards: list[int]
    titles: dict[int, str]
    quizzes: dict[int, list[QuizQuestion]]
    code_cells: int
    executed: bool  # the committed notebook carries outputs


def _text(node) -> str:
    return " ".join(node.split())


class _QuizHTML(HTMLParser):
    """Reads the quiz's static text/html: <ol><li>prompt<ol type='a'><li>option</li>...</ol>
    <details><summary>answer</summary>right option: explanation</details></li>...</ol>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.questions: list[tuple[list[str], str]] = []
        self._in_options = False
        self._option: list[str] | None = None
        self._details: list[str] | None = None
        self._summary = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "ol" and attrs.get("type") == "a":
            self._in_options = True
            self.questions.append(([], ""))
        elif tag == "li" and self._in_options:
            self._option = []
        elif tag == "details":
            self._details = []
        elif tag == "summary":
            self._summary = True

    def handle_endtag(self, tag):
        if tag == "li" and self._option is not None:
            self.questions[-1][0].append(_text("".join(self._option)))
            self._option = None
        elif tag == "ol" and self._in_options:
            self._in_options = False
        elif tag == "summary":
            self._summary = False
        elif tag == "details" and self._details is not None:
            options, _ = self.questions[-1]
            self.questions[-1] = (options, _text("".join(self._details)))
            self._details = None

    def handle_data(self, data):
        if self._option is not None:
            self._option.append(data)
        elif self._details is not None and not self._summary:
            self._details.append(data)


def quiz_answers(static_html: str) -> list[QuizQuestion]:
    """Each question's options and the index of the right one, from the quiz's text/html."""
    parser = _QuizHTML()
    parser.feed(static_html)
    questions = []
    for options, details in parser.questions:
        matches = [i for i, option in enumerate(options) if details.startswith(option + ":")]
        if not matches:
            raise AssertionError(f"no option of {options} matches the answer {details!r}")
        questions.append(QuizQuestion(options, max(matches, key=lambda i: len(options[i]))))
    return questions


def quiz_answers_from_source(source: str) -> list[QuizQuestion]:
    """Each ``Question(prompt, options, answer, ...)`` call of a cell's source, in order."""
    calls = [node for node in ast.walk(ast.parse(source))
             if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Question"]
    questions = []
    for call in sorted(calls, key=lambda node: (node.lineno, node.col_offset)):
        arguments = dict(zip(["prompt", "options", "answer"], call.args))
        arguments.update({keyword.arg: keyword.value for keyword in call.keywords})
        options = [" ".join(o.split()) for o in ast.literal_eval(arguments["options"])]
        questions.append(QuizQuestion(options, ast.literal_eval(arguments["answer"])))
    return questions


def plan_notebook(path: Path) -> NotebookPlan:
    """Dashboards are code cells whose committed output carries a widget view and a PNG
    (``Dashboard._repr_mimebundle_``); quizzes are cells that build ``Question``s (right answers
    from the source, checked against the static quiz HTML when the notebook carries outputs)."""
    notebook = json.loads(path.read_text())
    dashboards, titles, quizzes, code_cells = [], {}, {}, 0
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code":
            continue
        code_cells += 1
        source = "".join(cell["source"])
        lines = [line for line in source.splitlines() if line.strip()]
        titles[index] = f"cell {index} `{lines[-1].strip()}`" if lines else f"cell {index}"
        if "Question(" in source:
            quizzes[index] = quiz_answers_from_source(source)
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW not in data:
                continue
            if "image/png" in data:
                dashboards.append(index)
                titles[index] = "".join(data.get("text/plain", "dashboard")).split(":")[0]
            elif "<details>" in "".join(data.get("text/html", "")):
                static = quiz_answers("".join(data["text/html"]))
                if index in quizzes and static != quizzes[index]:
                    raise AssertionError(
                        f"{path.name} cell {index}: the committed quiz output {static} does not "
                        f"match its source {quizzes[index]}: re-execute the notebook")
                quizzes[index] = static
    executed = any(c.get("outputs") for c in notebook["cells"] if c["cell_type"] == "code")
    return NotebookPlan(dashboards, titles, quizzes, code_cells, executed)
