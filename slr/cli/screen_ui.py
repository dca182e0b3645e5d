"""The interactive half of `slr screen` and `slr screen resolve`: keys in, screens out.

On a terminal, keys are read one at a time in cbreak mode (no Enter needed); otherwise (a pipe,
a test runner) one character at a time from stdin. The library (`slr.screening.session`) does the
rest: every decision is committed before the next screen is drawn.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import click

from slr.errors import SlrError
from slr.fulltext.pager import Pager
from slr.screening.run import review_protocol
from slr.screening.session import HELP, Session, reason_for_key
from slr.screening.status import Status, review_statuses
from slr.store import Review
from slr.store import screening as store
from slr.store.screening import screen_row

CLEAR = "\x1b[H\x1b[2J"
ESCAPE = "\x1b"

reviewer_option = click.option(
    "--reviewer",
    envvar="SLR_REVIEWER",
    default=lambda: getpass.getuser(),
    show_default="your login name",
    help="Who is screening (or set SLR_REVIEWER); decisions are kept per reviewer.",
)


class Keys:
    """One key at a time from a terminal (cbreak mode), or characters from a pipe."""

    def __init__(self) -> None:
        self.stream = sys.stdin
        self.tty = self.stream.isatty()
        self._saved: list | None = None

    @contextlib.contextmanager
    def cbreak(self) -> Iterator[None]:
        if not self.tty:
            yield
            return
        # POSIX terminals only: imported where the screen runs
        import termios
        import tty

        fd = self.stream.fileno()
        saved = termios.tcgetattr(fd)
        try:
            tty.setcbreak(fd)
            yield
        finally:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)

    def read(self) -> str:
        if self.tty:
            data = os.read(self.stream.fileno(), 1)
            if not data:
                return "q"
            char = data.decode("utf-8", "replace")
            if char == ESCAPE:
                self._drain_escape()
            return char
        char = self.stream.read(1)
        return char or "q"  # end of input quits

    def _drain_escape(self) -> None:
        """An arrow key sends ESC [ A: swallow the rest so it is not read as keys."""
        import select  # (POSIX only)

        fd = self.stream.fileno()
        while select.select([fd], [], [], 0.02)[0]:
            if not os.read(fd, 1):
                break

    def line(self, prompt: str, default: str = "") -> str:
        if self.tty:
            import termios  # (POSIX only)

            fd = self.stream.fileno()
            attrs = termios.tcgetattr(fd)
            cooked = list(attrs)
            cooked[3] = cooked[3] | termios.ICANON | termios.ECHO
            termios.tcsetattr(fd, termios.TCSADRAIN, cooked)
            try:
                click.echo(prompt, nl=False)
                text = self.stream.readline()
            finally:
                termios.tcsetattr(fd, termios.TCSADRAIN, attrs)
        else:
            click.echo(prompt, nl=False)
            text = self.stream.readline()
        text = text.rstrip("\r\n")
        return text if text else default


def _screen_size() -> tuple[int, int]:
    size = shutil.get_terminal_size((80, 24))
    return max(size.columns, 40), max(size.lines, 12)


def _writer(tty: bool) -> Callable[[str], None]:
    out = sys.stdout

    def draw(screen: str) -> None:
        out.write((CLEAR if tty else "\n") + screen + ("" if tty else "\n"))
        out.flush()

    return draw


def _say_waiting(message: str) -> None:
    """A key press waits for another command's write (an import, `slr tag`): say so at once,
    below the record, rather than freeze."""
    sys.stdout.write(f"\r\n{message} Your decision is saved as soon as it ends.\r\n")
    sys.stdout.flush()


def _open_review(review_dir: Path) -> tuple[Review, object]:
    review = Review.open(review_dir)
    review.db.on_wait = _say_waiting
    try:
        protocol, _ = review_protocol(review)
    except SlrError:
        protocol = None
    return review, protocol


def _pick_reason(
    keys: Keys, draw: Callable[[str], None], session: Session, required: bool
) -> str | None:
    """The exclusion reason: a key from the protocol's list ("" for none, None to cancel)."""
    reasons = session.reasons
    if not reasons:
        if not required:
            return ""
        text = keys.line("Reason for excluding (required): ")
        return text or None
    draw(session.render(session.reasons_overlay(required)))
    while True:
        key = keys.read()
        if key in (ESCAPE, "x", "q"):
            return None
        if key == "0" and not required:
            return ""
        reason = reason_for_key(key, reasons)
        if reason is not None:
            return reason


def run_session(review_dir: Path, stage: str, reviewer: str, order: str, seed: int) -> None:
    review, protocol = _open_review(review_dir)
    keys = Keys()
    out_tty = sys.stdout.isatty()
    width, height = _screen_size()
    with review:
        session = Session(
            review,
            stage,
            reviewer,
            protocol,  # type: ignore[arg-type]
            order,
            seed,
            width=width,
            height=height,
            styles=out_tty,
            color=out_tty and "NO_COLOR" not in os.environ,
        )
        draw = _writer(out_tty)
        with keys.cbreak():
            overlay = ""
            while True:
                session.width, session.height = _screen_size()  # the terminal may be resized
                draw(session.render(overlay))
                overlay = ""
                key = keys.read()
                if key == "q":
                    break
                if key == "?":
                    overlay = HELP + "\n\nPress any key to go back."
                    continue
                if key == "c":
                    overlay = session.criteria_overlay()
                    continue
                if key == "u":
                    session.undo()
                    continue
                if key == "a":
                    session.more_abstract()
                    continue
                if session.current is None:
                    session.message = "Every record is screened: q quits, u undoes"
                    continue
                if key == "i":
                    session.decide("include")
                elif key == "m":
                    session.decide("maybe")
                elif key == "e":
                    required = stage == "full_text"
                    reason = _pick_reason(keys, draw, session, required)
                    if reason is None:
                        session.message = "Exclusion cancelled"
                    else:
                        session.decide("exclude", reason)
                elif key == "s":
                    session.skip()
                elif key == "n":
                    draw(session.render())
                    text = keys.line("Note (Enter saves; empty removes): ")
                    session.note(text)
                elif key == "f":
                    pager = session.fulltext_pager()
                    if pager is None:
                        session.message = (
                            "No full text to read here: `slr fulltext attach ID FILE` (full-text "
                            "stage)"
                        )
                    else:
                        read_fulltext(keys, draw, session, pager)
                elif key == "o":
                    try:
                        path = session.fulltext_path()
                    except SlrError:  # a stored path out of the review (a crafted review.db)
                        session.message = (
                            "Not opened: its path in review.db is outside the review "
                            "(slr fulltext list)"
                        )
                        continue
                    if not path:
                        session.message = "No full text attached: slr fulltext attach ID PATH"
                    else:
                        session.message = open_with_viewer(path)
                elif key in ("\r", "\n", " "):
                    continue
                else:
                    session.message = f"Unknown key {key!r}: ? shows the keys"
    click.echo(f"\n{session.progress_line()}")


def read_fulltext(keys: Keys, draw: Callable[[str], None], session: Session, pager: Pager) -> None:
    """The full text in a pager until f (or x, q, Esc) goes back, or a decision is made."""
    while True:
        pager.width, pager.height = _screen_size()
        draw(pager.render())
        key = keys.read()
        if key in ("f", "x", "q", ESCAPE):
            return
        if key in (" ", "j"):
            pager.scroll(1)
        elif key in ("b", "k"):
            pager.scroll(-1)
        elif key == "]":
            pager.turn(1)
        elif key == "[":
            pager.turn(-1)
        elif key == "/":
            pager.search(keys.line("Search (as in rules): "))
        elif key == "n":
            pager.next_highlight()
        elif key == "M":
            pager.methods()
        elif key in ("i", "m", "e"):
            reason = _pick_reason(keys, draw, session, True) if key == "e" else ""
            if reason is None:
                pager.message = "Exclusion cancelled"
                continue
            decision = {"i": "include", "m": "maybe", "e": "exclude"}[key]
            try:
                session.decide(decision, reason)
            except SlrError as error:  # refused: say why and stay in the text
                pager.message = error.message
                continue
            return
        elif key not in ("\r", "\n"):
            pager.message = f"Unknown key {key!r}: f goes back to the record"


VIEWERS = ("xdg-open", "open")  # freedesktop, macOS


def open_with_viewer(path: str) -> str:
    """Open a file with the system viewer, if there is one; say what happened."""
    for name in VIEWERS:
        viewer = shutil.which(name)
        if viewer is not None:
            subprocess.Popen(
                [viewer, path],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            return f"Opened {Path(path).name} with {name}"
    return f"No system viewer (xdg-open, open) here: the file is {path}"


def describe(status: Status) -> str:
    parts = []
    for human in status.humans:
        text = f"{human.reviewer}: {human.decision}"
        if human.reason:
            text += f" ({human.reason})"
        parts.append(text)
    return "; ".join(parts)


def run_resolve(review_dir: Path, stage: str, reviewer: str) -> tuple[int, int]:
    """Walk the conflicts: show every reviewer's decision and note, record the final one."""
    review, protocol = _open_review(review_dir)
    keys = Keys()
    resolved = left = 0
    with review:
        pending = review_statuses(review, protocol).conflicts(stage)  # type: ignore[arg-type]
        reasons = list(protocol.exclusion_reasons) if protocol else []  # type: ignore[attr-defined]
        with keys.cbreak():
            for number, status in enumerate(pending, start=1):
                row = screen_row(review.db, status.record_id)
                click.echo(f"\n[{number}/{len(pending)}] record {status.record_id}: {row['title']}")
                click.echo(f"  year: {row['year'] or 'none'}; {status.status}")
                for human in status.humans:
                    line = f"  {human.reviewer}: {human.decision}"
                    if human.reason:
                        line += f" ({human.reason})"
                    click.echo(line)
                    if human.note:
                        click.echo(f"    note: {human.note}")
                click.echo("  [i]nclude [e]xclude [s]kip [q]uit")
                key = keys.read()
                while key not in ("i", "e", "s", "q"):
                    key = keys.read()
                if key == "q":
                    left += len(pending) - number + 1
                    break
                if key == "s":
                    left += 1
                    continue
                reason = ""
                if key == "e":
                    agreed = [h.reason for h in status.humans if h.decision == "exclude"]
                    for index, text in enumerate(reasons, start=1):
                        click.echo(f"    {index}  {text}")
                    choice = keys.line(
                        "  Reason number (Enter: the first reviewer's reason): ",
                        "",
                    )
                    if choice.isdigit() and 1 <= int(choice) <= len(reasons):
                        reason = reasons[int(choice) - 1]
                    elif choice:
                        reason = choice
                    elif agreed and agreed[0]:
                        reason = agreed[0]
                    if stage == "full_text" and not reason:
                        click.echo("  A full-text exclusion needs a reason: skipped")
                        left += 1
                        continue
                decision = "include" if key == "i" else "exclude"
                store.record_final_decision(
                    review.db, status.record_id, stage, decision, reason, reviewer
                )
                resolved += 1
                click.echo(f"  Saved: {decision}" + (f" ({reason})" if reason else ""))
    return resolved, left
