"""The examples in the docstrings of the main classes and functions run and give what
they show (the API reference renders the same text)."""

import doctest

import pytest

import rnnfast

DOCUMENTED = ["Word2Vec", "FastText", "GloVe", "KeyedVectors", "RNNClassifier", "RNNRegressor",
              "RNNSequenceTagger", "TextTokenizer", "tokenize"]


@pytest.mark.parametrize("name", DOCUMENTED)
def test_docstring_examples_run(name):
    obj = getattr(rnnfast, name)
    tests = [t for t in doctest.DocTestFinder(recurse=False).find(obj, name, globs={})
             if t.examples]
    assert tests, f"{name} has no example in its docstring"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in tests:
        runner.run(test)
    assert runner.failures == 0, f"{name}: {runner.failures} example(s) failed (output above)"
