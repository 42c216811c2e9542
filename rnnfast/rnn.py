"""RNNClassifier and RNNRegressor: Elman RNNs with scikit-learn's estimator conventions.

A sequence (a text, a time series) is read step by step and its final hidden
state h_T feeds a head: sigmoid for binary classification (binary
cross-entropy), linear for regression (mean squared error). Each training step
is one call of the fused kernel `functional.rnn_loss_and_grads`.
"""

import concurrent.futures
import inspect
import json
import math
import time

import numpy as np

from rnnfast import _checks, _optim, functional
from rnnfast._arrays import sum_rows_by_id
from rnnfast._atomic import atomic_write

__all__ = ["RNNClassifier", "RNNRegressor", "NotFittedError"]

_ADAM_BETAS_EPS = (0.9, 0.999, 1e-8)


class NotFittedError(ValueError, AttributeError):
    """The estimator is used before `fit`."""


class _SequenceData:
    """Sequences held as a list of arrays: float (T_i, D) steps, or int (T_i,) token ids.

    Token sequences are also kept end to end in one id array, so that a batch's padded
    id matrix is a single gather."""

    def __init__(self, seqs, tokens):
        self.seqs = seqs
        self.tokens = tokens
        self.lengths = np.array([len(s) for s in seqs], dtype=np.intp)
        if tokens:
            self.flat = np.concatenate(seqs) if seqs else np.zeros(0, np.intp)
            self.starts = np.cumsum(self.lengths) - self.lengths

    def __len__(self):
        return len(self.seqs)

    def subset(self, index):
        return _SequenceData([self.seqs[i] for i in index], self.tokens)

    def batch(self, index, embedding, dtype):
        """(x (B, T_max, D), lengths (B,), ids (B, T_max) or None) for the sequences at
        `index`; padding steps (past a sequence's length) hold id 0 / zeros."""
        lengths = self.lengths[index]
        T = int(lengths.max())
        if self.tokens:
            steps = np.arange(T)
            valid = steps < lengths[:, None]
            pos = np.where(valid, self.starts[index][:, None] + steps, 0)
            ids = np.where(valid, self.flat[pos], 0)
            return embedding.take(ids, axis=0).astype(dtype, copy=False), lengths, ids
        D = self.seqs[index[0]].shape[1]
        x = np.zeros((len(index), T, D), dtype=dtype)
        for row, i in enumerate(index):
            x[row, :lengths[row]] = self.seqs[i]
        return x, lengths, None


