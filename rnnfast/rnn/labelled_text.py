"""Reading a table of labelled texts (TSV or CSV with a header row), as `rnnfast classify`
takes it: every problem is a ValueError naming the file, the line and the column."""

import csv
import os

__all__ = ["read_labelled", "read_texts"]


def _decoded_lines(path):
    """The file's lines as str, each checked to be UTF-8 (a file that mixes encodings is
    named at its first line that is not); a leading byte-order mark is dropped."""
    with open(path, "rb") as f:
        for number, raw in enumerate(f, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise ValueError(
                    f"{path}:{number}: not UTF-8 (byte 0x{raw[e.start]:02x} at column "
                    f"{e.start + 1}); the file mixes encodings or is not UTF-8: convert it "
                    f"first (e.g. iconv -f latin1 -t utf-8)") from None
            if number == 1 and line.startswith("\ufeff"):
                line = line[1:]
            yield line


def _column(path, header, given, what):
    """The index of column `given` (a header name, or a 0-based number) in `header`."""
    if given in header:
        return header.index(given)
    if given.isdigit() and int(given) < len(header):
        return int(given)
    raise ValueError(f"{path}:1: no {what} column {given!r}; the header has "
                     f"{', '.join(map(repr, header))} (give a name or a 0-based number)")


def _reader(path, delimiter):
    lines = _decoded_lines(path)
    if delimiter == "\t":   # tab-separated: no quoting, a text may hold quote marks
        return csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    return csv.reader(lines, delimiter=delimiter)


def read_labelled(path, text_column="text", label_column="label", delimiter=None):
    """(texts, labels, line numbers) of a table with a header row: lists of str, str and
    int. delimiter None: tab, or a comma for a .csv file."""
    path = os.fspath(path)
    delimiter = delimiter or ("," if path.lower().endswith(".csv") else "\t")
    reader = _reader(path, delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise ValueError(f"{path} is empty: it needs a header row, then one text per "
                         f"row") from None
    t = _column(path, header, text_column, "text")
    k = _column(path, header, label_column, "label")
    texts, labels, lines = [], [], []
    for row in reader:
        line = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue   # a blank line
        if max(t, k) >= len(row):
            raise ValueError(f"{path}:{line}: {len(row)} field(s), but the "
                             f"{'text' if t >= len(row) else 'label'} column is number "
                             f"{max(t, k) + 1} (delimiter {delimiter!r})")
        label = row[k].strip()
        if not label:
            raise ValueError(f"{path}:{line}: the label ({header[k]!r}) is empty")
        texts.append(row[t])
        labels.append(label)
        lines.append(line)
    if not texts:
        raise ValueError(f"{path} has a header but no rows")
    if len(set(labels)) < 2:
        raise ValueError(f"{path}: every row has the label {labels[0]!r}; a classifier "
                         f"needs two labels or more")
    return texts, labels, lines


def read_texts(stream, name="<stdin>"):
    """The lines of a binary stream as texts (str, without their line ends), each
    checked to be UTF-8."""
    texts = []
    for number, raw in enumerate(stream, 1):
        try:
            texts.append(raw.decode("utf-8").rstrip("\r\n"))
        except UnicodeDecodeError as e:
            raise ValueError(f"{name}:{number}: not UTF-8 (byte 0x{raw[e.start]:02x} at "
                             f"column {e.start + 1})") from None
    return texts
