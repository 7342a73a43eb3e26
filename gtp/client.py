"""GTP v2 client: drive an external Go engine (GNU Go, or our own) as a subprocess.

The controller side of the Go Text Protocol, version 2. :class:`GTPClient` starts the
engine, writes one command line at a time to its stdin and parses the reply from its
stdout (``=`` for success, ``?`` for failure, an optional numeric id, then response
lines up to an empty line). Stdout is read by a daemon thread into a queue so a command
can time out; stderr goes to a file or into a small ring buffer of its last lines, so a
chatty engine can never block on a full pipe. A dead or hung engine surfaces as
:class:`GTPEngineDied`, an engine-reported failure as :class:`GTPError`.

:func:`find_gnugo` and :func:`gnugo_command` locate GNU Go and build its command line,
for matches and tests against a known reference opponent. Standard library only.
"""

from __future__ import annotations

import collections
import os
import queue
import re
import shlex
import shutil
import subprocess
import threading
import time
from collections.abc import Sequence
from types import TracebackType

__all__ = [
    "GTPClient",
    "GTPEngineDied",
    "GTPError",
    "find_gnugo",
    "gnugo_command",
]

STDERR_TAIL_LINES = 50
"""How many of the engine's last stderr lines are kept (and quoted in errors)."""

_EOF = object()  # put on the stdout queue by the reader thread when the pipe closes
_STATUS_RE = re.compile(r"^([=?])(\d*)(.*)$", re.DOTALL)


class GTPError(Exception):
    """The engine answered a command with a failure response (``? message``)."""

    def __init__(self, command: str, message: str) -> None:
        super().__init__(f"GTP command {command!r} failed: {message}")
        self.command = command
        self.message = message


class GTPEngineDied(Exception):  # noqa: N818 (name fixed by the public API)
    """The engine exited, closed its stdout, or did not answer within the timeout."""


