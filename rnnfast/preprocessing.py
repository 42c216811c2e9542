"""scikit-learn steps that prepare raw input for the estimators (raw text into tokens)."""

from rnnfast._core.sklearn_compat import BaseEstimator
from rnnfast.embeddings import text

__all__ = ["TextTokenizer"]


class TextTokenizer(BaseEstimator):
    """A scikit-learn step that turns raw strings into token lists with `tokenize`
    (same options), e.g. before an RNNClassifier over word vectors in a Pipeline.

    fit learns nothing; transform(X) takes an iterable of str and returns a list of
    lists of str. An empty text gives `empty` as its one token (None: an empty list),
    since a sequence model needs at least one step.

    Examples
    --------
    >>> from rnnfast import TextTokenizer
    >>> TextTokenizer(numbers="token").fit_transform(["Win £1000 now!", ""])
    [['win', '£', '<num>', 'now'], ['<empty>']]
    """

    def __init__(self, lowercase=True, normalize="NFKC", urls="token", emails="token",
                 numbers="keep", emoji="keep", currency=True, empty="<empty>"):
        self.lowercase = lowercase
        self.normalize = normalize
        self.urls = urls
        self.emails = emails
        self.numbers = numbers
        self.emoji = emoji
        self.currency = currency
        self.empty = empty

    def fit(self, X, y=None):
        """Check the options (nothing is learned). Returns self."""
        self._choices()
        return self

    def _choices(self):
        if self.empty is not None and not isinstance(self.empty, str):
            raise TypeError(f"empty must be a str or None, got {type(self.empty).__name__}")
        return text.check_options(self.lowercase, self.normalize, self.urls, self.emails,
                                  self.numbers, self.emoji, self.currency)

    def transform(self, X):
        """The tokens of each text of X (iterable of str): a list of lists of str."""
        if isinstance(X, (str, bytes)):
            raise TypeError("X must be an iterable of texts, got a single "
                            f"{type(X).__name__}: wrap it in a list")
        choices = self._choices()
        out = []
        for i, doc in enumerate(X):
            if not isinstance(doc, str):
                raise TypeError(f"X[{i}] must be str, got {type(doc).__name__}")
            found = text.tokens(doc, self.lowercase, self.normalize, choices, self.currency)
            out.append(found or ([self.empty] if self.empty is not None else []))
        return out

    def fit_transform(self, X, y=None):
        """fit, then transform X."""
        return self.fit(X, y).transform(X)

    def __sklearn_is_fitted__(self):
        return True   # stateless: usable without fit, as FunctionTransformer is

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.requires_fit = False
        return tags
