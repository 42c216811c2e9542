"""RNNClassifier, RNNRegressor and RNNSequenceTagger: recurrent networks (Elman, GRU or
LSTM cells: `cell=`) as scikit-learn estimators.

A sequence (a text, a time series) is read step by step and its final hidden
state h_T feeds a head: sigmoid for two classes (binary cross-entropy), softmax
for more (cross-entropy), linear for regression (mean squared error). Each
training step is one call of the fused kernel behind
`functional.rnn_loss_and_grads`. With scikit-learn installed the estimators are
scikit-learn's (`rnnfast._core.sklearn_compat`); they work the same without it.

This module holds the estimators and their fit loop; `rnnfast.rnn.sequences` reads and
batches the inputs, `rnnfast.rnn.optimizers` holds SGD and Adam.
"""

import functools
import math
import numbers
import warnings

import numpy as np

from rnnfast._core import persist, pool
from rnnfast._core.checks import check_index, check_number
from rnnfast._core.progress import Progress, printer
from rnnfast._core.sklearn_compat import (BaseEstimator, ClassifierMixin, DataConversionWarning,
                                          NotFittedError, RegressorMixin, TransformerTags,
                                          r2_score)
from rnnfast.rnn import _rnn, checks, sequences
from rnnfast.rnn._arrays import sum_rows_by_id
from rnnfast.rnn.optimizers import make_optimizer
from rnnfast.rnn.params import (draw_dropout_masks, init_params, param_names,
                                param_shapes)
from rnnfast.rnn.targets import (check_labels, fit_classes, label_indices, moments, standardised,
                                 value_array)

__all__ = ["RNNClassifier", "RNNRegressor", "RNNSequenceTagger", "NotFittedError"]

# The layout of a saved estimator (persist checks it on load). Version 2 added input
# standardisation, multi-class heads and random_state; version 3 stacked and
# bidirectional layers; version 4 the gated cells (earlier files still load).
FORMAT_VERSION = 4


