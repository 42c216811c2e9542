"""tokenize: letters and digits of any script, options for URLs, e-mails, numbers, emoji;
TextTokenizer, the scikit-learn step over it."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from rnnfast import KeyedVectors, RNNClassifier, TextTokenizer, simple_tokenize, tokenize


def test_the_issue_example_keeps_digits_and_every_letter():
    assert tokenize("Call 0800 Café £100 naïve") == \
        ["call", "0800", "café", "£", "100", "naïve"]
    assert simple_tokenize("Call 0800 Café £100 naïve") == ["call", "caf", "na", "ve"]


@pytest.mark.parametrize("text, tokens", [
    ("Hello, World! It's 2024 -- e-mail", ["hello", "world", "it's", "2024", "e-mail"]),
    ("don’t stop", ["don't", "stop"]),                   # one apostrophe
    ("हिन्दी भाषा", ["हिन्दी", "भाषा"]),                  # vowel signs stay in their word
    ("Привет, мир", ["привет", "мир"]),
    ("مرحبا ٣٤٥", ["مرحبا", "٣٤٥"]),                    # Arabic-Indic digits are a number
    ("東京です", ["東", "京", "です"]),                   # one token per ideograph
    ("Ｆｕｌｌ ﬁne x²", ["full", "fine", "x2"]),           # NFKC folds compatibility forms
    ("3.14 10:30 1,000 2nd mp3", ["3.14", "10:30", "1,000", "2nd", "mp3"]),
    ("I ❤️ it 👍🏽 👨‍👩‍👧 🇬🇧", ["i", "❤️", "it", "👍🏽", "👨‍👩‍👧", "🇬🇧"]),
    ("__init__ a_b", ["init", "a", "b"]),
    ("", []), ("?!... --", []),
])
def test_tokens_of_many_scripts(text, tokens):
    assert tokenize(text) == tokens


def test_urls_emails_numbers_emoji_and_currency_options():
    text = "Mail bob@ex.co.uk, see https://ex.com/a?b=1. Pay $5 now 😀"
    assert tokenize(text) == ["mail", "<email>", "see", "<url>", "pay", "$", "5", "now", "😀"]
    assert tokenize(text, urls="keep", emails="keep", numbers="token", emoji="token") == \
        ["mail", "bob@ex.co.uk", "see", "https://ex.com/a?b=1", "pay", "$", "<num>", "now",
         "<emoji>"]
    assert tokenize(text, urls="drop", emails="drop", numbers="drop", emoji="drop",
                    currency=False) == ["mail", "see", "pay", "now"]
    assert tokenize("www.ex.com/x)", urls="keep") == ["www.ex.com/x"]


def test_case_and_normalisation_options():
    assert tokenize("Ｃafé", lowercase=False, normalize=None) == ["Ｃafé"]
    assert tokenize("Ｃafé", lowercase=False) == ["Café"]
    decomposed = "cafe\u0301"
    assert tokenize(decomposed) == ["café"] and tokenize(decomposed, normalize="NFD") == \
        [decomposed]


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(urls="yes"), ValueError, "urls must be one of 'keep', 'token', 'drop'"),
    (dict(numbers=None), ValueError, "numbers must be one of"),
    (dict(emoji="x"), ValueError, "emoji must be one of"),
    (dict(emails=1), ValueError, "emails must be one of"),
    (dict(normalize="nfkc"), ValueError, "normalize must be None, 'NFC'"),
    (dict(lowercase="no"), TypeError, "lowercase must be True or False"),
    (dict(currency=1), TypeError, "currency must be True or False"),
])
def test_bad_options_name_the_argument(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        tokenize("text", **kwargs)
    with pytest.raises(exc, match=match):
        TextTokenizer(**kwargs).fit_transform(["text"])


def test_text_must_be_str():
    for bad in (None, b"bytes", 3, ["a"]):
        with pytest.raises(TypeError, match="text must be str"):
            tokenize(bad)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_tokens_are_whole_and_tokenizing_them_again_gives_them_back(text):
    tokens = tokenize(text, urls="keep", emails="keep")
    assert all(t and not any(ch.isspace() for ch in t) for t in tokens)
    assert tokenize(" ".join(tokens), urls="keep", emails="keep") == tokens


def test_text_tokenizer_is_a_stateless_scikit_learn_step():
    from sklearn.base import clone
    step = TextTokenizer(numbers="token")
    assert step.fit_transform(["Win £1000 now!!", "", "ok"]) == \
        [["win", "£", "<num>", "now"], ["<empty>"], ["ok"]]
    assert TextTokenizer(empty=None).transform([""]) == [[]]
    assert clone(step).get_params() == step.get_params()
    assert TextTokenizer().transform(["unfitted works"]) == [["unfitted", "works"]]
    with pytest.raises(TypeError, match="a single str: wrap it in a list"):
        step.transform("one text")
    with pytest.raises(TypeError, match=r"X\[1\] must be str, got int"):
        step.transform(["a", 5])
    with pytest.raises(TypeError, match="empty must be a str or None"):
        TextTokenizer(empty=0).fit(["a"])


def test_text_tokenizer_feeds_an_rnn_classifier_in_a_pipeline():
    from sklearn.pipeline import make_pipeline
    rng = np.random.default_rng(0)
    words = ["free", "prize", "win", "£", "hello", "mum", "see", "you", "<num>"]
    kv = KeyedVectors.from_arrays(words, rng.standard_normal((len(words), 8)))
    texts = ["Win a FREE prize £1000", "free prize now £5", "hello mum, see you",
             "see you soon mum"] * 10
    labels = [1, 1, 0, 0] * 10
    pipe = make_pipeline(TextTokenizer(numbers="token"),
                         RNNClassifier(hidden_size=8, embedding=kv, epochs=40, learning_rate=0.05,
                                       random_state=0))
    pipe.fit(texts, labels)
    assert pipe.score(texts, labels) == 1.0
    assert pipe.predict(["WIN a free prize: £50!", "See you, Mum"]).tolist() == [1, 0]
