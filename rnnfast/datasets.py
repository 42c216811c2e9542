"""A small built-in corpus with known structure, for the demo, examples and tests.

`toy_corpus()` generates sentences from a little world of countries, capitals,
languages and people, where meaning is carried by context words just as in real
text: a capital shares its country's language words and the words of cities; a
queen shares the words of royalty with a king and the female pronouns with a
woman. Trained embeddings should therefore solve analogies such as
king - man + woman = queen and paris - france + italy = rome.
"""

import numpy as np

__all__ = ["toy_corpus", "write_toy_corpus", "toy_analogies", "COUNTRIES", "PEOPLE"]

# country, capital, the country's own context words
COUNTRIES = [
    ("france", "paris", ["french", "wine", "baguette"]),
    ("italy", "rome", ["italian", "pasta", "espresso"]),
    ("germany", "berlin", ["german", "beer", "autobahn"]),
    ("spain", "madrid", ["spanish", "paella", "flamenco"]),
    ("japan", "tokyo", ["japanese", "sushi", "kimono"]),
    ("russia", "moscow", ["russian", "vodka", "kremlin"]),
    ("egypt", "cairo", ["egyptian", "pyramids", "nile"]),
    ("greece", "athens", ["greek", "olives", "acropolis"]),
    ("china", "beijing", ["chinese", "tea", "dumplings"]),
    ("poland", "warsaw", ["polish", "pierogi", "vistula"]),
]
# (male, female, the words of their role, shared by both genders)
PEOPLE = [
    ("king", "queen", ["crown", "throne", "reign"]),
    ("prince", "princess", ["heir", "castle", "knight"]),
    ("man", "woman", ["work", "office", "adult"]),
    ("husband", "wife", ["marriage", "wedding", "spouse"]),
    ("boy", "girl", ["school", "play", "toys"]),
    ("son", "daughter", ["born", "child", "inherit"]),
    ("father", "mother", ["parent", "raise", "family"]),
    ("uncle", "aunt", ["nephew", "niece", "relative"]),
]
_GENDER_WORDS = {"m": ["he", "his", "him", "himself"], "f": ["she", "her", "hers", "herself"]}
_CITY_WORDS = ["city", "streets", "mayor", "downtown", "capital", "metro"]
_NATION_WORDS = ["nation", "border", "government", "country", "flag", "republic"]
_FILLER = ["the", "a", "of", "and", "in", "to", "was", "is", "with", "for", "on", "that"]


def toy_corpus(n_sentences=20000, seed=0):
    """A list of `n_sentences` token lists (about 8 tokens each), reproducible from `seed`."""
    if n_sentences < 0:
        raise ValueError(f"n_sentences must be >= 0, got {n_sentences}")
    rng = np.random.default_rng(seed)
    sentences = []
    for _ in range(n_sentences):
        if rng.random() < 0.5:
            country, capital, own = COUNTRIES[rng.integers(len(COUNTRIES))]
            is_city = rng.random() < 0.5
            topic = [capital if is_city else country]
            kind = _CITY_WORDS if is_city else _NATION_WORDS
            context = [own[rng.integers(3)], own[rng.integers(3)], kind[rng.integers(6)],
                       kind[rng.integers(6)]]
        else:
            male, female, words = PEOPLE[rng.integers(len(PEOPLE))]
            gender = "m" if rng.random() < 0.5 else "f"
            topic = [male if gender == "m" else female]
            pronouns = _GENDER_WORDS[gender]
            context = [words[rng.integers(3)], words[rng.integers(3)],
                       pronouns[rng.integers(4)], pronouns[rng.integers(4)]]
        fillers = [_FILLER[i] for i in rng.integers(len(_FILLER), size=3)]
        sentence = topic + context + fillers
        rng.shuffle(sentence)
        sentences.append(sentence)
    return sentences


def write_toy_corpus(path, n_sentences=20000, seed=0):
    """Write toy_corpus(n_sentences, seed) to `path` as a corpus file (one sentence per
    line, tokens separated by spaces, UTF-8), atomically; returns `path`."""
    from rnnfast._core import persist

    with persist.atomic_write(path, "w", encoding="utf-8") as f:
        f.writelines(" ".join(sentence) + "\n" for sentence in toy_corpus(n_sentences, seed))
    return path


def toy_analogies():
    """Analogy questions that hold in `toy_corpus`, in the questions-words.txt format (lines)."""
    lines = [": capital-country"]
    for i, (c1, cap1, _) in enumerate(COUNTRIES):
        for c2, cap2, _ in COUNTRIES[i + 1:]:
            lines.append(f"{cap1} {c1} {cap2} {c2}")
    lines.append(": gender")
    for i, (m1, f1, _) in enumerate(PEOPLE):
        for m2, f2, _ in PEOPLE[i + 1:]:
            lines.append(f"{m1} {f1} {m2} {f2}")
    return lines