class _BaseRNN(BaseEstimator):
    _task = None
    _one_target = True  # y is (n,); a column vector is raveled
    _per_step = False  # one target per step (a tagger), not per sequence

    def __init__(self, hidden_size=64, num_layers=1, bidirectional=False, nonlinearity="tanh",
                 dropout=0.0, pooling="last", embedding=None, freeze_embedding=False,
                 standardize=True, epochs=10, batch_size=32, optimizer="adam",
                 learning_rate=1e-3, clip_norm=5.0, bptt_steps=None, weight_decay=0.0,
                 validation_fraction=0.0, early_stopping=False, n_iter_no_change=5, tol=1e-4,
                 warm_start=False, n_jobs=None, random_state=0, verbose=False, dtype="float32",
                 cell="rnn"):
        self.hidden_size = hidden_size
        self.cell = cell
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.nonlinearity = nonlinearity
        self.dropout = dropout
        self.pooling = pooling
        self.embedding = embedding
        self.freeze_embedding = freeze_embedding
        self.standardize = standardize
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
        self.warm_start = warm_start
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose
        self.dtype = dtype

    # --- scikit-learn conventions ----------------------------------------------------

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True  # (n, T, D) sequences; sparse input is refused
        # transform gives the encoder's features in the model's dtype, whatever X's
        tags.transformer_tags = TransformerTags(preserves_dtype=[])
        return tags

    def __sklearn_is_fitted__(self):
        return hasattr(self, "params_")

    def _check_hyperparameters(self):
        """Every hyperparameter, checked once per fit (scikit-learn sets them unchecked)."""
        check_index("hidden_size", self.hidden_size, low=1)
        checks.check_architecture(self.num_layers, self.bidirectional, self.nonlinearity,
                                  self.pooling, self.cell)
        check_number("dropout", self.dropout, low=0.0)
        if not self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout!r}")
        if self.bptt_steps is not None and (self.bidirectional or self.pooling != "last"):
            raise ValueError("bptt_steps (truncated BPTT: only the last steps are trained) "
                             "needs a forward-only network read at its last state: set "
                             "bidirectional=False and pooling='last', or bptt_steps=None")
        if self._per_step and self.pooling != "last":
            raise ValueError(f"{type(self).__name__} labels every step; pooling does not "
                             f"apply (leave it 'last')")
        check_index("epochs", self.epochs, low=1)
        check_index("batch_size", self.batch_size, low=1)
        check_index("n_iter_no_change", self.n_iter_no_change, low=1)
        check_index("bptt_steps", self.bptt_steps, low=1, optional=True)
        if self.n_jobs is not None and self.n_jobs != -1:
            check_index("n_jobs", self.n_jobs, low=1)
        make_optimizer(self.optimizer, 0.0)
        for name in ("learning_rate", "weight_decay", "tol"):
            check_number(name, getattr(self, name), low=0.0)
        if self.clip_norm is not None:
            check_number("clip_norm", self.clip_norm, above=0.0)
        check_number("validation_fraction", self.validation_fraction, low=0.0)
        if not self.validation_fraction < 1:
            raise ValueError(f"validation_fraction must be in [0, 1), got "
                             f"{self.validation_fraction!r}")
        if np.dtype(self.dtype) not in (np.float32, np.float64):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {self.dtype!r}")
        self._rng()

    def _rng(self):
        """A NumPy Generator from random_state: None (fresh entropy), an int, a
        Generator or a RandomState."""
        state = self.random_state
        if state is None or isinstance(state, numbers.Integral) and not isinstance(state, bool):
            return np.random.default_rng(None if state is None else int(state) & (2**63 - 1))
        if isinstance(state, np.random.Generator):
            return state
        if isinstance(state, np.random.RandomState):
            return np.random.default_rng(state.randint(2**31 - 1))
        raise ValueError(f"random_state must be None, an int, a numpy Generator or a "
                         f"RandomState, got {state!r}")

    def _threads(self):
        return pool.default_workers() if self.n_jobs == -1 else (self.n_jobs or 1)

    # --- inputs ----------------------------------------------------------------------

    def _fit_inputs(self, X, rng):
        """X as SequenceData; sets the fitted input attributes (n_features_in_,
        embedding_ with the learned unknown-token vector last, key_to_index_,
        x_mean_ and x_scale_ None: fit sets them); not yet standardised."""
        seqs, kind = sequences.read(X, token_ids=self.embedding is not None)
        self._input_kind = kind
        self.x_mean_ = self.x_scale_ = None
        if kind != "tokens":
            if self.embedding is not None:
                raise ValueError("an embedding was given but X holds float vectors, not tokens")
            data = sequences.vector_data(seqs)
            # a table's features are its columns (scikit-learn's view); else per step
            self.n_features_in_ = len(seqs[0]) if kind == "table" else data.seqs[0].shape[1]
            self.embedding_ = self.key_to_index_ = None
            return data
        if self.embedding is None:
            raise ValueError("X holds tokens: give embedding= (KeyedVectors, an (V, d) "
                             "array, or (array, words)) to turn them into vectors")
        matrix, self.key_to_index_ = sequences.embedding_table(self.embedding)
        scale = float(np.std(matrix)) or 0.1
        unknown = rng.normal(0, scale, (1, matrix.shape[1]))
        self.embedding_ = np.vstack([matrix, unknown]).astype(self.dtype)
        self.n_features_in_ = matrix.shape[1]
        return sequences.token_data(seqs, self.key_to_index_, len(self.embedding_) - 1)

    def _inputs(self, X, scaled=True):
        """X as SequenceData for a fitted model (standardised as in fit if `scaled`)."""
        self._check_fitted()
        seqs, kind = sequences.read(X, token_ids=self.embedding_ is not None)
        if kind != "tokens":
            if self.embedding_ is not None:
                raise ValueError("this model was fitted on tokens; give token sequences")
            if kind == "table" and self._input_kind == "table" and \
                    len(seqs[0]) != self.n_features_in_:
                raise ValueError(f"X has {len(seqs[0])} features, but {type(self).__name__} "
                                 f"is expecting {self.n_features_in_} features as input")
            data = sequences.vector_data(seqs, self.params_["W_xh"].shape[1])
            if scaled and self.x_mean_ is not None:
                data = data.scaled(self.x_mean_, self.x_scale_)
            return data
        if self.embedding_ is None:
            raise ValueError("this model was fitted on float vectors; X holds tokens")
        if self.embedding is not None:
            width = sequences.embedding_table(self.embedding)[0].shape[1]
            if width != self.embedding_.shape[1]:
                raise ValueError(f"embedding has width {width} but the model was fitted "
                                 f"with width {self.embedding_.shape[1]}; refit")
        return sequences.token_data(seqs, self.key_to_index_, len(self.embedding_) - 1)

    # the hyperparameters that shape the fitted model: changed after fit, they would
    # describe another model than the one predict, save and continued training use
    _ARCHITECTURE = ("hidden_size", "num_layers", "bidirectional", "nonlinearity", "pooling",
                     "standardize", "dtype", "cell")

    def _raw_architecture(self):
        return tuple(getattr(self, k) for k in self._ARCHITECTURE)

    def _architecture(self):
        return {k: np.dtype(v).name if k == "dtype" else v
                for k, v in ((k, getattr(self, k)) for k in self._ARCHITECTURE)}

    def _check_fitted(self):
        """NotFittedError before fit; ValueError when a hyperparameter of the model's
        shape was changed (set_params) since it was fitted."""
        if not hasattr(self, "params_"):
            raise NotFittedError(f"This {type(self).__name__} instance is not fitted yet: "
                                 f"call 'fit' first")
        fitted = getattr(self, "_fitted_architecture", None)
        if fitted is None:
            return
        if self._raw_architecture() == getattr(self, "_fitted_raw", None):
            return  # the very values fit saw: nothing to normalise (predict's fast path)
        try:
            now = self._architecture()
        except TypeError:  # a dtype numpy does not know
            now = {}
        changed = [k for k in self._ARCHITECTURE if now.get(k) != fitted[k]]
        if changed:
            was = ", ".join(f"{k}={fitted[k]!r}" for k in changed)
            got = ", ".join(f"{k}={getattr(self, k)!r}" for k in changed)
            raise ValueError(f"{got} was set after this {type(self).__name__} was fitted with "
                             f"{was}; the fitted model keeps its shape: set {was} back, or "
                             f"call fit (warm_start=False) to train a new model")

    def _check_y(self, y, data):
        """y as an array of len(data) targets (a column vector is raveled with a warning)."""
        n = len(data)
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the "
                             f"target y is None")
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1 and self._one_target:
            warnings.warn("A column-vector y was passed when a 1d array was expected; it "
                          "is raveled", DataConversionWarning, stacklevel=3)
            y = y.ravel()
        if len(y) != n:
            raise ValueError(f"X has {n} sequences but y has {len(y)} targets")
        return y

    # --- training --------------------------------------------------------------------

    def _names(self):
        return param_names(self.num_layers, self.bidirectional, self.cell)

    def _kernel_args(self):
        """The architecture as the kernel takes it: (num_layers, bidirectional, relu)."""
        return self.num_layers, bool(self.bidirectional), self.nonlinearity == "relu"

    def _batches(self, lengths, rng):
        """Index arrays of similar-length sequences, in a random order."""
        order = np.argsort(lengths + rng.random(len(lengths)), kind="stable")
        batches = [order[i:i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        rng.shuffle(batches)
        return batches

    def _step(self, x, y, lengths, h0, dx_mask, weights, drop, c0=None):
        """Loss and gradients of one batch (one kernel call; inputs built by fit, so only
        the kernel's O(1) layout checks run), split across n_jobs worker threads.

        dx_mask: None, or (B, T) bool: the steps whose dLoss/dx is wanted (grads["x"]).
        weights: None, or float64 (B,) positive sample weights. h0 (and an LSTM's c0):
        None or (L*nd, B, H);
        drop: None or the (L-1, B, T, nd*H) dropout multipliers."""
        mask = None if dx_mask is None else np.ascontiguousarray(dx_mask).view(np.uint8)
        n_parts = min(self._threads(), len(x))
        names = self._names()
        arrays = [self.params_[k] for k in names]

        def part(s):
            def rows(a, axis=0):  # the batch axis of h0 and of the masks is the second
                return None if a is None else np.ascontiguousarray(a[(slice(None),) * axis + (s,)])

            loss, grads, dx, _ = _rnn.loss_and_grads(
                arrays, x[s], y[s], lengths[s], self._task, rows(h0, 1), mask is not None,
                rows(mask), rows(weights), *self._kernel_args(), self.pooling, rows(drop, 1),
                False, self.cell, rows(c0, 1))
            grads = dict(zip(names, grads))
            if dx is not None:
                grads["x"] = dx
            return loss, grads

        if n_parts == 1:
            return part(slice(None))
        bounds = np.linspace(0, len(x), n_parts + 1).astype(int)
        parts = [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]
        results = [None] * n_parts

        def worker(i):
            def go():
                results[i] = part(parts[i])
            return go

        pool.run([worker(i) for i in range(n_parts)])
        # each part's loss is its own (weighted) mean: parts count by their share of the
        # batch's rows (steps for a tagger; fit drops zero weights, so every part has
        # some); Python floats keep float32 gradients float32
        mass = lengths.astype(np.float64) if self._per_step else np.ones(len(x))
        if weights is not None:
            mass = mass * weights
        shares = [float(mass[s].sum() / mass.sum()) for s in parts]
        loss = sum(w * r[0] for w, r in zip(shares, results))
        grads = {k: sum(w * r[1][k] for w, r in zip(shares, results)) for k in names}
        if mask is not None:
            grads["x"] = np.zeros(x.shape, x.dtype)
            for w, s, r in zip(shares, parts, results):
                grads["x"][s] = w * r[1]["x"]
        return loss, grads

    def _forward(self, x, lengths):
        """(top outputs (B, T, nd*H), final states (L*nd, B, H), an LSTM's final cell
        states (L*nd, B, H) or None) of a batch fit or predict built (validated when it
        was read)."""
        names = self._names()[:-2]
        return _rnn.network_forward([self.params_[k] for k in names], x, lengths, None,
                                    *self._kernel_args(), self.cell)

    def _truncate(self, x, lengths, ids, y):
        """Truncated BPTT: the last bptt_steps steps of each sequence, started from the
        states the earlier steps reach (no gradient flows into those).

        Returns (x, lengths, h0, c0, ids, y) for the kept steps (c0, an LSTM's cell
        states, None for the other cells; ids None if it was None; y cut too when it
        has a target per step)."""
        k = self.bptt_steps
        if k is None or x.shape[1] <= k:
            return x, lengths, None, None, ids, y
        start = np.maximum(lengths - k, 0)
        # each layer's states after the first `start` steps: a run over those steps alone
        prefix = np.ascontiguousarray(x[:, :max(int(start.max()), 1)])
        _, h_n, c_n = self._forward(prefix, np.maximum(start, 1))
        begun = (start > 0)[None, :, None]
        h0 = np.ascontiguousarray(np.where(begun, h_n, 0), dtype=x.dtype)
        c0 = None if c_n is None else np.ascontiguousarray(np.where(begun, c_n, 0),
                                                           dtype=x.dtype)
        rows = np.arange(len(x))[:, None]
        cols = np.minimum(start[:, None] + np.arange(k)[None, :], x.shape[1] - 1)
        ids = None if ids is None else ids[rows, cols]
        if self._per_step:
            y = np.ascontiguousarray(y[rows, cols])
        return np.ascontiguousarray(x[rows, cols]), np.minimum(lengths, k), h0, c0, ids, y

    def _apply(self, grads, emb_grad_rows, optimizer):
        """Weight decay, clipping by global norm, then one optimiser step, in place.

        Returns the gradient's global norm before clipping."""
        if self.weight_decay:
            for k in grads:
                if k.startswith("W_"):
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
        updates = [(k, self.params_[k], grads[k], None) for k in self._names()]
        if emb_grad_rows is not None and len(emb_grad_rows[0]):
            rows, g = emb_grad_rows
            # the compiled update reads int64 row ids (intp is int32 on 32-bit builds)
            updates.append(("embedding", self.embedding_, g, rows.astype(np.int64, copy=False)))
        optimizer.step(updates, scale)
        return norm

    def fit(self, X, y, sample_weight=None):
        """Train on sequences X and targets y (weighted by sample_weight (n,) if given);
        with warm_start, training goes on from the fitted state. Returns self."""
        self._check_hyperparameters()
        warm = self.warm_start and hasattr(self, "params_")
        if warm:
            self._check_fitted()
        self._train(X, y, sample_weight, self.epochs, first=not warm, classes=None,
                    validate=True)
        return self

    def _partial_fit(self, X, y, sample_weight, classes):
        self._check_hyperparameters()
        if hasattr(self, "params_"):
            self._check_fitted()
        self._train(X, y, sample_weight, 1, first=not hasattr(self, "params_"), classes=classes,
                    validate=False)
        return self

    def _train(self, X, y, sample_weight, epochs, first, classes, validate):
        """`epochs` passes over (X, y); `first`: a new model (inputs and targets are
        fitted, the weights drawn), otherwise training goes on from the fitted state."""
        rng = self._rng()
        data = self._fit_inputs(X, rng) if first else self._inputs(X, scaled=False)
        y = self._check_y(y, data)
        # zero weights drop their sequences before anything is fitted to the data
        weights = checks.check_sample_weight(sample_weight, len(data), finite_sum=False)
        data, y, weights = _nonzero(data, y, weights)
        targets = self._encode_targets(y, fitting=first, classes=classes)
        class_w = self._class_weights(y)
        if class_w is not None:
            weights = checks.check_sample_weight(
                class_w if weights is None else _power_of_two_scaled(weights) * class_w,
                len(data), finite_sum=False)
            data, targets, weights = _nonzero(data, targets, weights)
        if weights is not None:
            weights = _power_of_two_scaled(weights)
        if not data.tokens:
            if first and self.standardize:
                self.x_mean_, self.x_scale_ = sequences.feature_scaling(data)
            if self.x_mean_ is not None:
                data = data.scaled(self.x_mean_, self.x_scale_)
        n = len(data)
        val_fraction = self.validation_fraction or (0.1 if self.early_stopping else 0.0)
        val_idx, train_idx = np.array([], int), np.arange(n)
        if validate and val_fraction:
            perm = rng.permutation(n)
            n_val = max(1, int(round(val_fraction * n)))
            if n_val >= n:
                raise ValueError(f"validation_fraction={val_fraction} leaves no training data "
                                 f"out of {n} sequences")
            val_idx, train_idx = np.sort(perm[:n_val]), np.sort(perm[n_val:])
        train, val = data.subset(train_idx), data.subset(val_idx)
        y_train, y_val = targets[train_idx], targets[val_idx]
        w_train = None if weights is None else weights[train_idx]
        w_val = None if weights is None else weights[val_idx]
        if first:
            D = self.n_features_in_ if data.tokens else data.seqs[0].shape[1]
            self.params_ = init_params(rng, self.num_layers, bool(self.bidirectional), D,
                                       self.hidden_size, self._n_outputs(targets), self.dtype,
                                       self.cell)
            self._fitted_architecture = self._architecture()
            self._fitted_raw = self._raw_architecture()
            self.loss_curve_, self.validation_scores_, self.grad_norms_ = [], [], []
            self.n_iter_ = 0
        if first or getattr(self, "_optimizer_name", None) != self.optimizer:
            # a new optimizer (its state starts afresh) when it was changed after fit
            self._optimizer = make_optimizer(self.optimizer, self.learning_rate)
            self._optimizer_name = self.optimizer
        self._optimizer.learning_rate = self.learning_rate
        probe = np.arange(min(len(train), 64))
        x, lengths, _ = train.batch(probe, self.embedding_, self.dtype)
        checks.check_loss(self.params_, x, self._batch_targets(y_train, probe, x), lengths,
                          self._task, None, None, self.num_layers, self.bidirectional,
                          self.nonlinearity, self.pooling, cell=self.cell)
        width = self.hidden_size * (2 if self.bidirectional else 1)
        emb_trainable = None
        if data.tokens:
            emb_trainable = np.ones(len(self.embedding_), bool)
            if self.freeze_embedding:
                emb_trainable[:] = False
                emb_trainable[-1] = True  # the unknown-token vector is always learned
        self.best_validation_score_ = None
        best_params, since_best = None, 0
        report = Progress("rnn", len(train), "sequences",
                          "bar" if self.verbose == "bar" else printer() if self.verbose else None,
                          epochs)
        for epoch in range(epochs):
            loss_sum, mass, done = 0.0, 0.0, 0  # the epoch's running (weighted) mean loss
            for batch in self._batches(train.lengths, rng):
                x, lengths, ids = train.batch(batch, self.embedding_, self.dtype)
                y_batch = self._batch_targets(y_train, batch, x)
                x, lengths, h0, c0, ids, y_batch = self._truncate(x, lengths, ids, y_batch)
                # dLoss/dx only at the steps whose token has a trainable vector
                dx_mask = None
                if data.tokens:
                    dx_mask = emb_trainable[ids]
                    dx_mask &= np.arange(ids.shape[1]) < lengths[:, None]
                    if not dx_mask.any():
                        dx_mask = None
                w = None if w_train is None else w_train[batch]
                drop = draw_dropout_masks(rng, self.dropout, self.num_layers, len(x),
                                          x.shape[1], width, x.dtype)
                loss, grads = self._step(x, y_batch, lengths, h0, dx_mask, w, drop, c0)
                if not math.isfinite(loss):
                    raise FloatingPointError(f"the loss is not finite ({float(loss)}) in epoch "
                                             f"{epoch + 1}: training diverged; lower "
                                             f"learning_rate or set clip_norm")
                emb = None
                if dx_mask is not None:
                    at = np.flatnonzero(dx_mask)
                    dx = grads.pop("x")
                    emb = sum_rows_by_id(ids.ravel()[at], dx.reshape(-1, dx.shape[-1]), at)
                self._apply(grads, emb, self._optimizer)
                batch_mass = len(batch) if w is None else float(w.sum())
                loss_sum += float(loss) * batch_mass
                mass += batch_mass
                done += len(batch)
                report.update(epoch * len(train) + done, epoch, loss=loss_sum / mass)
            self.loss_curve_.append(loss_sum / mass)
            self.n_iter_ += 1
            self.grad_norms_.append(self._probe_gradient_norms(train, y_train, probe))
            score = None
            if len(val):
                score = self._score_data(val, y_val, w_val)
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

    def _class_weights(self, y):
        return None

    def _snapshot(self):
        emb = None if self.embedding_ is None else self.embedding_.copy()
        return {k: v.copy() for k, v in self.params_.items()}, emb

    def _probe_gradient_norms(self, data, y, probe):
        from rnnfast.rnn.diagnostics import gradient_norms
        x, lengths, _ = data.batch(probe, self.embedding_, self.dtype)
        return gradient_norms(self.params_, x, self._batch_targets(y, probe, x), lengths,
                              self._task, num_layers=self.num_layers,
                              bidirectional=self.bidirectional, nonlinearity=self.nonlinearity,
                              pooling=self.pooling, cell=self.cell)

    def _batch_targets(self, y, index, x):
        """The targets of a batch: y[index], cut to the batch's T when per step."""
        return y[index] if not self._per_step else np.ascontiguousarray(y[index, :x.shape[1]])

    # --- prediction ------------------------------------------------------------------

    def _readout(self, x, lengths, what="scores"):
        """One batch's outputs (inputs validated when they were read), by the compiled
        kernels behind functional.rnn_predict and rnn_layers_forward: "scores", the
        head's outputs (B, O), or (B, T, O) for a tagger (float64); "features", the
        pooled top-layer outputs the head reads (B, nd*H); "states", every step's
        top-layer outputs (B, T, nd*H) (both in the model's dtype)."""
        weights = [self.params_[k] for k in self._names()]
        if what == "states":
            return _rnn.network_forward(weights[:-2], x, lengths, None,
                                        *self._kernel_args(), self.cell)[0]
        steps = self._per_step and what == "scores"
        return _rnn.network_predict(weights, x, lengths, None, *self._kernel_args(),
                                    "steps" if steps else self.pooling, what == "features",
                                    self.cell)

    def _final_outputs(self, data, what="scores"):
        """`_readout` for every sequence, in batches of similar length: an (n, width)
        array, or a list of (T_i, width) arrays for every step's ("states", and a
        tagger's scores)."""
        per_step = what == "states" or (self._per_step and what == "scores")
        step = max(self.batch_size, 256)
        if len(data) <= step and not per_step:
            # one batch (a prediction is the same in any batch): in the input's order
            return self._readout(*data.batch(np.arange(len(data)), self.embedding_,
                                             self.dtype)[:2], what)
        order = np.argsort(data.lengths, kind="stable")
        width = self.params_["W_hy"].shape[0] if what == "scores" else self.params_["W_hy"].shape[1]
        out = [None] * len(data) if per_step else \
            np.empty((len(data), width), np.float64 if what == "scores" else self.dtype)
        batches = [order[i:i + step] for i in range(0, len(order), step)]

        def predict(some):
            for index in some:
                x, lengths, _ = data.batch(index, self.embedding_, self.dtype)
                got = self._readout(x, lengths, what)
                if per_step:
                    for j, n, steps in zip(index, lengths, got):
                        out[j] = steps[:n]
                else:
                    out[index] = got

        n_parts = min(self._threads(), len(batches))
        if n_parts == 1:
            predict(batches)
        else:  # the batches dealt round-robin, one share per thread (GIL-free kernels)
            pool.run([lambda i=i: predict(batches[i::n_parts]) for i in range(n_parts)])
        return out

    # --- the encoder's outputs -------------------------------------------------------

    def transform(self, X):
        """The encoder's features of each sequence, (n, H) or (n, 2H) when bidirectional
        (the model's dtype): what the head reads, the top layer's final states (or their
        mean or max over the steps, as `pooling` says). An estimator can so stand before
        another model in a Pipeline; `hidden_states` gives every step's."""
        return self._final_outputs(self._inputs(X), "features")

    def fit_transform(self, X, y, **fit_params):
        """fit(X, y), then transform(X)."""
        return self.fit(X, y, **fit_params).transform(X)

    def hidden_states(self, X):
        """Every step's top-layer outputs: a list of n arrays (T_i, H), or (T_i, 2H) when
        bidirectional (forward states, then the reverse direction's at the same steps),
        in the model's dtype."""
        return self._final_outputs(self._inputs(X), "states")

    def get_feature_names_out(self, input_features=None):
        """Names of transform's columns: the class name in lower case and the column
        number ("rnnclassifier0", ...), as scikit-learn names a transformer's new features."""
        self._check_fitted()
        prefix = type(self).__name__.lower()
        return np.array([f"{prefix}{i}" for i in range(self.params_["W_hy"].shape[1])],
                        dtype=object)

    def to_torch(self):
        """The fitted network as PyTorch modules (torch must be installed): (rnn, head), a
        batch_first torch.nn.RNN and a torch.nn.Linear that read inputs as this model's
        fit received them. The input standardisation (and a regressor's target scaling)
        is folded into the first layer's (and the head's) weights, so that for pooling
        "last" head(final states) gives decision_function (a classifier: the logit of
        `classes_`[1] for two classes, one logit per class for more), predict (a regressor)
        or, at every step's output, a tagger's class logits. Final states are h_n[-1],
        or torch.cat(list(h_n[-2:]), dim=1) when bidirectional; sequences of different
        lengths go in through torch.nn.utils.rnn.pack_padded_sequence. A model fitted on
        tokens reads rows of embedding_ (torch.nn.Embedding.from_pretrained)."""
        self._check_fitted()
        params = {k: v.astype(np.float64) for k, v in self.params_.items()}
        nd = 2 if self.bidirectional else 1
        if self.x_mean_ is not None:  # W (x - m) / s + b == (W / s) x + (b - W (m / s))
            for s in ("", "_reverse")[:nd]:
                W = params["W_xh" + s]
                params["b_h" + s] = params["b_h" + s] - W @ (self.x_mean_ / self.x_scale_)
                params["W_xh" + s] = W / self.x_scale_
        scaling = self._output_scaling()
        if scaling is not None:  # y = s (W r + b) + m
            scale, mean = scaling
            params["W_hy"] = params["W_hy"] * scale[:, None]
            params["b_y"] = params["b_y"] * scale + mean
        from rnnfast.rnn.interop import to_torch
        return to_torch({k: v.astype(self.dtype) for k, v in params.items()},
                        num_layers=self.num_layers, bidirectional=self.bidirectional,
                        nonlinearity=self.nonlinearity, cell=self.cell)

    def _output_scaling(self):
        """None, or (scale (O,), mean (O,)) that map the head's outputs to predictions."""
        return None

    @classmethod
    def from_torch(cls, rnn, head, classes=None, **params):
        """A fitted estimator holding PyTorch's network: `rnn` (torch.nn.RNN, GRU or LSTM;
        batch_first or not: only its weights are read) and `head`, the torch.nn.Linear
        that reads the top layer's final states (for a tagger, every step's outputs).
        Its predictions from raw inputs (n, T, D) are the torch model's: no input
        standardisation; a regressor's outputs are the head's. A classifier or tagger
        needs `classes`, the sorted labels of the head's outputs (two labels for one
        output, a sigmoid's; K labels for K outputs). Other hyperparameters (for
        training on with partial_fit) come from **params; the dtype is the module's."""
        from rnnfast.rnn.interop import from_torch
        weights, settings = from_torch(rnn, head)
        dtype = weights["W_hh"].dtype.name
        model = cls(hidden_size=rnn.hidden_size, standardize=False, dtype=dtype,
                    **settings, **params)
        model._check_hyperparameters()
        model.params_ = weights
        model.n_features_in_ = rnn.input_size
        model._input_kind = "vectors"
        model.embedding_ = model.key_to_index_ = model.x_mean_ = model.x_scale_ = None
        model.loss_curve_, model.validation_scores_, model.grad_norms_ = [], [], []
        model.n_iter_ = 0
        model._load_fitted_meta(model._torch_meta(weights["W_hy"].shape[0], classes))
        model._fitted_architecture = model._architecture()
        model._fitted_raw = model._raw_architecture()

        def bad(field, what):
            raise ValueError(f"from_torch: {field} {what}")

        _check_saved_model(model, bad)
        return model

    # --- persistence -----------------------------------------------------------------

    def save(self, path):
        """Write the fitted model (arrays plus JSON metadata in one .npz), atomically."""
        self._check_fitted()
        hyper = {k: v for k, v in self.get_params().items() if k != "embedding"}
        if not isinstance(hyper["random_state"], (int, type(None))):
            hyper["random_state"] = None  # a Generator or RandomState is not saved
        meta = {"params": hyper, "fitted": self._fitted_meta(),
                "n_features_in": self.n_features_in_, "input_kind": self._input_kind,
                "loss_curve": self.loss_curve_, "validation_scores": self.validation_scores_,
                "n_iter": self.n_iter_}
        arrays = dict(self.params_)
        if self.x_mean_ is not None:
            arrays["x_mean"], arrays["x_scale"] = self.x_mean_, self.x_scale_
        if self.embedding_ is not None:
            arrays["embedding"] = self.embedding_
            if self.key_to_index_ is not None:
                arrays["words"] = persist.words_array(self.key_to_index_)
                arrays["word_ids"] = np.array(list(self.key_to_index_.values()), dtype=np.int64)
        persist.save(path, "rnnfast." + type(self).__name__, FORMAT_VERSION, meta, arrays)

    @classmethod
    def load(cls, path):
        """Load a model written by `save`, checked against itself first."""
        with persist.load(path, "rnnfast." + cls.__name__, FORMAT_VERSION) as (data, meta):
            params = meta.get("params")
            bad = functools.partial(persist.inconsistent, path)
            if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
                bad("params", "is not a mapping of names to values")
            try:
                model = cls(**params)
                model._check_hyperparameters()
            except (TypeError, ValueError) as e:
                bad("params", e)
            model.params_ = {k: data[k] for k in model._names()}
            model._fitted_architecture = model._architecture()
            model._fitted_raw = model._raw_architecture()
            model.n_features_in_ = meta.get("n_features_in")
            model.embedding_ = data["embedding"] if "embedding" in data.files else None
            model._input_kind = meta.get("input_kind",
                                         "vectors" if model.embedding_ is None else "tokens")
            model.x_mean_ = data["x_mean"] if "x_mean" in data.files else None
            model.x_scale_ = data["x_scale"] if "x_scale" in data.files else None
            model.key_to_index_ = None
            if "words" in data.files:
                words, ids = data["words"], data["word_ids"] if "word_ids" in data.files \
                    else bad("word_ids", "is missing (the file has words)")
                if words.ndim != 1 or ids.shape != words.shape or ids.dtype.kind not in "iu":
                    bad("word_ids", f"{ids.dtype} {ids.shape} does not number the "
                        f"{words.shape} words")
                model.key_to_index_ = dict(zip(words.tolist(), ids.tolist()))
            model.loss_curve_ = meta.get("loss_curve")
            model.validation_scores_ = meta.get("validation_scores")
            model.n_iter_ = meta.get("n_iter", len(model.loss_curve_ or ()))
            try:
                model._load_fitted_meta(meta["fitted"])
            except (KeyError, TypeError, ValueError) as e:
                bad("fitted", f"is damaged ({type(e).__name__}: {e})")
            _check_saved_model(model, bad)
        return model


def _check_saved_model(model, bad):
    """Hold a loaded model's arrays and metadata against each other: every weight of
    the shape its hyperparameters, classes or outputs say, of its dtype, finite; the
    embedding, scalings and word ids likewise. `bad(field, what)` raises."""
    kind = model._input_kind
    if kind not in ("table", "vectors", "tokens"):
        bad("input_kind", f"is {kind!r}, not 'table', 'vectors' or 'tokens'")
    n_in = model.n_features_in_
    if not isinstance(n_in, int) or isinstance(n_in, bool) or n_in < 1:
        bad("n_features_in", f"is {n_in!r}, not a count >= 1")
    for field in ("loss_curve", "validation_scores"):
        curve = getattr(model, field + "_")
        if not isinstance(curve, list) or not all(
                isinstance(v, (int, float)) and math.isfinite(v) for v in curve):
            bad(field, "is not a list of finite numbers")
    if not isinstance(model.n_iter_, int) or model.n_iter_ < 0:
        bad("n_iter", f"is {model.n_iter_!r}, not a count")
    H, dtype = model.hidden_size, np.dtype(model.dtype)
    D = 1 if kind == "table" else n_in
    if (kind == "tokens") != (model.embedding_ is not None):
        bad("embedding", "is missing for a model of tokens" if kind == "tokens" else
            f"is there, but the model's inputs are {kind}")
    shapes = param_shapes(model.num_layers, model.bidirectional, D, H,
                          model._saved_outputs(bad), model.cell)
    arrays = dict(model.params_)
    if model.embedding_ is not None:
        if model.embedding_.ndim != 2 or model.embedding_.shape[0] < 1:
            bad("embedding", f"has shape {model.embedding_.shape}, not (words + 1, {D})")
        shapes["embedding"] = (model.embedding_.shape[0], D)
        arrays["embedding"] = model.embedding_
    for name, shape in shapes.items():
        a = arrays[name]
        if a.dtype != dtype or a.shape != shape:
            bad(name, f"is {a.dtype} {a.shape}, but the model's settings make it "
                f"{dtype} {shape}")
        if not np.isfinite(a).all():
            bad(name, "holds NaN or infinity")
    if (model.x_mean_ is None) != (model.x_scale_ is None) or \
            (model.x_mean_ is not None and kind == "tokens"):
        bad("x_mean", "and x_scale must both be there (standardised numeric inputs) or "
            "neither")
    if model.x_mean_ is not None:
        for name, a in (("x_mean", model.x_mean_), ("x_scale", model.x_scale_)):
            if a.dtype.kind != "f" or a.shape != (D,) or not np.isfinite(a).all():
                bad(name, f"is {a.dtype} {a.shape}; it must be {D} finite numbers")
        if not (model.x_scale_ > 0).all():
            bad("x_scale", "holds a scale <= 0")
    if model.key_to_index_ is not None:
        ids = np.fromiter(model.key_to_index_.values(), np.int64, len(model.key_to_index_))
        V = len(model.embedding_) - 1  # the last row is the unknown token's
        if len(ids) != len(np.unique(ids)) or (len(ids) and (ids.min() < 0 or ids.max() >= V)):
            bad("word_ids", f"are not distinct rows 0..{V - 1} of the embedding")


class _Labels:
    """Class labels for a classifier of sequences or of steps: `classes_`, their
    encoding for the kernel, partial_fit's classes, scores into labels."""

    _label_ndim = 1  # y as the estimator checked it: (n,), or (n, T) for per-step labels

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over (X, y) from the current state; `classes` (every label that
        will ever appear) is required on the first call. Returns self."""
        if not hasattr(self, "params_") and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit")
        if hasattr(self, "params_") and classes is not None:
            given = np.unique(np.asarray(classes))
            if not np.array_equal(given, self.classes_):
                raise ValueError(f"classes={given.tolist()[:10]} is not the classes_ this "
                                 f"model was fitted with, {self.classes_.tolist()[:10]}; "
                                 f"call fit to train a model with other classes")
        return self._partial_fit(X, y, sample_weight, classes)

    def _encode_targets(self, y, fitting, classes=None):
        """Targets for the kernel, y's shape: 0/1 (dtype) for two classes, int labels
        for more."""
        if y.ndim != self._label_ndim:
            raise ValueError(f"y must be {self._label_ndim}-D, got shape {y.shape}")
        check_labels(y, type(self).__name__)
        if fitting:
            self.classes_ = fit_classes(y, classes, type(self).__name__)
        index = label_indices(y, self.classes_)
        return index.astype(self.dtype if len(self.classes_) == 2 else np.intp)

    def _n_outputs(self, targets):
        return 1 if len(self.classes_) == 2 else len(self.classes_)

    @staticmethod
    def _log_proba(out):
        """(n, K) log-probabilities from head outputs (n, O): a sigmoid's for O = 1."""
        if out.shape[1] == 1:
            z = out[:, 0]
            log_p = np.empty((len(z), 2))
            np.logaddexp(0, z, out=log_p[:, 0])
            np.logaddexp(0, -z, out=log_p[:, 1])
            return np.negative(log_p, out=log_p)
        return out - np.logaddexp.reduce(out, axis=1, keepdims=True)

    @staticmethod
    def _predicted_index(out):
        return (out[:, 0] > 0).astype(int) if out.shape[1] == 1 else np.argmax(out, axis=1)

    def _fitted_meta(self):
        return {"classes": self.classes_.tolist()}

    def _torch_meta(self, O, classes):
        if classes is None:
            raise ValueError(f"from_torch needs classes: the labels of the head's {O} "
                             f"output{'s' if O > 1 else ''} ({'2 labels' if O == 1 else O})")
        classes = np.asarray(classes)
        if len(classes) != (2 if O == 1 else O):
            raise ValueError(f"classes has {len(classes)} labels, but a head of {O} "
                             f"output{'s' if O > 1 else ''} needs {2 if O == 1 else O}")
        return {"classes": classes.tolist()}

    def _load_fitted_meta(self, meta):
        self.classes_ = np.array(meta["classes"])

    def _saved_outputs(self, bad):
        """The head's width for the saved `classes_` (checked)."""
        classes = self.classes_
        if classes.ndim != 1 or len(classes) < 2 or classes.dtype == object or \
                len(np.unique(classes)) != len(classes):
            bad("classes", f"are {classes.tolist()[:10]!r}: not two or more distinct labels")
        if not np.array_equal(np.sort(classes), classes):
            bad("classes", "are not sorted, as fit leaves them")
        return 1 if len(classes) == 2 else len(classes)


class RNNClassifier(ClassifierMixin, _Labels, _BaseRNN):
    """Sequence classifier: softmax(W_hy h_T + b_y) over the classes, trained with
    cross-entropy; with two classes, one sigmoid output (binary cross-entropy).

    X: (n, T) univariate series, (n, T, D) or a list of (T_i, D) float arrays, or
    (with `embedding`) a list of token sequences. y: n labels of two or more
    classes (any values; `classes_` holds them sorted). class_weight: None,
    "balanced" (n / (K * count of each class)) or a dict label -> weight;
    multiplied into sample_weight. cell: "rnn" (Elman's; `nonlinearity` tanh or relu),
    "gru" or "lstm" (PyTorch's cells), for every estimator here.

    Examples
    --------
    >>> import numpy as np
    >>> from rnnfast import RNNClassifier
    >>> X = np.random.default_rng(0).standard_normal((64, 10, 3))   # 64 sequences of 10 steps
    >>> y = (X[:, :, 0].sum(axis=1) > 0).astype(int)
    >>> clf = RNNClassifier(hidden_size=8, epochs=20, learning_rate=0.02).fit(X, y)
    >>> clf.predict(X[:5]).shape, clf.score(X, y) > 0.9
    ((5,), True)
    """

    def __init__(self, hidden_size=64, num_layers=1, bidirectional=False, nonlinearity="tanh",
                 dropout=0.0, pooling="last", embedding=None, freeze_embedding=False,
                 standardize=True, epochs=10, batch_size=32, optimizer="adam",
                 learning_rate=1e-3, clip_norm=5.0, bptt_steps=None, weight_decay=0.0,
                 validation_fraction=0.0, early_stopping=False, n_iter_no_change=5, tol=1e-4,
                 warm_start=False, n_jobs=None, random_state=0, verbose=False, dtype="float32",
                 class_weight=None, cell="rnn"):
        common = dict(locals())
        del common["self"], common["class_weight"]
        _BaseRNN.__init__(self, **common)
        self.class_weight = class_weight

    @property
    def _task(self):
        return "binary" if len(self.classes_) == 2 else "multiclass"

    def _class_weights(self, y):
        cw = self.class_weight
        if cw is None:
            return None
        index = np.searchsorted(self.classes_, y)
        if isinstance(cw, str) and cw == "balanced":
            counts = np.bincount(index, minlength=len(self.classes_))
            per_class = len(y) / (len(self.classes_) * np.maximum(counts, 1))
        elif isinstance(cw, dict):
            unknown = [k for k in cw if k not in set(self.classes_.tolist())]
            if unknown:
                raise ValueError(f"class_weight has labels not in y's classes: {unknown[:10]}")
            per_class = np.array([cw.get(c, 1.0) for c in self.classes_.tolist()], np.float64)
        else:
            raise ValueError(f"class_weight must be None, 'balanced' or a dict of label -> "
                             f"weight, got {cw!r}")
        return per_class[index]

    def decision_function(self, X):
        """Scores: (n,) the positive class's logit for two classes, (n, K) logits for more."""
        out = self._final_outputs(self._inputs(X))
        return out[:, 0] if self._task == "binary" else out

    def predict_log_proba(self, X):
        """(n, K): log-probabilities of the classes in `classes_` order."""
        return self._log_proba(self._final_outputs(self._inputs(X)))

    def predict_proba(self, X):
        """(n, K): probabilities of the classes in `classes_` order."""
        return np.exp(self.predict_log_proba(X))

    def predict(self, X):
        """The predicted class of each sequence, (n,), from `classes_`."""
        out = self._final_outputs(self._inputs(X))
        return self.classes_[self._predicted_index(out)]

    def _score_data(self, data, targets, weights):
        hits = self._predicted_index(self._final_outputs(data)) == targets
        return float(np.average(hits, weights=weights))


class RNNRegressor(RegressorMixin, _BaseRNN):
    """Sequence regressor: W_hy h_T + b_y, trained with mean squared error.

    X as for RNNClassifier; y: (n,) or (n, O) numbers (standardised for training,
    predictions mapped back). `score` is R^2.

    Examples
    --------
    >>> import numpy as np
    >>> from rnnfast import RNNRegressor, sliding_windows
    >>> X, y = sliding_windows(np.sin(np.arange(300) / 5), window=10)   # (290, 10, 1), (290,)
    >>> reg = RNNRegressor(hidden_size=8, epochs=30, learning_rate=0.02).fit(X, y)
    >>> reg.predict(X[:3]).shape, reg.score(X, y) > 0.9
    ((3,), True)
    """

    _task = "regression"
    _one_target = False

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over (X, y) from the current state. Returns self."""
        return self._partial_fit(X, y, sample_weight, None)

    def _encode_targets(self, y, fitting, classes=None):
        y = value_array(y)
        y2 = y[:, None] if y.ndim == 1 else y
        if fitting:
            self._y_ndim = y.ndim
            self.y_mean_, self.y_scale_ = moments(y2)
        elif y2.shape[1] != len(self.y_mean_):
            raise ValueError(f"y has {y2.shape[1]} outputs but the model was fitted with "
                             f"{len(self.y_mean_)}")
        return standardised(y2, self.y_mean_, self.y_scale_).astype(self.dtype)

    def _n_outputs(self, targets):
        return targets.shape[1]

    def predict(self, X):
        """Predicted targets, (n,) or (n, O) like the y given to fit."""
        out = self._final_outputs(self._inputs(X)) * self.y_scale_ + self.y_mean_
        return out[:, 0] if self._y_ndim == 1 else out

    def _score_data(self, data, y_std, weights):
        return r2_score(y_std, self._final_outputs(data), weights)

    def _output_scaling(self):
        return self.y_scale_, self.y_mean_

    def _fitted_meta(self):
        return {"y_mean": self.y_mean_.tolist(), "y_scale": self.y_scale_.tolist(),
                "y_ndim": self._y_ndim}

    def _torch_meta(self, O, classes):
        if classes is not None:
            raise ValueError("a regressor has no classes")
        return {"y_mean": [0.0] * O, "y_scale": [1.0] * O, "y_ndim": 1 if O == 1 else 2}

    def _load_fitted_meta(self, meta):
        self.y_mean_ = np.array(meta["y_mean"], dtype=np.float64)
        self.y_scale_ = np.array(meta["y_scale"], dtype=np.float64)
        self._y_ndim = meta["y_ndim"]

    def _saved_outputs(self, bad):
        """The head's width for the saved target scaling (checked)."""
        O = self.y_mean_.shape[0] if self.y_mean_.ndim == 1 else 0
        if O < 1 or self.y_scale_.shape != (O,) or not np.isfinite(self.y_mean_).all() or \
                not np.isfinite(self.y_scale_).all() or not (self.y_scale_ > 0).all():
            bad("fitted", f"y_mean {self.y_mean_.tolist()!r} and y_scale "
                f"{self.y_scale_.tolist()!r} are not finite outputs with scales > 0")
        if self._y_ndim not in (1, 2) or (self._y_ndim == 1 and O != 1):
            bad("fitted", f"y_ndim is {self._y_ndim!r} for {O} outputs")
        return O


def _power_of_two_scaled(weights):
    """Positive float64 weights scaled by a power of two so that the largest lies in
    [0.5, 1): every weighted mean is the same to the bit (the scale is exact), and
    sums of weights near 1e308 cannot overflow."""
    return np.ldexp(weights, -np.frexp(weights.max())[1])


def _nonzero(data, y, weights):
    """(data, y, weights) without the sequences of weight 0."""
    if weights is None or weights.all():
        return data, y, weights
    keep = np.flatnonzero(weights)
    return data.subset(keep), y[keep], weights[keep]


class RNNSequenceTagger(_Labels, _BaseRNN):
    """Labels every step of every sequence: softmax(W_hy o_t + b_y) over the classes at
    each step t (o_t the top layer's output there; both directions' states when
    bidirectional), cross-entropy averaged over all valid steps; with two classes, one
    sigmoid output per step.

    X as for RNNClassifier. y: n label sequences, y[i] of X[i]'s length (any hashable
    labels; `classes_` holds them sorted). predict returns a list of n arrays, each of
    its sequence's length; score is the accuracy over all steps. sample_weight weighs
    every step of a sequence.

    Examples
    --------
    >>> import numpy as np
    >>> from rnnfast import RNNSequenceTagger
    >>> X = np.random.default_rng(0).standard_normal((64, 10, 3))
    >>> Y = [(x[:, 0] > 0).astype(int) for x in X]          # a label per step
    >>> tagger = RNNSequenceTagger(hidden_size=8, epochs=20, learning_rate=0.02).fit(X, Y)
    >>> tagger.predict(X[:2])[0].shape, tagger.score(X, Y) > 0.9
    ((10,), True)
    """

    _per_step = True
    _label_ndim = 2

    @property
    def _task(self):
        return "binary_per_step" if len(self.classes_) == 2 else "multiclass_per_step"

    def _check_y(self, y, data):
        """y as an (n, T_max) array, each row padded with its own first label."""
        if y is None:
            raise ValueError("RNNSequenceTagger requires y: one label sequence per sequence")
        if isinstance(y, (str, bytes)) or not hasattr(y, "__len__"):
            raise TypeError(f"y must be a list of label sequences, got {type(y).__name__}")
        if len(y) != len(data):
            raise ValueError(f"X has {len(data)} sequences but y has {len(y)} label sequences")
        rows = []
        for i, (labels, n) in enumerate(zip(y, data.lengths)):
            labels = np.asarray(labels)
            if labels.ndim != 1 or len(labels) != n:
                raise ValueError(f"y[{i}] must hold one label per step of X[{i}] ({n} "
                                 f"labels), got shape {labels.shape}")
            rows.append(labels)
        T = int(data.lengths.max())
        kinds = {r.dtype.kind for r in rows}
        dtype = object if len(kinds) > 1 or "O" in kinds else \
            np.result_type(*[r.dtype for r in rows])
        padded = np.empty((len(rows), T), dtype=dtype)
        for i, r in enumerate(rows):
            padded[i, :len(r)] = r
            padded[i, len(r):] = r[0]
        return padded

    def predict_log_proba(self, X):
        """List of n arrays (T_i, K): each step's log-probabilities, `classes_` order."""
        return [self._log_proba(o) for o in self._final_outputs(self._inputs(X))]

    def predict_proba(self, X):
        """List of n arrays (T_i, K): each step's class probabilities."""
        return [np.exp(p) for p in self.predict_log_proba(X)]

    def predict(self, X):
        """List of n arrays (T_i,): the predicted label of every step."""
        return [self.classes_[self._predicted_index(o)]
                for o in self._final_outputs(self._inputs(X))]

    def score(self, X, y, sample_weight=None):
        """Accuracy over all steps (each step of sequence i weighted by sample_weight[i])."""
        data = self._inputs(X)
        targets = self._encode_targets(self._check_y(y, data), fitting=False)
        weights = checks.check_sample_weight(sample_weight, len(data), finite_sum=False)
        return self._score_data(data, targets, None if weights is None
                                else _power_of_two_scaled(weights))

    def _score_data(self, data, targets, weights):
        hits, mass = 0.0, 0.0
        for i, out in enumerate(self._final_outputs(data)):
            w = 1.0 if weights is None else float(weights[i])
            right = self._predicted_index(out) == targets[i, :len(out)]
            hits += w * float(right.sum())
            mass += w * len(out)
        return hits / mass
