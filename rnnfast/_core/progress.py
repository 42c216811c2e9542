"""The one progress reporter of every long phase: counting, training, merging.

A `Progress` is told how much of a phase is done and reports at most once a
second, to a callable (the CLI's live line) or, by default, to the "rnnfast"
logger. Every report is a dict of the same keys:
  task      the phase: "vocabulary", "cooccurrence", "merge", "pairs" (GloVe's records
            made ready), "word2vec", "glove", "rnn"
  epoch, epochs, fraction (0..1 of the whole phase), done, total, unit,
  rate (units per second), eta and elapsed (seconds),
and the phase's own figures (alpha, loss, cost, spills, ...), None when unknown.
"""

import logging
import sys
import time

logger = logging.getLogger("rnnfast")

__all__ = ["Progress", "bar", "format_status", "live_line", "printer"]


def format_duration(seconds):
    seconds = int(max(seconds, 0))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _figure(value):
    if isinstance(value, float):
        return f"{value:.5g}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def format_status(status):
    """One line for a status dict from `Progress`."""
    head = status["task"]
    if status["epochs"] > 1:
        head += f" epoch {status['epoch']}/{status['epochs']}"
    rate = status["rate"]
    rate = f"{rate / 1e3:,.0f}k" if rate >= 1e4 else f"{rate:,.1f}"
    if status["fraction"] is None:  # a stream of unknown length
        parts = [head, f"{_figure(status['done'])} {status['unit']}", f"{rate} {status['unit']}/s"]
    else:
        parts = [head, f"{100 * status['fraction']:5.1f}%", f"{rate} {status['unit']}/s",
                 f"ETA {format_duration(status['eta'])}"]
    parts += [f"{name} {_figure(value)}" for name, value in status["figures"].items()
              if value is not None]
    return "  ".join(parts)


class Progress:
    """Rate-limited reports of one phase: `total` units (None: not known beforehand)
    in each of `epochs` epochs.

    callback: called with each status dict (None: the "rnnfast" logger at INFO;
    False: no reports; True or "bar": a live bar on stderr, in a terminal or a
    notebook). Every estimator's `progress` argument ends here."""

    def __init__(self, task, total, unit, callback=None, epochs=1, interval=1.0):
        if callback is True or callback == "bar":
            callback = bar()
        elif callback is not None and callback is not False and not callable(callback):
            raise TypeError("progress must be True or 'bar' (a live bar), a callable taking "
                            "a status dict, False (no reports) or None (the 'rnnfast' "
                            f"logger), got {callback!r}")
        self.task = task
        self.unit = unit
        self.epochs = max(int(epochs), 1)
        self.total = None if total is None else max(int(total), 1) * self.epochs
        self.callback = callback
        self.interval = interval
        self.start = time.perf_counter()
        self.last = None

    def update(self, done, epoch=0, force=False, **figures):
        """Report if `interval` has passed since the last report (or `force`);
        `done` counts units from the start of the first epoch."""
        if self.callback is False:
            return
        now = time.perf_counter()
        if not force and self.last is not None and now - self.last < self.interval:
            return
        self.last = now
        elapsed = max(now - self.start, 1e-9)
        done = max(done, 0) if self.total is None else min(max(done, 0), self.total)
        rate = done / elapsed
        known = self.total is not None
        status = {"task": self.task, "epoch": epoch + 1, "epochs": self.epochs,
                  "fraction": done / self.total if known else None, "done": done,
                  "total": self.total, "unit": self.unit, "rate": rate, "elapsed": elapsed,
                  "eta": ((self.total - done) / rate if rate > 0 else 0.0) if known else None,
                  "figures": figures, **figures}
        if self.callback is not None:
            self.callback(status)
        else:
            logger.info(format_status(status))


BAR_WIDTH = 24
_open_bar = {}   # stream -> the width of the bar line drawn last, not yet ended


def _redraws(stream):
    """Whether `stream` shows a carriage return as a return to the line's start: a
    terminal, or a Jupyter notebook's output (not a tty, but drawn in place)."""
    return stream.isatty() or type(stream).__module__.startswith("ipykernel")


def bar(stream=None, redraw=None):
    """A progress callback that redraws one line with a bar, the rate, the ETA and the
    phase's figures, through a carriage return: a terminal and a notebook's output both
    show it in place (redraw None: when `stream` does; False: one line per report, as a
    log file wants). A phase draws its own line (the one before is ended)."""
    stream = stream or sys.stderr
    if not (_redraws(stream) if redraw is None else redraw):
        return printer(stream)
    key = id(stream)
    if _open_bar.pop(key, None):   # the last phase's line stays as it ended
        stream.write("\n")

    def show(status):
        fraction = status["fraction"]
        if fraction is None:       # a stream of unknown length: no bar, only the counts
            line = format_status(status)
        else:
            filled = int(round(BAR_WIDTH * fraction))
            rest = format_status(status).split("  ", 2)   # task, percent, the rest
            line = f"{rest[0]} |{'#' * filled}{'.' * (BAR_WIDTH - filled)}| " + \
                "  ".join(rest[1:])
        width = _open_bar.get(key, 0)
        stream.write("\r" + line + " " * max(width - len(line), 0))
        stream.flush()
        _open_bar[key] = len(line)
        if fraction is not None and fraction >= 1.0:
            stream.write("\n")
            stream.flush()
            _open_bar.pop(key, None)

    return show


def printer(stream=None):
    """A progress callback that prints each report as a line (the RNN's verbose=True)."""
    def show(status):
        print(format_status(status), file=stream or sys.stdout, flush=True)
    return show


def live_line(stream=None):
    """A progress callback that redraws one terminal line (plain lines when not a tty);
    a new phase starts a new line."""
    stream = stream or sys.stderr
    tty = stream.isatty()
    shown = []

    def show(status):
        line = format_status(status)
        if tty:
            if shown and shown[-1] != status["task"]:
                stream.write("\n")
            stream.write("\r\033[K" + line)
        else:
            stream.write(line + "\n")
        shown[:] = [status["task"]]
        stream.flush()

    def close():
        if tty and shown:
            stream.write("\n")
            stream.flush()

    show.close = close
    return show
