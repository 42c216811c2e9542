"""Progress of a long training run: percent done, speed, ETA, learning rate, loss.

A `Progress` object is told how many words are done and reports at most once a
second, to a callable (the CLI's live line) or, by default, to the "rnnfast" logger.
"""

import logging
import sys
import time

logger = logging.getLogger("rnnfast")


def format_duration(seconds):
    seconds = int(max(seconds, 0))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def format_status(status):
    """One line for a status dict from `Progress`."""
    parts = [f"{status['task']} epoch {status['epoch']}/{status['epochs']}",
             f"{100 * status['fraction']:5.1f}%",
             f"{status['words_per_sec'] / 1e3:,.0f}k {status.get('unit', 'words')}/s",
             f"ETA {format_duration(status['eta'])}"]
    if status.get("alpha") is not None:
        parts.append(f"lr {status['alpha']:.5f}")
    if status.get("loss") is not None:
        parts.append(f"loss {status['loss']:.4f}")
    return "  ".join(parts)


class Progress:
    """Rate-limited progress reports for `total_words` words over `epochs` epochs."""

    def __init__(self, task, total_words, epochs, callback=None, interval=1.0, unit="words"):
        self.task = task
        self.unit = unit
        self.total = max(int(total_words), 1) * epochs
        self.epochs = epochs
        self.callback = callback
        self.interval = interval
        self.start = time.perf_counter()
        self.last = self.start

    def update(self, epoch, words_done, alpha=None, loss=None, force=False):
        """Report if a second has passed (or `force`); words_done counts from the first epoch."""
        now = time.perf_counter()
        if not force and now - self.last < self.interval:
            return
        self.last = now
        elapsed = max(now - self.start, 1e-9)
        fraction = min(words_done / self.total, 1.0)
        speed = words_done / elapsed
        status = {"task": self.task, "epoch": epoch + 1, "epochs": self.epochs,
                  "fraction": fraction, "words_per_sec": speed,
                  "eta": (self.total - words_done) / speed if speed > 0 else 0.0,
                  "alpha": alpha, "loss": loss, "elapsed": elapsed, "unit": self.unit}
        if self.callback is not None:
            self.callback(status)
        else:
            logger.info(format_status(status))


def live_line(stream=None):
    """A progress callback that redraws one terminal line (plain lines when not a tty)."""
    stream = stream or sys.stderr
    tty = stream.isatty()

    def show(status):
        line = format_status(status)
        if tty:
            stream.write("\r\033[K" + line)
        else:
            stream.write(line + "\n")
        stream.flush()

    def close():
        if tty:
            stream.write("\n")
            stream.flush()

    show.close = close
    return show