class GTPClient:
    """A GTP engine running as a child process.

    ``command`` is an argv list or a shell-like string (split with :func:`shlex.split`;
    no shell is involved). ``name`` labels the engine in error messages and defaults to
    the executable's basename. With ``stderr_path`` the engine's stderr is appended to
    that file; otherwise its last :data:`STDERR_TAIL_LINES` lines are kept in memory.

    Usable as a context manager; :meth:`close` is idempotent. Calls to :meth:`send` are
    serialised with a lock, so one client may be shared between threads.
    """

    def __init__(
        self,
        command: str | Sequence[str],
        name: str | None = None,
        cwd: str | None = None,
        stderr_path: str | None = None,
    ) -> None:
        argv = shlex.split(command) if isinstance(command, str) else [str(a) for a in command]
        if not argv:
            raise ValueError("GTPClient needs a non-empty command")
        self.argv: list[str] = argv
        self.name: str = name if name is not None else os.path.basename(argv[0])
        self.stderr_path = stderr_path
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
        self._stdout_queue: queue.Queue[object] = queue.Queue()
        self._lock = threading.RLock()
        self._closed = False
        self._dead_reason: str | None = None

        stderr_file = None
        if stderr_path is not None:
            stderr_file = open(stderr_path, "a", encoding="utf-8")
        try:
            self._proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr_file if stderr_file is not None else subprocess.PIPE,
                cwd=cwd,
                text=True,
                encoding="utf-8",
                errors="replace",
                bufsize=1,
            )
        finally:
            # The child holds its own descriptor; ours is no longer needed.
            if stderr_file is not None:
                stderr_file.close()

        self._stdout_thread = threading.Thread(
            target=self._read_stdout, name=f"gtp-stdout-{self.name}", daemon=True
        )
        self._stdout_thread.start()
        self._stderr_thread: threading.Thread | None = None
        if stderr_file is None:
            self._stderr_thread = threading.Thread(
                target=self._read_stderr, name=f"gtp-stderr-{self.name}", daemon=True
            )
            self._stderr_thread.start()

    # ------------------------------------------------------------------ reader threads

    def _read_stdout(self) -> None:
        stream = self._proc.stdout
        assert stream is not None
        try:
            for line in stream:
                self._stdout_queue.put(line)
        except (OSError, ValueError):
            pass
        finally:
            self._stdout_queue.put(_EOF)

    def _read_stderr(self) -> None:
        stream = self._proc.stderr
        assert stream is not None
        try:
            for line in stream:
                self._stderr_tail.append(line.rstrip("\r\n"))
        except (OSError, ValueError):
            pass

    # ------------------------------------------------------------------ state

    @property
    def alive(self) -> bool:
        """True while the engine process runs and has not been closed or given up on."""
        return not self._closed and self._dead_reason is None and self._proc.poll() is None

    @property
    def pid(self) -> int:
        """The engine's process id."""
        return self._proc.pid

    @property
    def returncode(self) -> int | None:
        """The engine's exit status, or None while it runs."""
        return self._proc.poll()

    def stderr_tail(self) -> list[str]:
        """The last lines the engine wrote to stderr (read back from ``stderr_path`` if set)."""
        if self.stderr_path is None:
            return list(self._stderr_tail)
        try:
            with open(self.stderr_path, encoding="utf-8", errors="replace") as fh:
                tail = collections.deque(fh, maxlen=STDERR_TAIL_LINES)
        except OSError:
            return []
        return [line.rstrip("\r\n") for line in tail]

    def _died(self, reason: str) -> GTPEngineDied:
        """Record that the engine is unusable, make sure it is gone, build the exception."""
        if self._dead_reason is None:
            self._dead_reason = reason
        self._kill()
        if self._stderr_thread is not None:
            # Give the stderr reader a moment to collect the engine's last words.
            self._stderr_thread.join(timeout=0.5)
        message = f"GTP engine {self.name!r} {reason}"
        code = self._proc.poll()
        if code is not None:
            message += f" (exit status {code})"
        tail = self.stderr_tail()
        if tail:
            message += "\nlast stderr lines:\n" + "\n".join(tail[-20:])
        return GTPEngineDied(message)

    def _kill(self) -> None:
        if self._proc.poll() is None:
            try:
                self._proc.kill()
            except OSError:
                pass
        try:
            self._proc.wait(timeout=5.0)
        except subprocess.TimeoutExpired:
            pass

    # ------------------------------------------------------------------ protocol

    def send(self, command: str, timeout: float | None = 60.0) -> str:
        """Send one GTP command and return the engine's response text.

        The leading ``=`` (with any id) is removed; a multi-line response comes back
        with its lines joined by ``"\\n"``, leading/trailing blank lines dropped and
        trailing whitespace removed from each line (leading indentation of later lines,
        as in ``showboard``, is kept). ``timeout`` bounds the wait for the whole response
        in seconds (None waits forever).

        Raises :class:`GTPError` if the engine answers ``?``, :class:`GTPEngineDied` if it
        has exited or does not answer in time (it is then killed), and ValueError for a
        command that is empty or spans several lines.
        """
        command = command.strip()
        if not command:
            raise ValueError("empty GTP command")
        if "\n" in command or "\r" in command:
            raise ValueError(f"GTP command must be a single line: {command!r}")
        with self._lock:
            self._write_locked([command])
            ok, text = self._read_response(command, timeout)
        if not ok:
            raise GTPError(command, text)
        return text

    def send_batch(
        self, commands: Sequence[str], timeout: float | None = 60.0
    ) -> list[tuple[bool, str]]:
        """Write several commands at once, then read their answers: (ok, text) for each, in
        order. One round trip instead of one per command, which matters against an engine
        that answers in microseconds. GTPEngineDied if the engine fails."""
        if not commands:
            return []
        with self._lock:
            self._write_locked(commands)
            return [self._read_response(c, timeout) for c in commands]

    def _write_locked(self, commands: Sequence[str]) -> None:
        """Send command lines; the caller holds the lock."""
        if self._closed:
            raise GTPEngineDied(f"GTP engine {self.name!r} has been closed")
        if self._dead_reason is not None:
            raise self._died(self._dead_reason)
        if self._proc.poll() is not None:
            raise self._died("has exited")
        stdin = self._proc.stdin
        assert stdin is not None
        try:
            stdin.write("".join(c + "\n" for c in commands))
            stdin.flush()
        except (OSError, ValueError):
            raise self._died(f"could not be sent {commands[0]!r}: its stdin is closed") from None

    def try_send(self, command: str, timeout: float | None = 60.0) -> tuple[bool, str]:
        """Like :meth:`send`, but return ``(False, message)`` instead of raising GTPError.

        A dead or hung engine still raises :class:`GTPEngineDied`.
        """
        try:
            return True, self.send(command, timeout=timeout)
        except GTPError as exc:
            return False, exc.message

    def _next_line(self, command: str, deadline: float | None, timeout: float | None) -> str:
        if deadline is None:
            item = self._stdout_queue.get()
        else:
            remaining = deadline - time.monotonic()
            try:
                item = self._stdout_queue.get(timeout=max(remaining, 0.0))
            except queue.Empty:
                raise self._died(
                    f"did not answer {command!r} within {timeout:g} s and was killed"
                ) from None
        if item is _EOF:
            self._stdout_queue.put(_EOF)  # later reads see the end too
            # Wait briefly so the exit status can go into the message.
            try:
                self._proc.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                pass
            raise self._died(f"closed its stdout while answering {command!r}")
        assert isinstance(item, str)
        return item.rstrip("\r\n").replace("\r", "")

    def _read_response(self, command: str, timeout: float | None) -> tuple[bool, str]:
        deadline = None if timeout is None else time.monotonic() + timeout
        # Find the status line; skip blank lines and any stray output before it.
        while True:
            line = self._next_line(command, deadline, timeout)
            match = _STATUS_RE.match(line)
            if match is not None:
                break
        ok = match.group(1) == "="
        lines = [match.group(3).strip()]
        while True:
            line = self._next_line(command, deadline, timeout)
            if not line.strip():
                break
            lines.append(line.rstrip())
        return ok, "\n".join(lines).strip("\n")

    # ------------------------------------------------------------------ shutdown

    def close(self, timeout: float = 5.0) -> None:
        """Send ``quit``, wait up to ``timeout`` s for the engine to exit, else kill it.

        Errors while quitting are ignored. Safe to call more than once.
        """
        with self._lock:
            if self._closed:
                return
            if self._dead_reason is None and self._proc.poll() is None:
                try:
                    self.send("quit", timeout=timeout)
                except (GTPError, GTPEngineDied, OSError, ValueError):
                    pass
            self._closed = True
            try:
                if self._proc.stdin is not None:
                    self._proc.stdin.close()
            except (OSError, ValueError):
                pass
            try:
                self._proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._kill()
            self._stdout_thread.join(timeout=1.0)
            if self._stderr_thread is not None:
                self._stderr_thread.join(timeout=1.0)
            # Close our pipe ends only once their reader threads are done with them.
            if not self._stdout_thread.is_alive() and self._proc.stdout is not None:
                self._proc.stdout.close()
            stderr_done = self._stderr_thread is None or not self._stderr_thread.is_alive()
            if stderr_done and self._proc.stderr is not None:
                self._proc.stderr.close()

    def __enter__(self) -> GTPClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "alive" if self.alive else "closed" if self._closed else "dead"
        return f"GTPClient(name={self.name!r}, pid={self._proc.pid}, {state})"


