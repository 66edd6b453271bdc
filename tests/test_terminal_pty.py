"""`kneecheck chat` on a real (pseudo-)terminal, as a newcomer sees it after `make run`: the
screen is 80 columns wide, Ctrl-C is a key, and what is printed is all there is to read.

A pipe cannot show these: wrapping follows the terminal's own width (read with an ioctl on the
tty, not from COLUMNS), and Ctrl-C goes through the terminal's line discipline to the whole
foreground process group. (A 1 MB paste is tested over a pipe, in tests/test_terminal.py:
the terminal's line discipline caps a line at 4 KB.)
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time

import pytest

from tests import newcomer
from tests.newcomer import ROOT

COLUMNS = 80
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Screen:
    """A child process on a pseudo-terminal of 80x24, and everything it printed."""

    def __init__(self) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, COLUMNS, 0, 0))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "chat"],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=ROOT,
            env=newcomer.environment(),
            start_new_session=True,  # its own session, with the pty as controlling terminal
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
        )
        os.close(slave)
        self.seen = ""

    def read_until(self, wanted: str, timeout: float = 30.0) -> str:
        """Read the screen until ``wanted`` appears (or fail at the deadline)."""
        deadline = time.monotonic() + timeout
        while wanted not in self.seen:
            left = deadline - time.monotonic()
            assert left > 0, f"{wanted!r} never appeared; the screen:\n{self.seen[-2000:]}"
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # the child closed the terminal
                    chunk = b""
                assert chunk, f"the chat ended before {wanted!r}:\n{self.seen[-2000:]}"
                self.seen += chunk.decode(errors="replace")
        return self.seen

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def drain(self, timeout: float) -> None:
        """Read what is left until the child ends (or ``timeout``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    return
                if not chunk:
                    return
                self.seen += chunk.decode(errors="replace")
            elif self.process.poll() is not None:
                return

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self.master)


@pytest.fixture
def screen() -> object:
    opened = Screen()
    yield opened
    opened.close()


def printed_lines(screen: Screen) -> list[str]:
    """The lines as the terminal shows them (the echo of typed lines included)."""
    return [ANSI.sub("", line) for line in screen.seen.replace("\r\n", "\n").split("\n")]


def test_at_80_columns_no_line_is_wider_and_no_word_is_split(screen: Screen) -> None:
    from bot.catalog.loader import load_catalog

    content = load_catalog().content("en")
    screen.read_until("Question 1 of")
    screen.type("1\n")
    screen.read_until("Question 2 of")
    screen.type("12\n")
    screen.read_until("Question 3 of")
    screen.type("my calf is swollen, red and hot\n")
    screen.read_until("Not a diagnosis")
    lines = printed_lines(screen)
    assert [line for line in lines if len(line) > COLUMNS] == []
    # Texts longer than a line, as they were written: every word is on the screen whole (a
    # word split across two lines would be two pieces, neither of them the word).
    on_screen = set(" ".join(lines).split())
    long_texts = [
        content.steps["consent"].question,
        content.ui["terminal_multi_hint"],
        *(o.label for o in content.steps["red_flags"].options.values()),
        content.red_flags["clot_leg"].advice,
    ]
    for text in long_texts:
        missing = [w for w in text.split() if w not in on_screen]
        assert missing == [], (text, missing)
    for line in lines:  # a wrapped bullet or choice continues under its text, never at column 0
        assert not line.startswith(("*", ")")), line


def test_no_log_line_reaches_the_screen_and_ctrl_c_exits_at_once(screen: Screen) -> None:
    screen.read_until("Question 1 of")
    screen.type("1\n")
    screen.read_until("Question 2 of")
    screen.type("\x03")  # Ctrl-C, through the terminal's line discipline
    started = time.monotonic()
    screen.drain(timeout=5)
    code = screen.process.wait(timeout=5)
    assert time.monotonic() - started < 1.0
    assert code == 130
    shown = screen.seen
    assert "Traceback" not in shown
    assert "KeyboardInterrupt" not in shown
    for level in ("DEBUG", "INFO", "WARNING", "ERROR"):
        assert f" {level} " not in shown, level
        assert not shown.startswith(level), level


def test_the_pty_helper_really_is_a_terminal() -> None:
    """The tests above prove something only if the chat sees a tty of 80 columns."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, COLUMNS, 0, 0))
    probe = subprocess.run(
        [sys.executable, "-c", "import os, sys; print(os.isatty(1), os.get_terminal_size(1))"],
        stdout=slave,
        stderr=subprocess.STDOUT,
        check=True,
    )
    os.close(slave)
    assert probe.returncode == 0
    out = os.read(master, 4096).decode()
    os.close(master)
    assert out.startswith("True")
    assert f"columns={COLUMNS}" in out
    assert signal.SIGINT  # Ctrl-C maps to SIGINT on this platform