class _BaseRNN:
    _task = None
    _PARAMS = ("W_xh", "W_hh", "b_h", "W_hy", "b_y")

    def __init__(self, hidden_size=64, embedding=None, freeze_embedding=False, epochs=10,
                 batch_size=32, optimizer="adam", learning_rate=1e-3, clip_norm=5.0,
                 bptt_steps=None, weight_decay=0.0, validation_fraction=0.0,
                 early_stopping=False, n_iter_no_change=5, tol=1e-4, n_jobs=None, seed=0,
                 verbose=False, dtype="float32"):
        self.hidden_size = hidden_size
        self.embedding = embedding
        self.freeze_embedding = freeze_embedding
        self.epochs = epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.clip_norm = clip_norm
        self.bptt_steps = bptt_steps
        self.weight_decay = weight_decay
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.n_jobs = n_jobs
        self.seed = seed
        self.verbose = verbose
        self.dtype = dtype

    # --- scikit-learn conventions ----------------------------------------------------

    @classmethod
    def _param_names(cls):
        return [p for p in inspect.signature(_BaseRNN.__init__).parameters if p != "self"]

    def get_params(self, deep=True):
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"invalid parameter {name!r} for {type(self).__name__}; "
                                 f"valid ones: {', '.join(valid)}")
            setattr(self, name, value)
        return self

    def __repr__(self):
        changed = {k: v for k, v in self.get_params().items()
                   if not _same(v, inspect.signature(_BaseRNN.__init__).parameters[k].default)}
        args = ", ".join(f"{k}={'<embedding>' if k == 'embedding' else repr(v)}"
                         for k, v in changed.items())
        return f"{type(self).__name__}({args})"

    def _check_hyperparameters(self):
        _checks.check_index("hidden_size", self.hidden_size, low=1)
        _checks.check_index("epochs", self.epochs, low=1)
        _checks.check_index("batch_size", self.batch_size, low=1)
        _checks.check_index("n_iter_no_change", self.n_iter_no_change, low=1)
        if self.bptt_steps is not None:
            _checks.check_index("bptt_steps", self.bptt_steps, low=1)
        if self.n_jobs is not None:
            _checks.check_index("n_jobs", self.n_jobs, low=1)
        if self.optimizer not in ("adam", "sgd"):
            raise ValueError(f"optimizer must be 'adam' or 'sgd', got {self.optimizer!r}")
        for name in ("learning_rate", "weight_decay", "tol"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        if self.clip_norm is not None and not (self.clip_norm > 0):
            raise ValueError(f"clip_norm must be > 0 or None, got {self.clip_norm!r}")
        if not 0 <= self.validation_fraction < 1:
            raise ValueError(f"validation_fraction must be in [0, 1), got "
                             f"{self.validation_fraction!r}")
        if np.dtype(self.dtype) not in (np.float32, np.float64):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {self.dtype!r}")

    # --- inputs ----------------------------------------------------------------------

    def _embedding_table(self):
        """(matrix (V, d) float64, key_to_index dict or None) from the `embedding` argument."""
        emb = self.embedding
        if hasattr(emb, "vectors") and hasattr(emb, "key_to_index"):
            return np.asarray(emb.vectors, dtype=np.float64), dict(emb.key_to_index)
        if isinstance(emb, tuple) and len(emb) == 2:
            matrix, keys = emb
            matrix = np.asarray(matrix, dtype=np.float64)
            keys = list(keys)
            if len(keys) != len(matrix):
                raise ValueError(f"embedding: {len(keys)} words for {len(matrix)} vectors")
            return matrix, {k: i for i, k in enumerate(keys)}
        matrix = np.asarray(emb, dtype=np.float64)
        return matrix, None

    def _prepare(self, X, fitting):
        """Validate X into a _SequenceData; while fitting, also set up the embedding."""
        if isinstance(X, np.ndarray) and X.dtype.kind in "iufb" and X.ndim == 3:
            seqs = list(X)
        else:
            try:
                seqs = list(X)
            except TypeError:
                raise TypeError(f"X must be a 3-D array or a list of sequences, "
                                f"got {type(X).__name__}") from None
        if not seqs:
            raise ValueError("X is empty: it holds no sequences")
        first = seqs[0]
        is_tokens = (not isinstance(first, np.ndarray) or first.ndim == 1) and \
            _looks_like_tokens(first)
        if is_tokens:
            return self._prepare_tokens(seqs, fitting)
        if self.embedding is not None and fitting:
            raise ValueError("an embedding was given but X holds float vectors, not tokens")
        arrays = []
        D = None
        for i, s in enumerate(seqs):
            a = np.asarray(s)
            if a.dtype.kind not in "iufb":
                raise TypeError(f"X[{i}] must hold numbers, got dtype {a.dtype}")
            if a.ndim != 2:
                raise ValueError(f"X[{i}] must be 2-D (T_i, D), got shape {a.shape}")
            if a.shape[0] == 0:
                raise ValueError(f"X[{i}] is a zero-length sequence")
            if D is None:
                D = a.shape[1]
            elif a.shape[1] != D:
                raise ValueError(f"X[{i}] has {a.shape[1]} features per step but X[0] has {D}")
            a = a.astype(np.float64, copy=False)
            if not np.isfinite(a).all():
                raise ValueError(f"X[{i}] contains NaN or infinity")
            arrays.append(a)
        if D == 0:
            raise ValueError("X has zero features per step")
        if fitting:
            self.n_features_in_ = D
            self.embedding_ = None
            self.key_to_index_ = None
        else:
            self._check_fitted()
            if self.embedding_ is not None:
                raise ValueError("this model was fitted on tokens; give token sequences")
            if D != self.n_features_in_:
                raise ValueError(f"X has {D} features per step, the model was fitted with "
                                 f"{self.n_features_in_}")
        return _SequenceData(arrays, tokens=False)

    def _prepare_tokens(self, seqs, fitting):
        if fitting:
            if self.embedding is None:
                raise ValueError("X holds tokens: give embedding= (KeyedVectors, an (V, d) "
                                 "array, or (array, words)) to turn them into vectors")
            matrix, key_to_index = self._embedding_table()
            if matrix.ndim != 2 or matrix.shape[0] == 0 or matrix.shape[1] == 0:
                raise ValueError(f"embedding must be a non-empty (V, d) matrix, got shape "
                                 f"{matrix.shape}")
            if not np.isfinite(matrix).all():
                raise ValueError("embedding contains NaN or infinity")
            rng = np.random.default_rng(self.seed)
            scale = float(np.std(matrix)) or 0.1
            unknown = rng.normal(0, scale, (1, matrix.shape[1]))
            self.embedding_ = np.vstack([matrix, unknown]).astype(self.dtype)
            self.key_to_index_ = key_to_index
            self.n_features_in_ = matrix.shape[1]
        else:
            self._check_fitted()
            if self.embedding_ is None:
                raise ValueError("this model was fitted on float vectors; X holds tokens")
            if self.embedding is not None:
                width = self._embedding_table()[0].shape[1]
                if width != self.embedding_.shape[1]:
                    raise ValueError(f"embedding has width {width} but the model was fitted "
                                     f"with width {self.embedding_.shape[1]}; refit")
        unknown_id = len(self.embedding_) - 1
        out = []
        for i, s in enumerate(seqs):
            if isinstance(s, str):
                raise TypeError(f"X[{i}] is a str; tokenize it first (rnnfast.simple_tokenize)")
            if len(s) == 0:
                raise ValueError(f"X[{i}] is a zero-length sequence")
            if self.key_to_index_ is not None:
                ids = [self.key_to_index_.get(t, unknown_id) for t in s]
            else:
                ids = np.asarray(s)
                if ids.dtype.kind not in "iu":
                    raise TypeError(f"X[{i}] must hold int ids for an embedding without words")
                if ids.min() < 0 or ids.max() >= unknown_id:
                    raise ValueError(f"X[{i}] holds ids outside 0..{unknown_id - 1}")
            out.append(np.asarray(ids, dtype=np.intp))
        return _SequenceData(out, tokens=True)

    def _check_fitted(self):
        if not hasattr(self, "params_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit first")

    # --- training --------------------------------------------------------------------

    def _init_params(self, D, O, rng):
        """PyTorch's uniform(-1/sqrt(H), 1/sqrt(H)) for input and output weights; W_hh a
        random orthogonal matrix (spectral radius exactly 1); zero biases."""
        H = self.hidden_size
        bound = 1 / np.sqrt(H)
        q, r = np.linalg.qr(rng.standard_normal((H, H)))
        W_hh = q * np.sign(np.diag(r))
        params = {"W_xh": rng.uniform(-bound, bound, (H, D)), "W_hh": W_hh,
                  "b_h": np.zeros(H), "W_hy": rng.uniform(-bound, bound, (O, H)),
                  "b_y": np.zeros(O)}
        return {k: v.astype(self.dtype) for k, v in params.items()}

    def _batches(self, lengths, rng):
        """Index arrays of similar-length sequences, in a random order."""
        order = np.argsort(lengths + rng.random(len(lengths)), kind="stable")
        batches = [order[i:i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        rng.shuffle(batches)
        return batches

    def _step(self, x, y, lengths, h0, dx_mask, pool):
        """Loss and gradients of one batch, split across threads when n_jobs > 1.

        dx_mask: None, or (B, T) bool: the steps whose dLoss/dx is wanted (grads["x"])."""
        input_grad = False if dx_mask is None else dx_mask
        n_parts = min(self.n_jobs or 1, len(x))
        if n_parts == 1:
            return functional.rnn_loss_and_grads(self.params_, x, y, lengths, self._task, h0,
                                                 input_grad=input_grad)
        bounds = np.linspace(0, len(x), n_parts + 1).astype(int)
        parts = [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]
        results = list(pool.map(
            lambda s: functional.rnn_loss_and_grads(
                self.params_, x[s], y[s], lengths[s], self._task,
                None if h0 is None else h0[s],
                input_grad=False if dx_mask is None else dx_mask[s]), parts))
        weights = [float(s.stop - s.start) / len(x) for s in parts]  # Python floats keep float32
        loss = sum(w * r[0] for w, r in zip(weights, results))
        grads = {k: sum(w * r[1][k] for w, r in zip(weights, results)) for k in self._PARAMS}
        if dx_mask is not None:
            grads["x"] = np.concatenate([w * r[1]["x"] for w, r in zip(weights, results)])
        return loss, grads

    def _truncate(self, x, lengths, ids):
        """Truncated BPTT: the last bptt_steps steps of each sequence, started from the
        state the earlier steps reach (no gradient flows into those).

        Returns (x, lengths, h0, ids) for the kept steps (ids None if it was None)."""
        k = self.bptt_steps
        if k is None or x.shape[1] <= k:
            return x, lengths, None, ids
        hs = functional.rnn_forward(x, self.params_["W_xh"], self.params_["W_hh"],
                                    self.params_["b_h"], None, lengths)
        B = len(x)
        start = np.maximum(lengths - k, 0)
        h0 = np.where((start > 0)[:, None], hs[np.arange(B), np.maximum(start - 1, 0)], 0)
        rows = np.arange(B)[:, None]
        cols = np.minimum(start[:, None] + np.arange(k)[None, :], x.shape[1] - 1)
        ids = None if ids is None else ids[rows, cols]
        return (np.ascontiguousarray(x[rows, cols]), np.minimum(lengths, k),
                h0.astype(x.dtype), ids)

    def _apply(self, grads, emb_grad_rows, state):
        """Weight decay, clipping by global norm, then an Adam or SGD step, in place.

        Returns the gradient's global norm before clipping."""
        if self.weight_decay:
            for k in ("W_xh", "W_hh", "W_hy"):
                grads[k] = grads[k] + self.weight_decay * self.params_[k]
        total = sum(float(np.vdot(g, g)) for g in grads.values())
        if emb_grad_rows is not None:
            total += float(np.vdot(emb_grad_rows[1], emb_grad_rows[1]))
        norm = math.sqrt(total)
        scale = 1.0
        if self.clip_norm is not None and norm > self.clip_norm:
            scale = self.clip_norm / norm
        items = [(self.params_[k], grads[k], None, k) for k in self._PARAMS]
        if emb_grad_rows is not None and len(emb_grad_rows[0]):
            rows, g = emb_grad_rows
            # the compiled update reads int64 row ids (intp is int32 on 32-bit builds)
            items.append((self.embedding_, g, rows.astype(np.int64, copy=False), "embedding"))
        state["step"] += 1
        for param, g, rows, name in items:
            if self.optimizer == "sgd":
                if rows is None:
                    param -= (self.learning_rate * scale) * g
                else:
                    param[rows] -= (self.learning_rate * scale) * g
                continue
            if name not in state:
                state[name] = (np.zeros_like(param), np.zeros_like(param))
                # checked once: later steps pass the same arrays and fresh gradients
                # of the kernel's making straight to the compiled update
                _checks.check_adam(param, g, *state[name], rows, self.learning_rate,
                                   *_ADAM_BETAS_EPS, state["step"], scale)
            m, v = state[name]
            _optim.adam(param, g, m, v, rows, self.learning_rate, *_ADAM_BETAS_EPS,
                        state["step"], scale)
        return norm

    def fit(self, X, y):
        """Train on sequences X and targets y; returns self."""
        self._check_hyperparameters()
        data = self._prepare(X, fitting=True)
        targets = self._encode_targets(y, len(data), fitting=True)
        rng = np.random.default_rng(self.seed)
        n = len(data)
        val_fraction = self.validation_fraction or (0.1 if self.early_stopping else 0.0)
        if val_fraction:
            perm = rng.permutation(n)
            n_val = max(1, int(round(val_fraction * n)))
            if n_val >= n:
                raise ValueError(f"validation_fraction={val_fraction} leaves no training data "
                                 f"out of {n} sequences")
            val_idx, train_idx = np.sort(perm[:n_val]), np.sort(perm[n_val:])
        else:
            val_idx, train_idx = np.array([], int), np.arange(n)
        train, val = data.subset(train_idx), data.subset(val_idx)
        y_train, y_val = targets[train_idx], targets[val_idx]
        O = 1 if targets.ndim == 1 else targets.shape[1]
        self.params_ = self._init_params(self.n_features_in_, O, rng)
        train_embedding = data.tokens
        emb_trainable = None
        if train_embedding:
            emb_trainable = np.ones(len(self.embedding_), bool)
            if self.freeze_embedding:
                emb_trainable[:] = False
                emb_trainable[-1] = True  # the unknown-token vector is always learned
        self.loss_curve_, self.validation_scores_, self.grad_norms_ = [], [], []
        self.best_validation_score_ = None
        best_params, since_best = None, 0
        state = {"step": 0}
        probe = np.arange(min(len(train), 64))
        pool = concurrent.futures.ThreadPoolExecutor(self.n_jobs) if (self.n_jobs or 1) > 1 \
            else None
        try:
            for epoch in range(self.epochs):
                start = time.perf_counter()
                losses, weights = [], []
                for batch in self._batches(train.lengths, rng):
                    x, lengths, ids = train.batch(batch, self.embedding_, self.dtype)
                    x, lengths, h0, ids = self._truncate(x, lengths, ids)
                    # dLoss/dx only at the steps whose token has a trainable vector
                    dx_mask = None
                    if train_embedding:
                        dx_mask = emb_trainable[ids]
                        dx_mask &= np.arange(ids.shape[1]) < lengths[:, None]
                        if not dx_mask.any():
                            dx_mask = None
                    loss, grads = self._step(x, y_train[batch], lengths, h0, dx_mask, pool)
                    emb = None
                    if dx_mask is not None:
                        at = np.flatnonzero(dx_mask)
                        dx = grads.pop("x")
                        emb = sum_rows_by_id(ids.ravel()[at], dx.reshape(-1, dx.shape[-1]), at)
                    self._apply(grads, emb, state)
                    losses.append(loss)
                    weights.append(len(batch))
                self.loss_curve_.append(float(np.average(losses, weights=weights)))
                self.grad_norms_.append(self._probe_gradient_norms(train, y_train, probe))
                message = f"epoch {epoch + 1}/{self.epochs}  loss {self.loss_curve_[-1]:.5f}"
                if len(val):
                    score = self._score_data(val, y_val)
                    self.validation_scores_.append(score)
                    message += f"  validation score {score:.5f}"
                    if self.best_validation_score_ is None or \
                            score > self.best_validation_score_ + self.tol:
                        self.best_validation_score_ = score
                        best_params = self._snapshot()
                        since_best = 0
                    else:
                        since_best += 1
                if self.verbose:
                    print(f"{message}  {time.perf_counter() - start:.2f}s", flush=True)
                if self.early_stopping and since_best >= self.n_iter_no_change:
                    if self.verbose:
                        print(f"early stop: no improvement for {since_best} epochs", flush=True)
                    break
        finally:
            if pool is not None:
                pool.shutdown()
        if self.early_stopping and best_params is not None:
            self.params_, self.embedding_ = best_params
        self.n_epochs_ = len(self.loss_curve_)
        return self

    def _snapshot(self):
        emb = None if self.embedding_ is None else self.embedding_.copy()
        return {k: v.copy() for k, v in self.params_.items()}, emb

    def _probe_gradient_norms(self, data, y, probe):
        from rnnfast.diagnostics import gradient_norms
        x, lengths, _ = data.batch(probe, self.embedding_, self.dtype)
        return gradient_norms(self.params_, x, y[probe], lengths, self._task)

    # --- prediction ------------------------------------------------------------------

    def _final_outputs(self, data):
        """Head outputs (n, O) (float64) for every sequence, in batches of similar length."""
        order = np.argsort(data.lengths, kind="stable")
        out = np.empty((len(data), self.params_["W_hy"].shape[0]))
        step = max(self.batch_size, 256)
        for i in range(0, len(order), step):
            index = order[i:i + step]
            x, lengths, _ = data.batch(index, self.embedding_, self.dtype)
            hs = functional.rnn_forward(x, self.params_["W_xh"], self.params_["W_hh"],
                                        self.params_["b_h"], None, lengths)
            out[index] = hs[:, -1] @ self.params_["W_hy"].T + self.params_["b_y"]
        return out

    # --- persistence -----------------------------------------------------------------

    def save(self, path):
        """Write the fitted model (arrays plus JSON metadata in one .npz), atomically."""
        self._check_fitted()
        hyper = {k: v for k, v in self.get_params().items() if k != "embedding"}
        meta = {"format": "rnnfast." + type(self).__name__, "version": 1, "params": hyper,
                "fitted": self._fitted_meta(), "n_features_in": self.n_features_in_,
                "loss_curve": self.loss_curve_, "validation_scores": self.validation_scores_}
        arrays = dict(self.params_)
        if self.embedding_ is not None:
            arrays["embedding"] = self.embedding_
            if self.key_to_index_ is not None:
                arrays["words"] = np.array(list(self.key_to_index_), dtype=str)
                arrays["word_ids"] = np.array(list(self.key_to_index_.values()), dtype=np.int64)
        with atomic_write(path, "wb") as f:
            np.savez(f, meta=np.array(json.dumps(meta)), **arrays)

    @classmethod
    def load(cls, path):
        """Load a model written by `save`."""
        from rnnfast.word2vec import _open_npz

        with _open_npz(path, "rnnfast." + cls.__name__) as (data, meta):
            model = cls(**meta["params"])
            model.params_ = {k: data[k] for k in cls._PARAMS}
            model.n_features_in_ = meta["n_features_in"]
            model.embedding_ = data["embedding"] if "embedding" in data.files else None
            model.key_to_index_ = None
            if "words" in data.files:
                model.key_to_index_ = dict(zip(data["words"].tolist(),
                                               data["word_ids"].tolist()))
            model.loss_curve_ = meta["loss_curve"]
            model.validation_scores_ = meta["validation_scores"]
            model._load_fitted_meta(meta["fitted"])
        return model


class RNNClassifier(_BaseRNN):
    """Binary sequence classifier: sigmoid(W_hy h_T + b_y), trained with binary cross-entropy.

    X: (n, T, D) floats, a list of (T_i, D) float arrays, or (with `embedding`) a list
    of token sequences. y: n labels of exactly two classes (any values; `classes_`
    holds them sorted, the second is the "positive" one).
    """

    _task = "binary"

    def _encode_targets(self, y, n, fitting):
        y = np.asarray(y)
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D (n,), got shape {y.shape}")
        if len(y) != n:
            raise ValueError(f"X has {n} sequences but y has {len(y)} labels")
        if y.dtype.kind == "f" and not np.isfinite(y).all():
            raise ValueError("y contains NaN or infinity")
        classes = np.unique(y)
        if len(classes) != 2:
            raise ValueError(f"RNNClassifier needs exactly two classes in y, got "
                             f"{len(classes)}: {classes[:5].tolist()}")
        self.classes_ = classes
        return (y == classes[1]).astype(self.dtype)

    def decision_function(self, X):
        """Logit of the positive class for each sequence, (n,)."""
        return self._final_outputs(self._prepare(X, fitting=False))[:, 0]

    def predict_proba(self, X):
        """(n, 2): probabilities of classes_[0] and classes_[1]."""
        p = 1 / (1 + np.exp(-self.decision_function(X)))
        return np.column_stack([1 - p, p])

    def predict(self, X):
        """The predicted class of each sequence, (n,), from classes_."""
        positive = self.decision_function(X) > 0
        return self.classes_[positive.astype(int)]

    def score(self, X, y):
        """Accuracy."""
        return float(np.mean(self.predict(X) == np.asarray(y)))

    def _score_data(self, data, y01):
        return float(np.mean((self._final_outputs(data)[:, 0] > 0) == (y01 > 0.5)))

    def _fitted_meta(self):
        return {"classes": self.classes_.tolist()}

    def _load_fitted_meta(self, meta):
        self.classes_ = np.array(meta["classes"])


class RNNRegressor(_BaseRNN):
    """Sequence regressor: W_hy h_T + b_y, trained with mean squared error.

    X as for RNNClassifier; y: (n,) or (n, O) numbers. `score` is R^2.
    """

    _task = "regression"

    def _encode_targets(self, y, n, fitting):
        y = np.asarray(y)
        if y.dtype.kind not in "iufb":
            raise TypeError(f"y must be numeric, got dtype {y.dtype}")
        if y.ndim not in (1, 2):
            raise ValueError(f"y must be (n,) or (n, O), got shape {y.shape}")
        if len(y) != n:
            raise ValueError(f"X has {n} sequences but y has {len(y)} targets")
        y = y.astype(np.float64)
        if not np.isfinite(y).all():
            raise ValueError("y contains NaN or infinity")
        self._y_ndim = y.ndim
        y2 = y[:, None] if y.ndim == 1 else y
        # targets are standardised for training; predictions are mapped back
        self.y_mean_ = y2.mean(axis=0)
        self.y_scale_ = np.where(y2.std(axis=0) > 0, y2.std(axis=0), 1.0)
        return ((y2 - self.y_mean_) / self.y_scale_).astype(self.dtype)

    def predict(self, X):
        """Predicted targets, (n,) or (n, O) like the y given to fit."""
        out = self._final_outputs(self._prepare(X, fitting=False)) * self.y_scale_ + self.y_mean_
        return out[:, 0] if self._y_ndim == 1 else out

    def score(self, X, y):
        """R^2, averaged over outputs."""
        return _r2(np.asarray(y, dtype=np.float64), self.predict(X))

    def _score_data(self, data, y_std):
        return _r2(y_std.astype(np.float64), self._final_outputs(data))

    def _fitted_meta(self):
        return {"y_mean": self.y_mean_.tolist(), "y_scale": self.y_scale_.tolist(),
                "y_ndim": self._y_ndim}

    def _load_fitted_meta(self, meta):
        self.y_mean_ = np.array(meta["y_mean"])
        self.y_scale_ = np.array(meta["y_scale"])
        self._y_ndim = meta["y_ndim"]


def _r2(y, pred):
    y2 = y[:, None] if y.ndim == 1 else y
    p2 = pred.reshape(y2.shape)
    ss_res = np.sum((y2 - p2) ** 2, axis=0)
    ss_tot = np.sum((y2 - y2.mean(axis=0)) ** 2, axis=0)
    r2 = np.where(ss_tot > 0, 1 - ss_res / np.where(ss_tot > 0, ss_tot, 1), 0.0)
    return float(np.mean(r2))


def _looks_like_tokens(seq):
    """True for a sequence of str or of ints (token ids), False for rows of floats."""
    if isinstance(seq, np.ndarray):
        return seq.ndim == 1 and seq.dtype.kind in "iuU"
    try:
        first = seq[0]
    except (IndexError, TypeError, KeyError):
        return False
    return isinstance(first, (str, int, np.integer))


def _same(a, b):
    try:
        return bool(a is b or a == b)
    except Exception:  # noqa: BLE001 - arrays and other objects without plain equality
        return False
