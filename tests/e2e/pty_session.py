"""A program run on a pseudo-terminal, as a user at a terminal runs it: gdb with its pager,
heapy's own prompt with line editing. For the tests of issue 21's interactive behaviour."""

import fcntl
import os
import pty
import re
import select
import signal
import struct
import termios
import time

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]|\r|\x07")


class PtySession:
    def __init__(self, argv, env=None, columns=120, rows=40):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            # The terminal's size, before the program can ask for it.
            fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
            os.environ["TERM"] = "xterm"
            os.execvpe(argv[0], argv, dict(os.environ, **(env or {})))
        self.raw = ""      # everything read, as it came
        self.consumed = 0  # where the next expect() starts looking, in the text without escapes

    def read_some(self, timeout):
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            return False
        self.raw += data.decode("utf-8", "replace")
        return bool(data)

    def expect(self, pattern, timeout=30):
        """The text (escape sequences removed) from the end of the last match up to and
        including the next match of `pattern`; AssertionError with what was read when it does
        not come in time."""
        regex = re.compile(pattern)
        deadline = time.time() + timeout
        while True:
            text = ANSI.sub("", self.raw)
            m = regex.search(text, self.consumed)
            if m:
                got = text[self.consumed:m.end()]
                self.consumed = m.end()
                return got
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError("%r did not come within %ds; read:\n%s"
                                     % (pattern, timeout, text[-4000:]))
            self.read_some(left)

    def send(self, text):
        os.write(self.fd, text.encode())

    def close(self):
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        os.close(self.fd)

    def wait_exit(self, timeout=30):
        """The exit status once the program ends by itself (None if it does not)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.read_some(0.1)
                return os.waitstatus_to_exitcode(status)
            self.read_some(0.1)
        return None
