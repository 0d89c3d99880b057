"""Short-lived Python processes forked from one parent that has imported the pipeline once.

The `kill -9` tests start a writer process per fault point (dozens): each would otherwise pay Python's start and
the pipeline's imports again (Great Expectations alone is seconds of CPU). A `Forker` starts one server process
that imports the given modules and opens nothing (no DuckDB connection, no thread); each `start` forks a child
from it that takes the given environment and runs the given script as `python -c` would. The child is a process
of its own, killed and reaped like any other: the server reports how it ended (`returncode` as in
`subprocess.Popen`: minus the signal's number when a signal ended it).
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time

_SERVER = r"""
import json, os, select, signal, sys, traceback

for name in sys.argv[1:]:
    __import__(name)
requests, replies = os.fdopen(0, "rb", buffering=0), os.fdopen(os.dup(1), "w")  # unbuffered: select sees it all
os.dup2(2, 1)  # the children write to stderr: the server's stdout carries only its replies
children = set()


def reap():
    for pid in list(children):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            children.discard(pid)
            code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
            replies.write(json.dumps({"pid": pid, "returncode": code}) + "\n")
            replies.flush()


while True:
    ready, _, _ = select.select([requests], [], [], 0.05)
    reap()
    if not ready:
        continue
    line = requests.readline()
    if not line:  # the test process is done: nothing outlives it
        for pid in children:
            os.kill(pid, signal.SIGKILL)
        break
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(replies.fileno())
            os.close(0)
            os.open(os.devnull, os.O_RDONLY)
            os.environ.clear()
            os.environ.update(request["env"])
            sys.argv = ["-c", *request["args"]]
            exec(compile(request["script"], "<string>", "exec"), {"__name__": "__main__"})
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    children.add(pid)
    replies.write(json.dumps({"pid": pid}) + "\n")
    replies.flush()
"""


class Forker:
    """The server process; `start` forks a child from it. Use it as a context manager (or call `close`)."""

    def __init__(self, *modules: str):
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        self._server = subprocess.Popen([sys.executable, "-c", _SERVER, *modules], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, env=env, bufsize=0)  # unbuffered: select sees it all
        self._ended: dict[int, int] = {}

    def __enter__(self) -> Forker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._server.poll() is None:
            self._server.stdin.close()
            try:
                self._server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._server.kill()
                self._server.wait()

    def _reply(self, timeout_s: float | None) -> dict | None:
        """The server's next reply within `timeout_s` (None: wait as long as it takes), else None."""
        ready, _, _ = select.select([self._server.stdout], [], [], timeout_s)
        if not ready:
            return None
        line = self._server.stdout.readline()
        assert line, f"the fork server ended (exit {self._server.wait()})"
        return json.loads(line)

    def _take(self, reply: dict) -> None:
        self._ended[reply["pid"]] = reply["returncode"]

    def start(self, script: str, *args: str, env: dict[str, str] | None = None) -> Child:
        """Fork a child running `script` with `args` as sys.argv[1:] and `env` (this process's, without it)."""
        request = {"script": script, "args": list(args), "env": dict(os.environ if env is None else env)}
        self._server.stdin.write((json.dumps(request) + "\n").encode())
        self._server.stdin.flush()
        while True:
            reply = self._reply(None)
            if "returncode" in reply:  # an earlier child's end
                self._take(reply)
            else:
                return Child(self, reply["pid"])


class Child:
    def __init__(self, forker: Forker, pid: int):
        self._forker, self.pid = forker, pid

    @property
    def returncode(self) -> int | None:
        return self._forker._ended.get(self.pid)

    def poll(self) -> int | None:
        """How the child ended, or None while it runs (as `Popen.poll`)."""
        while self.returncode is None:
            reply = self._forker._reply(0)
            if reply is None:
                break
            self._forker._take(reply)
        return self.returncode

    def wait(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while self.returncode is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise subprocess.TimeoutExpired(f"forked child {self.pid}", timeout)
            reply = self._forker._reply(left)
            if reply is not None:
                self._forker._take(reply)
        return self.returncode
