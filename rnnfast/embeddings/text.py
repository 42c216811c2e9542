"""Turning raw text into tokens: `tokenize` (Unicode-aware, with options; the
scikit-learn step `rnnfast.TextTokenizer` wraps it) and `simple_tokenize` (a-z runs
only, kept by name)."""

import functools
import itertools
import re
import unicodedata

__all__ = ["tokenize", "simple_tokenize", "check_options", "tokens"]

_WORD = re.compile(r"[a-z]+")

PLACEHOLDERS = {"urls": "<url>", "emails": "<email>", "numbers": "<num>", "emoji": "<emoji>"}
_CHOICES = ("keep", "token", "drop")

# pictographs and dingbats, with what joins them into one emoji: skin tones, the
# emoji presentation selector, zero-width joiners and regional-indicator pairs (flags)
_PICTO = "\u2600-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff"
_EMOJI = (f"(?:[\U0001f1e6-\U0001f1ff]{{2}}|[{_PICTO}][\U0001f3fb-\U0001f3ff\ufe0f]*"
          f"(?:\u200d[{_PICTO}][\U0001f3fb-\U0001f3ff\ufe0f]*)*)")
# CJK ideographs: text without spaces between words, so one token per character
_IDEOGRAPH = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"


@functools.lru_cache(maxsize=1)
def _marks():
    """A character class of every combining mark (Unicode categories Mn, Mc, Me):
    vowel signs and accents belong to the word they sit in, though Python's \\w does not
    match them. Built once, on first use."""
    ranges, start = [], None
    # marks lie in the first two planes and among plane 14's variation selectors
    for cp in itertools.chain(range(0x20000), range(0xE0000, 0xE1000)):
        is_mark = unicodedata.category(chr(cp))[0] == "M"
        if is_mark and start is None:
            start = cp
        elif not is_mark and start is not None:
            ranges.append((start, cp - 1))
            start = None
    return "".join(re.escape(chr(a)) + (f"-{re.escape(chr(b))}" if b > a else "")
                   for a, b in ranges)


@functools.lru_cache(maxsize=1)
def _pattern():
    marks = _marks()
    letter = f"(?:(?![{_IDEOGRAPH}])[^\\W_]|[{marks}])"
    return re.compile(
        r"(?P<url>(?:https?://|www\.)[^\s<>\"]+[^\s<>\".,;:!?)\]}'])"
        r"|(?P<email>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)"
        r"|(?P<number>\d+(?:[.,:]\d+)*(?!\w))"
        f"|(?P<word>{letter}+(?:['\u2019\\-]{letter}+)*)"
        f"|(?P<ideograph>[{_IDEOGRAPH}])"
        f"|(?P<emoji>{_EMOJI})"
        r"|(?P<symbol>[^\w\s])")


def _choice(name, value):
    if value not in _CHOICES:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, _CHOICES))}, got "
                         f"{value!r}")
    return value


def check_options(lowercase, normalize, urls, emails, numbers, emoji, currency):
    """tokenize's options checked (errors name the argument); returns the choices for
    urls, emails, numbers and emoji by name, for `tokens`."""
    if normalize not in (None, "NFC", "NFKC", "NFD", "NFKD"):
        raise ValueError(f"normalize must be None, 'NFC', 'NFKC', 'NFD' or 'NFKD', got "
                         f"{normalize!r}")
    for name, value in (("lowercase", lowercase), ("currency", currency)):
        if not isinstance(value, bool):
            raise TypeError(f"{name} must be True or False, got {value!r}")
    return {"urls": _choice("urls", urls), "emails": _choice("emails", emails),
            "numbers": _choice("numbers", numbers), "emoji": _choice("emoji", emoji)}


def tokenize(text, lowercase=True, normalize="NFKC", urls="token", emails="token",
             numbers="keep", emoji="keep", currency=True):
    """The tokens of `text` (str), a list of str.

    Words are runs of letters and digits of any script, with their combining marks,
    joined through an inner apostrophe or hyphen ("don't", "e-mail", "naïve", "हिन्दी");
    CJK ideographs are one token each (such text has no spaces between words).
    Punctuation is dropped. `normalize` applies Unicode normalisation first (NFKC, the
    default, folds compatibility forms: full-width letters, ligatures, superscripts);
    `lowercase` lowercases. URLs, e-mail addresses, numbers ("0800", "3.14", "10:30")
    and emoji are each kept ("keep"), replaced by a placeholder ("token": "<url>",
    "<email>", "<num>", "<emoji>") or dropped ("drop"). Currency signs ("£", "$") are
    tokens unless `currency` is False.

    Examples
    --------
    >>> from rnnfast import tokenize
    >>> tokenize("Call 0800 Café £100 naïve")
    ['call', '0800', 'café', '£', '100', 'naïve']
    >>> tokenize("Mail bob@example.com 😀", emails="keep", emoji="token")
    ['mail', 'bob@example.com', '<emoji>']
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be str, got {type(text).__name__}")
    choices = check_options(lowercase, normalize, urls, emails, numbers, emoji, currency)
    return tokens(text, lowercase, normalize, choices, currency)


def tokens(text, lowercase, normalize, choices, currency):
    """tokenize's work, on options check_options has checked (choices: its result)."""
    if normalize is not None:
        text = unicodedata.normalize(normalize, text)
    if lowercase:
        text = text.lower()
    out = []
    for match in _pattern().finditer(text):
        kind, token = match.lastgroup, match.group()
        if kind in ("word", "ideograph"):
            out.append(token.replace("\u2019", "'"))   # one apostrophe: don’t = don't
            continue
        if kind == "symbol":
            if currency and unicodedata.category(token) == "Sc":
                out.append(token)
            continue
        option = {"url": "urls", "email": "emails", "number": "numbers",
                  "emoji": "emoji"}[kind]
        if choices[option] == "keep":
            out.append(token)
        elif choices[option] == "token":
            out.append(PLACEHOLDERS[option])
    return out


def simple_tokenize(text):
    """Lowercase `text` and return its runs of letters a-z, the normalisation of the shared corpora."""
    if not isinstance(text, str):
        raise TypeError(f"text must be str, got {type(text).__name__}")
    return _WORD.findall(text.lower())
