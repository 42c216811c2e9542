"""RNNClassifier and RNNRegressor: Elman RNNs with scikit-learn's estimator conventions.

A sequence (a text, a time series) is read step by step and its final hidden
state h_T feeds a head: sigmoid for binary classification (binary
cross-entropy), linear for regression (mean squared error). Each training step
is one call of the fused kernel behind `functional.rnn_loss_and_grads`.

This module holds the estimators and their fit loop; `rnnfast.sequences` reads and
batches the inputs, `rnnfast.optimizers` holds SGD and Adam.
"""

import inspect
import math

import numpy as np

from rnnfast import _checks, _rnn, _workers, persist, sequences
from rnnfast._arrays import sum_rows_by_id
from rnnfast.optimizers import make_optimizer
from rnnfast.progress import Progress, printer

__all__ = ["RNNClassifier", "RNNRegressor", "NotFittedError"]

# The layout of a saved estimator (persist checks it on load).
FORMAT_VERSION = 1


class NotFittedError(ValueError, AttributeError):
    """The estimator is used before `fit`."""


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
        """Every hyperparameter, checked once per fit (scikit-learn sets them unchecked)."""
        _checks.check_index("hidden_size", self.hidden_size, low=1)
        _checks.check_index("epochs", self.epochs, low=1)
        _checks.check_index("batch_size", self.batch_size, low=1)
        _checks.check_index("n_iter_no_change", self.n_iter_no_change, low=1)
        _checks.check_index("bptt_steps", self.bptt_steps, low=1, optional=True)
        if self.n_jobs is not None and self.n_jobs != -1:
            _checks.check_index("n_jobs", self.n_jobs, low=1)
        make_optimizer(self.optimizer, 0.0)
        for name in ("learning_rate", "weight_decay", "tol"):
            _checks.check_number(name, getattr(self, name), low=0.0)
        if self.clip_norm is not None:
            _checks.check_number("clip_norm", self.clip_norm, above=0.0)
        _checks.check_number("validation_fraction", self.validation_fraction, low=0.0)
        if not self.validation_fraction < 1:
            raise ValueError(f"validation_fraction must be in [0, 1), got "
                             f"{self.validation_fraction!r}")
        if np.dtype(self.dtype) not in (np.float32, np.float64):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {self.dtype!r}")

    def _threads(self):
        return _workers.default_workers() if self.n_jobs == -1 else (self.n_jobs or 1)

    # --- inputs ----------------------------------------------------------------------

    def _fit_inputs(self, X):
        """X as SequenceData; sets the fitted input attributes (n_features_in_,
        embedding_ with the learned unknown-token vector last, key_to_index_)."""
        seqs, tokens = sequences.read(X)
        if not tokens:
            if self.embedding is not None:
                raise ValueError("an embedding was given but X holds float vectors, not tokens")
            data = sequences.vector_data(seqs)
            self.n_features_in_ = data.seqs[0].shape[1]
            self.embedding_ = self.key_to_index_ = None
            return data
        if self.embedding is None:
            raise ValueError("X holds tokens: give embedding= (KeyedVectors, an (V, d) "
                             "array, or (array, words)) to turn them into vectors")
        matrix, self.key_to_index_ = sequences.embedding_table(self.embedding)
        scale = float(np.std(matrix)) or 0.1
        unknown = np.random.default_rng(self.seed).normal(0, scale, (1, matrix.shape[1]))
        self.embedding_ = np.vstack([matrix, unknown]).astype(self.dtype)
        self.n_features_in_ = matrix.shape[1]
        return sequences.token_data(seqs, self.key_to_index_, len(self.embedding_) - 1)

    def _inputs(self, X):
        """X as SequenceData for a fitted model."""
        self._check_fitted()
        seqs, tokens = sequences.read(X)
        if not tokens:
            if self.embedding_ is not None:
                raise ValueError("this model was fitted on tokens; give token sequences")
            return sequences.vector_data(seqs, self.n_features_in_)
        if self.embedding_ is None:
            raise ValueError("this model was fitted on float vectors; X holds tokens")
        if self.embedding is not None:
            width = sequences.embedding_table(self.embedding)[0].shape[1]
            if width != self.embedding_.shape[1]:
                raise ValueError(f"embedding has width {width} but the model was fitted "
                                 f"with width {self.embedding_.shape[1]}; refit")
        return sequences.token_data(seqs, self.key_to_index_, len(self.embedding_) - 1)

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

    def _step(self, x, y, lengths, h0, dx_mask):
        """Loss and gradients of one batch (one kernel call; inputs built by fit, so only
        the kernel's O(1) layout checks run), split across n_jobs worker threads.

        dx_mask: None, or (B, T) bool: the steps whose dLoss/dx is wanted (grads["x"])."""
        mask = None if dx_mask is None else np.ascontiguousarray(dx_mask).view(np.uint8)
        n_parts = min(self._threads(), len(x))

        def part(s):
            return _rnn.loss_and_grads(self.params_, x[s], y[s], lengths[s], self._task,
                                       None if h0 is None else h0[s], mask is not None,
                                       None if mask is None else mask[s])

        if n_parts == 1:
            return part(slice(None))
        bounds = np.linspace(0, len(x), n_parts + 1).astype(int)
        parts = [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]
        results = [None] * n_parts

        def worker(i):
            def go():
                results[i] = part(parts[i])
            return go

        _workers.run([worker(i) for i in range(n_parts)])
        weights = [float(s.stop - s.start) / len(x) for s in parts]  # Python floats keep float32
        loss = sum(w * r[0] for w, r in zip(weights, results))
        grads = {k: sum(w * r[1][k] for w, r in zip(weights, results)) for k in self._PARAMS}
        if mask is not None:
            grads["x"] = np.concatenate([w * r[1]["x"] for w, r in zip(weights, results)])
        return loss, grads

    def _forward(self, x, lengths):
        """hs (B, T, H) of a batch fit or predict built (validated when it was read)."""
        return _rnn.forward(x, self.params_["W_xh"], self.params_["W_hh"], self.params_["b_h"],
                            None, lengths)

    def _truncate(self, x, lengths, ids):
        """Truncated BPTT: the last bptt_steps steps of each sequence, started from the
        state the earlier steps reach (no gradient flows into those).

        Returns (x, lengths, h0, ids) for the kept steps (ids None if it was None)."""
        k = self.bptt_steps
        if k is None or x.shape[1] <= k:
            return x, lengths, None, ids
        hs = self._forward(x, lengths)
        B = len(x)
        start = np.maximum(lengths - k, 0)
        h0 = np.where((start > 0)[:, None], hs[np.arange(B), np.maximum(start - 1, 0)], 0)
        rows = np.arange(B)[:, None]
        cols = np.minimum(start[:, None] + np.arange(k)[None, :], x.shape[1] - 1)
        ids = None if ids is None else ids[rows, cols]
        return (np.ascontiguousarray(x[rows, cols]), np.minimum(lengths, k),
                np.ascontiguousarray(h0, dtype=x.dtype), ids)

    def _apply(self, grads, emb_grad_rows, optimizer):
        """Weight decay, clipping by global norm, then one optimiser step, in place.

        Returns the gradient's global norm before clipping."""
        if self.weight_decay:
            for k in ("W_xh", "W_hh", "W_hy"):
                grads[k] = grads[k] + self.weight_decay * self.params_[k]
        total = sum(float(np.vdot(g, g)) for g in grads.values())
        if emb_grad_rows is not None:
            total += float(np.vdot(emb_grad_rows[1], emb_grad_rows[1]))
        norm = math.sqrt(total)
        if not math.isfinite(norm):
            raise FloatingPointError("the gradient is not finite: training diverged; lower "
                                     "learning_rate or set clip_norm")
        scale = 1.0
        if self.clip_norm is not None and norm > self.clip_norm:
            scale = self.clip_norm / norm
        updates = [(k, self.params_[k], grads[k], None) for k in self._PARAMS]
        if emb_grad_rows is not None and len(emb_grad_rows[0]):
            rows, g = emb_grad_rows
            # the compiled update reads int64 row ids (intp is int32 on 32-bit builds)
            updates.append(("embedding", self.embedding_, g, rows.astype(np.int64, copy=False)))
        optimizer.step(updates, scale)
        return norm

    def fit(self, X, y):
        """Train on sequences X and targets y; returns self."""
        self._check_hyperparameters()
        data = self._fit_inputs(X)
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
        probe = np.arange(min(len(train), 64))
        x, lengths, _ = train.batch(probe, self.embedding_, self.dtype)
        _checks.check_loss(self.params_, x, y_train[probe], lengths, self._task, None)
        emb_trainable = None
        if data.tokens:
            emb_trainable = np.ones(len(self.embedding_), bool)
            if self.freeze_embedding:
                emb_trainable[:] = False
                emb_trainable[-1] = True  # the unknown-token vector is always learned
        self.loss_curve_, self.validation_scores_, self.grad_norms_ = [], [], []
        self.best_validation_score_ = None
        best_params, since_best = None, 0
        optimizer = make_optimizer(self.optimizer, self.learning_rate)
        report = Progress("rnn", len(train), "sequences", printer() if self.verbose else None,
                          self.epochs)
        for epoch in range(self.epochs):
            loss_sum, seen = 0.0, 0  # the epoch's running mean loss, by sequence
            for batch in self._batches(train.lengths, rng):
                x, lengths, ids = train.batch(batch, self.embedding_, self.dtype)
                x, lengths, h0, ids = self._truncate(x, lengths, ids)
                # dLoss/dx only at the steps whose token has a trainable vector
                dx_mask = None
                if data.tokens:
                    dx_mask = emb_trainable[ids]
                    dx_mask &= np.arange(ids.shape[1]) < lengths[:, None]
                    if not dx_mask.any():
                        dx_mask = None
                loss, grads = self._step(x, y_train[batch], lengths, h0, dx_mask)
                emb = None
                if dx_mask is not None:
                    at = np.flatnonzero(dx_mask)
                    dx = grads.pop("x")
                    emb = sum_rows_by_id(ids.ravel()[at], dx.reshape(-1, dx.shape[-1]), at)
                self._apply(grads, emb, optimizer)
                loss_sum += float(loss) * len(batch)
                seen += len(batch)
                report.update(epoch * len(train) + seen, epoch, loss=loss_sum / seen)
            self.loss_curve_.append(loss_sum / seen)
            self.grad_norms_.append(self._probe_gradient_norms(train, y_train, probe))
            score = None
            if len(val):
                score = self._score_data(val, y_val)
                self.validation_scores_.append(score)
                if self.best_validation_score_ is None or \
                        score > self.best_validation_score_ + self.tol:
                    self.best_validation_score_ = score
                    best_params = self._snapshot()
                    since_best = 0
                else:
                    since_best += 1
            stopping = self.early_stopping and since_best >= self.n_iter_no_change
            report.update((epoch + 1) * len(train), epoch, force=True,
                          loss=self.loss_curve_[-1], validation_score=score,
                          early_stop=f"no improvement for {since_best} epochs" if stopping
                          else None)
            if stopping:
                break
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
            hs = self._forward(x, lengths)
            out[index] = hs[:, -1] @ self.params_["W_hy"].T + self.params_["b_y"]
        return out

    # --- persistence -----------------------------------------------------------------

    def save(self, path):
        """Write the fitted model (arrays plus JSON metadata in one .npz), atomically."""
        self._check_fitted()
        hyper = {k: v for k, v in self.get_params().items() if k != "embedding"}
        meta = {"params": hyper, "fitted": self._fitted_meta(),
                "n_features_in": self.n_features_in_, "loss_curve": self.loss_curve_,
                "validation_scores": self.validation_scores_}
        arrays = dict(self.params_)
        if self.embedding_ is not None:
            arrays["embedding"] = self.embedding_
            if self.key_to_index_ is not None:
                arrays["words"] = persist.words_array(self.key_to_index_)
                arrays["word_ids"] = np.array(list(self.key_to_index_.values()), dtype=np.int64)
        persist.save(path, "rnnfast." + type(self).__name__, FORMAT_VERSION, meta, arrays)

    @classmethod
    def load(cls, path):
        """Load a model written by `save`."""
        with persist.load(path, "rnnfast." + cls.__name__, FORMAT_VERSION) as (data, meta):
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
        return self._final_outputs(self._inputs(X))[:, 0]

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
        out = self._final_outputs(self._inputs(X)) * self.y_scale_ + self.y_mean_
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


def _same(a, b):
    try:
        return bool(a is b or a == b)
    except Exception:  # noqa: BLE001 - arrays and other objects without plain equality
        return False
