"""The interactive half of `slr screen` and `slr screen resolve`: keys in, screens out.

On a terminal, keys are read one at a time in cbreak mode (no Enter needed); otherwise (a pipe,
a test runner) one character at a time from stdin. The library (`slr.screening.session`) does the
rest: every decision is committed before the next screen is drawn.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import click

from slr.errors import SlrError
from slr.fulltext.pager import Pager
from slr.models import Author
from slr.protocol import Protocol
from slr.screening.session import HELP, REASON_KEYS, Session, queue_filter, reason_for_key
from slr.screening.status import Status, protocol_of, review_statuses
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
        self._ahead = ""  # a key read before the first screen (has_keys)

    def has_keys(self) -> bool:
        """A terminal, or a pipe that holds at least one key (scripts and tests type into one);
        False for an input that gives nothing (/dev/null, a closed stdin, cron): asked before
        anything is drawn."""
        if self.tty:
            return True
        try:
            self._ahead = self.stream.read(1)
        except (OSError, ValueError):  # closed or unreadable
            return False
        return bool(self._ahead)

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
        if self._ahead:
            char, self._ahead = self._ahead, ""
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
            text, self._ahead = self._ahead + self.stream.readline(), ""
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


def _open_review(review_dir: Path) -> tuple[Review, Protocol | None]:
    """The review and its protocol (None: made without one); a broken protocol is refused here
    as by every command, never screened with its rules silently off."""
    review = Review.open(review_dir)
    try:
        protocol, _ = protocol_of(review)
    except SlrError:
        review.close()
        raise
    review.db.on_wait = _say_waiting
    return review, protocol


def _needs_a_terminal() -> SlrError:
    return SlrError(
        "this command reads keys from a terminal, and its input is not one (nor a pipe of keys)",
        "run it in a terminal; from a script, record decisions with `slr screen decide` or "
        "`slr screen import`",
    )


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
    overlay = session.reasons_overlay(required)
    draw(session.render(overlay))
    while True:
        key = keys.read()
        if key in (ESCAPE, "x", "q"):
            return None
        if key == "0" and not required:
            return ""
        reason = reason_for_key(key, reasons)
        if reason is not None:
            return reason
        if key in ("\r", "\n"):
            continue
        valid = f"{REASON_KEYS[0]}-{REASON_KEYS[len(reasons) - 1]}" if len(reasons) > 1 else "1"
        no_reason = "" if required else ", 0 for no reason"
        draw(
            session.render(
                f"{overlay}\n\n{key!r} is not one of the reasons: press {valid}{no_reason}, "
                "or x to cancel"
            )
        )


def run_session(
    review_dir: Path,
    stage: str,
    reviewer: str,
    order: str,
    seed: int,
    query: str = "",
    rule: str = "",
    tag: str = "",
) -> None:
    review, protocol = _open_review(review_dir)
    keys = Keys()
    out_tty = sys.stdout.isatty()
    width, height = _screen_size()
    with review:
        only, label = queue_filter(review, protocol, stage, query, rule, tag)
        session = Session(
            review,
            stage,
            reviewer,
            protocol,
            order,
            seed,
            width=width,
            height=height,
            styles=out_tty,
            color=out_tty and "NO_COLOR" not in os.environ,
            only=only,
            filter_label=label,
        )
        if not keys.has_keys():
            raise _needs_a_terminal()
        draw = _writer(out_tty)
        with keys.cbreak():
            while True:
                session.width, session.height = _screen_size()  # the terminal may be resized
                draw(session.render())
                key = keys.read()
                if key == "q":
                    break
                if key in ("?", "c"):
                    # an overlay: the key that leaves it does only that (an "m" must not
                    # also save "maybe")
                    overlay = HELP if key == "?" else session.criteria_overlay()
                    message, session.message = session.message, "Press any key to go back."
                    draw(session.render(overlay))
                    keys.read()
                    session.message = message
                    continue
                if key == "g":
                    draw(session.render())
                    wanted = keys.line("Go to record (its id; Enter cancels): ").strip()
                    if wanted.isdigit():
                        session.goto(int(wanted))
                    elif wanted:
                        session.message = f"{wanted!r} is not a record id"
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
                if key in ("i", "m", "e"):
                    _decide_by_key(key, keys, draw, session)
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


def _decide_by_key(key: str, keys: Keys, draw: Callable[[str], None], session: Session) -> None:
    """i, m, or e and its reason: through the checks every decision passes (a refusal is
    shown, never a traceback)."""
    reason = ""
    if key == "e":
        picked = _pick_reason(keys, draw, session, session.stage == "full_text")
        if picked is None:
            session.message = "Exclusion cancelled"
            return
        reason = picked
    try:
        session.decide({"i": "include", "m": "maybe", "e": "exclude"}[key], reason)
    except SlrError as error:
        session.message = f"Not saved: {error.message}"


def read_fulltext(keys: Keys, draw: Callable[[str], None], session: Session, pager: Pager) -> None:
    """The full text in a pager until f (or x, q, Esc) goes back, or a decision is made."""
    while True:
        session.width, session.height = pager.width, pager.height = _screen_size()
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
            decided = session.decided_now
            _decide_by_key(key, keys, draw, session)
            if session.decided_now == decided:  # cancelled or refused: say so, stay in the text
                pager.message = session.message
                continue
            return
        elif key not in ("\r", "\n"):
            pager.message = f"Unknown key {key!r}: f goes back to the record"


VIEWERS = ("xdg-open", "open")  # freedesktop, macOS


VIEWER_WAIT_SECONDS = 5  # xdg-open and open hand the file over and exit at once


def open_with_viewer(path: str) -> str:
    """Open a file with the system viewer, if there is one; say what happened: opened only
    when the opener says so (its exit status), else why not, with the file's path."""
    for name in VIEWERS:
        viewer = shutil.which(name)
        if viewer is None:
            continue
        try:
            opener = subprocess.Popen(
                [viewer, path],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as error:
            return f"Not opened: {name} cannot run ({error.strerror}); the file is {path}"
        try:
            status = opener.wait(VIEWER_WAIT_SECONDS)
        except subprocess.TimeoutExpired:  # still running: it is showing the file itself
            return f"Opened {Path(path).name} with {name}"
        if status == 0:
            return f"Opened {Path(path).name} with {name}"
        return f"Not opened: {name} failed (exit status {status}); the file is {path}"
    return f"Not opened: no system viewer (xdg-open, open) here, as over SSH; the file is {path}"


def describe(status: Status) -> str:
    parts = []
    for human in status.humans:
        text = f"{human.reviewer}: {human.decision}"
        if human.reason:
            text += f" ({human.reason})"
        parts.append(text)
    return "; ".join(parts)


ABSTRACT_LINES = 8  # of the resolve view: enough to decide, short enough to see the votes


def _echo_wrapped(text: str, indent: str = "  ", limit: int | None = None) -> None:
    """Text wrapped at word boundaries to the terminal's width (never cut mid-word)."""
    width = _screen_size()[0] - 1
    lines = textwrap.wrap(
        text, width, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False
    )
    if limit is not None and len(lines) > limit:
        lines = [*lines[: limit - 1], lines[limit - 1][: width - 1] + "…"]
    for line in lines:
        click.echo(line)


def _show_conflict(review: Review, status: Status, number: int, total: int) -> None:
    row = screen_row(review.db, status.record_id)
    _echo_wrapped(f"[{number}/{total}] record {status.record_id}: {row['title']}", "")
    authors = "; ".join(Author.from_dict(a).display for a in json.loads(row["authors"]))
    _echo_wrapped(authors or "(no authors)")
    source = " · ".join(str(p) for p in (row["year"] or "no year", row["source_title"]) if p)
    _echo_wrapped(source)
    if row["abstract"]:
        _echo_wrapped(row["abstract"], limit=ABSTRACT_LINES)
    else:
        click.echo("  (no abstract)")
    click.echo(f"  status: {status.status}")
    for human in status.humans:
        _echo_wrapped(
            f"{human.reviewer}: {human.decision}" + (f" ({human.reason})" if human.reason else "")
        )
        if human.note:
            _echo_wrapped(f"note: {human.note}", "    ")


def _resolve_reason(keys: Keys, status: Status, reasons: list[str], stage: str) -> str | None:
    """The reason of a final exclusion by its key, no Enter needed as in `slr screen`; Enter
    takes the first excluding reviewer's reason; None: cancelled."""
    agreed = next((h.reason for h in status.humans if h.decision == "exclude" and h.reason), "")
    if not reasons:
        text = keys.line("  Reason (Enter: the first reviewer's reason): ", agreed)
        return text or (None if stage == "full_text" else "")
    for key, text in zip(REASON_KEYS, reasons, strict=False):
        click.echo(f"    {key}  {text}")
    enter = f"Enter: {agreed}" if agreed else ("Enter: no reason" if stage != "full_text" else "")
    click.echo("  Reason: press its key" + (f" ({enter})" if enter else "") + "; x cancels")
    while True:
        key = keys.read()
        if key in (ESCAPE, "x", "q"):
            return None
        if key in ("\r", "\n") and (agreed or stage != "full_text"):
            return agreed
        reason = reason_for_key(key, reasons)
        if reason is not None:
            return reason
        if key not in ("\r", "\n"):
            last = REASON_KEYS[len(reasons) - 1]
            click.echo(f"  {key!r} is not one of the reasons: press 1-{last}, or x to cancel")


def run_resolve(review_dir: Path, stage: str, reviewer: str) -> tuple[int, int]:
    """Walk the conflicts: show each record (title, authors, source, abstract) with every
    reviewer's decision and note; record the final one."""
    review, protocol = _open_review(review_dir)
    keys = Keys()
    resolved = left = 0
    with review:
        pending = review_statuses(review, protocol).conflicts(stage)
        reasons = list(protocol.exclusion_reasons) if protocol else []
        if pending and not keys.has_keys():
            raise _needs_a_terminal()
        with keys.cbreak():
            for number, status in enumerate(pending, start=1):
                click.echo("")
                _show_conflict(review, status, number, len(pending))
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
                    picked = _resolve_reason(keys, status, reasons, stage)
                    if picked is None:
                        click.echo("  Cancelled: left in conflict")
                        left += 1
                        continue
                    reason = picked
                decision = "include" if key == "i" else "exclude"
                store.record_final_decision(
                    review.db, status.record_id, stage, decision, reason, reviewer
                )
                resolved += 1
                click.echo(f"  Saved: {decision}" + (f" ({reason})" if reason else ""))
    return resolved, left