# ---------------------------------------------------------------------- GNU Go


def find_gnugo() -> str | None:
    """Path of the GNU Go executable, or None if it is not installed.

    Looks on PATH first, then at ``/usr/games/gnugo`` (where Debian and Ubuntu install
    it; ``/usr/games`` is not on every PATH).
    """
    found = shutil.which("gnugo")
    if found:
        return found
    fallback = "/usr/games/gnugo"
    if os.path.isfile(fallback) and os.access(fallback, os.X_OK):
        return fallback
    return None


_SUPERKO_FLAGS = {"positional": "--positional-superko", "situational": "--situational-superko"}
_SUICIDE_FLAGS = {"allow": "--allow-suicide", "allow-all": "--allow-all-suicide"}


def gnugo_command(
    level: int = 1,
    *,
    boardsize: int | None = None,
    komi: float | None = None,
    chinese_rules: bool = True,
    superko: str | None = None,
    suicide: str | None = None,
    seed: int | None = None,
    executable: str | None = None,
) -> list[str]:
    """The argv that starts GNU Go in GTP mode with the given options.

    ``superko`` is None (GNU Go's default simple-ko rule), ``"positional"`` or
    ``"situational"``; ``suicide`` is None (forbidden, GNU Go's default), ``"allow"``
    (all but single-stone suicide) or ``"allow-all"``. ``executable`` overrides the
    search done by :func:`find_gnugo`.

    Raises FileNotFoundError when GNU Go cannot be found and ValueError for an
    unknown ``superko`` / ``suicide`` value.
    """
    if executable is not None:
        exe = shutil.which(executable)
        if exe is None:
            raise FileNotFoundError(f"GNU Go executable not found or not executable: {executable}")
    else:
        exe = find_gnugo()
        if exe is None:
            raise FileNotFoundError(
                "GNU Go not found: install it with `apt-get install gnugo` "
                "(Debian/Ubuntu put it in /usr/games) or `brew install gnu-go`, "
                "or pass executable=..."
            )
    argv = [exe, "--mode", "gtp", "--level", str(int(level))]
    if chinese_rules:
        argv.append("--chinese-rules")
    if superko is not None:
        if superko not in _SUPERKO_FLAGS:
            raise ValueError(f"superko must be one of {sorted(_SUPERKO_FLAGS)} or None")
        argv.append(_SUPERKO_FLAGS[superko])
    if suicide is not None:
        if suicide not in _SUICIDE_FLAGS:
            raise ValueError(f"suicide must be one of {sorted(_SUICIDE_FLAGS)} or None")
        argv.append(_SUICIDE_FLAGS[suicide])
    if seed is not None:
        argv += ["--seed", str(int(seed))]
    if boardsize is not None:
        argv += ["--boardsize", str(int(boardsize))]
    if komi is not None:
        argv += ["--komi", str(float(komi))]
    return argv
