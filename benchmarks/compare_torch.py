"""rnnfast vs PyTorch CPU: the same RNN models, seconds per epoch and test quality.

    taskset -c 0 python benchmarks/compare_torch.py
        [--task binary|multiclass|regression|tagging|all] [--cell rnn|gru|lstm]
        [--layers 1] [--bidirectional]
        [--hidden 128] [--batch 32] [--epochs 10] [--repeats 5] [--freeze]
        [--vectors wv.npz] [--corpus ../shared/data/corpus1m.txt] [--tokenizer unicode]
        [--vectors-from texts|corpus]

Four tasks, each with --layers stacked layers of --cell (torch.nn.RNN, GRU or LSTM), one
direction or two (--bidirectional; the head reads both final states, as torch's h_n[-2:]).
Beside seconds per epoch it prints the rate of the recurrent products (their FLOPs in an
epoch, forward and backward, over the epoch's time), numpy's single-thread rate for
one (batch, H) @ (H, G H) product, measured in the same run, and the ceiling of that
fraction: the recurrent products' share of all the epoch's matrix FLOPs. tagging: the sunspot windows
below, every step labelled with the tercile of the change to the month after it
(RNNSequenceTagger; per-step CrossEntropyLoss over all steps in torch). binary: SMS spam, tokens through word vectors (below). multiclass and
regression: monthly sunspot numbers 1749-2013, windows of --window months (a 2-D
(n, T) table, standardised as rnnfast's fit does, the same scaled inputs for
PyTorch); multiclass predicts the tercile of the next month's change (3 classes,
thresholds from the training windows; softmax head, CrossEntropyLoss), regression
the next month's value (MSELoss on standardised targets; RMSE, persistence beside
it); the last 20% of windows are held out. The rest of this text is the binary task.

Binary: both sides get the same data (SMS Spam Collection, seeded 80/20 split, tokens looked
up in word vectors trained by rnnfast: by default skip-gram on the training texts as the
tokenizer cuts them, --vectors-from corpus on --corpus), the same embedding treatment (by default the
whole table is trained, with sparse gradients and lazy Adam on both sides; with
--freeze the word vectors stay fixed and only the unknown-token vector is learned,
as rnnfast does), the same initial weights (rnnfast's scheme: uniform input/output
weights, orthogonal W_hh, zero biases), the same length-bucketed batches, Adam with
the same learning rate, and clipping by the global norm. PyTorch packs each padded
batch so the final state is each sequence's own. One thread each
(torch.set_num_threads(1), OPENBLAS_NUM_THREADS=1). Both are timed from token lists
to trained weights (data preparation and setup included, as in rnnfast's fit),
divided by the epochs. Runs alternate; repeat r uses seed + r on both sides, and
accuracy is averaged over the repeats (single runs of a vanilla RNN swing by a few
points). Needs `pip install torch==2.13.0`.
"""

import argparse
import os
import sys
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rnn_data import DATA, load_monthly_sunspots, load_sms, split, word_vectors  # noqa: E402

from rnnfast import (RNNClassifier, RNNRegressor, RNNSequenceTagger, sequences,  # noqa: E402
                     sliding_windows)
from rnnfast.bench import step_flops, time_interleaved  # noqa: E402
from rnnfast.rnn.interop import to_torch  # noqa: E402
from rnnfast.rnn.params import GATES, init_params  # noqa: E402


def run_rnnfast(kv, X_train, y_train, X_test, y_test, args, seed):
    clf = RNNClassifier(hidden_size=args.hidden, embedding=kv, freeze_embedding=args.freeze,
                        epochs=args.epochs, batch_size=args.batch, learning_rate=args.lr,
                        clip_norm=5.0, random_state=seed, num_layers=args.layers,
                        bidirectional=args.bidirectional, cell=args.cell)
    start = time.perf_counter()
    clf.fit(X_train, y_train)
    seconds = (time.perf_counter() - start) / args.epochs
    return seconds, clf.score(X_test, y_test)


def padded_ids(seq_data, index):
    """(ids (B, T_max) int64 padded with 0, lengths (B,) int64) of rnnfast's batch."""
    lengths = seq_data.lengths[index]
    steps = np.arange(lengths.max())
    valid = steps < lengths[:, None]
    ids = np.where(valid, seq_data.flat[np.where(valid, seq_data.starts[index][:, None] + steps,
                                                  0)], 0)
    return ids.astype(np.int64), lengths.astype(np.int64)


def initial_params(template, D, O, rng):
    """The first parameters fit draws (float32), from rng in fit's order."""
    return init_params(rng, template.num_layers, bool(template.bidirectional), D,
                       template.hidden_size, O, np.float32, template.cell)


def torch_rnn(D, O, init, args):
    """torch.nn.RNN, GRU or LSTM and a Linear head holding rnnfast's initial weights."""
    return to_torch(init, num_layers=args.layers, bidirectional=args.bidirectional,
                    cell=args.cell)


def final_states(h_n, args):
    """The top layer's final state(s) (B, nd*H), as rnnfast's readout."""
    import torch
    if isinstance(h_n, tuple):  # an LSTM's (h_n, c_n)
        h_n = h_n[0]
    return torch.cat(list(h_n[-(2 if args.bidirectional else 1):]), dim=1)


def epoch_flops(lengths, batches, D, args):
    """(recurrent, all): FLOPs of an epoch's recurrent products (per batch, layer and
    direction, one (B, H) @ (H, G H) product per step forward and one backward, over the
    batch's longest sequence), and of all its matrix products (bench.step_flops: input
    projections and weight and input gradients too; D the input width)."""
    per_step = 2 * 2 * args.hidden * GATES[args.cell] * args.hidden
    nd = 2 if args.bidirectional else 1
    recurrent = sum(per_step * len(b) * int(lengths[b].max()) for b in batches) * \
        args.layers * nd
    every = sum(step_flops(int(lengths[b].max()), len(b), D, args.hidden, args.layers,
                           args.bidirectional, args.cell) for b in batches)
    return recurrent, every


def sgemm_rate(args):
    """numpy's single-thread GFLOPS for one (batch, H) @ (H, G H) float32 product."""
    a = np.full((args.batch, args.hidden), 0.5, np.float32)
    w = np.full((args.hidden, GATES[args.cell] * args.hidden), 0.25, np.float32)
    out = np.empty((args.batch, w.shape[1]), np.float32)
    seconds = time_interleaved({"sgemm": lambda: np.matmul(a, w, out=out)}, rounds=5)["sgemm"]
    return 2 * a.size * w.shape[1] / seconds / 1e9


def run_torch(kv, X_train, y_train, X_test, y_test, args, seed):
    import torch
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    # timed like rnnfast's fit(): from token lists to trained weights, setup included
    start = time.perf_counter()
    template = RNNClassifier(hidden_size=args.hidden, embedding=kv, batch_size=args.batch,
                             random_state=seed, num_layers=args.layers,
                             bidirectional=args.bidirectional, cell=args.cell)
    # the same embedding table, ids and initial weights, drawn as fit draws them
    init_rng = np.random.default_rng(seed)
    data = template._fit_inputs(X_train, init_rng)
    init = initial_params(template, kv.vector_size, 1, init_rng)
    template.params_ = init
    rng = np.random.default_rng(seed)
    table = torch.from_numpy(template.embedding_.astype(np.float32))
    if args.freeze:
        # frozen word vectors, but the unknown-token row (the last) is learned, as in rnnfast
        emb = table[:-1]
        unknown = torch.nn.Parameter(table[-1:].clone())
        sparse = []
    else:
        # the whole table learned; sparse gradients and lazy Adam, as rnnfast does
        embedding = torch.nn.Embedding.from_pretrained(table, freeze=False, sparse=True)
        sparse = list(embedding.parameters())
    rnn, head = torch_rnn(kv.vector_size, 1, init, args)
    dense = [*rnn.parameters(), *head.parameters()] + ([unknown] if args.freeze else [])
    optimizers = [torch.optim.Adam(dense, lr=args.lr)]
    if sparse:
        optimizers.append(torch.optim.SparseAdam(sparse, lr=args.lr))
    loss_fn = torch.nn.BCEWithLogitsLoss()
    y_t = torch.from_numpy(y_train.astype(np.float32))

    def embed(ids):
        if not args.freeze:
            return embedding(ids)
        is_unknown = (ids == len(emb)).unsqueeze(-1)
        return torch.where(is_unknown, unknown, emb[ids.clamp(max=len(emb) - 1)])

    def logits(seq_data, index):
        ids, lengths = padded_ids(seq_data, index)
        packed = torch.nn.utils.rnn.pack_padded_sequence(
            embed(torch.from_numpy(ids)), torch.from_numpy(lengths), batch_first=True,
            enforce_sorted=False)
        _, h_n = rnn(packed)
        return head(final_states(h_n, args)).squeeze(1)

    def clip(max_norm):
        """Clipping by the global norm of all gradients, the sparse one included."""
        grads = [p.grad for p in dense] + [p.grad.coalesce() for p in sparse]
        for p, g in zip(sparse, grads[len(dense):]):
            p.grad = g
        total = torch.sqrt(sum(torch.sum((g._values() if g.is_sparse else g) ** 2)
                               for g in grads))
        if total > max_norm:
            for g in grads:
                g.mul_(max_norm / total)

    for _ in range(args.epochs):
        for batch in template._batches(data.lengths, rng):
            for opt in optimizers:
                opt.zero_grad()
            loss = loss_fn(logits(data, batch), y_t[batch])
            loss.backward()
            clip(5.0)
            for opt in optimizers:
                opt.step()
    seconds = (time.perf_counter() - start) / args.epochs
    test = sequences.token_data(X_test, template.key_to_index_, len(template.embedding_) - 1)
    with torch.no_grad():
        scores = np.concatenate([logits(test, np.arange(i, min(i + 256, len(test)))).numpy()
                                 for i in range(0, len(test), 256)])
    return seconds, float(np.mean((scores > 0) == (y_test == 1)))


def sunspot_task(task, window):
    """(X_train, y_train, X_test, y_test) of monthly sunspot windows (n, window)."""
    X, nxt = sliding_windows(load_monthly_sunspots(), window)
    X = X[:, :, 0]
    n_train = int(round(0.8 * len(X)))
    if task == "tagging":  # each step: the tercile of the change to the next month
        change = np.diff(np.column_stack([X, nxt]), axis=1)
        cuts = np.quantile(change[:n_train], [1 / 3, 2 / 3])
        y = np.searchsorted(cuts, change)
    elif task == "regression":
        y = nxt
    else:  # the tercile of the change from the window's last month
        change = nxt - X[:, -1]
        cuts = np.quantile(change[:n_train], [1 / 3, 2 / 3])
        y = np.searchsorted(cuts, change)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def series_model(task, args, seed, **kw):
    cls = {"regression": RNNRegressor, "tagging": RNNSequenceTagger}.get(task, RNNClassifier)
    return cls(hidden_size=args.hidden, batch_size=args.batch, learning_rate=args.lr,
               clip_norm=5.0, random_state=seed, num_layers=args.layers,
               bidirectional=args.bidirectional, cell=args.cell, **kw)


def series_quality(task, pred, y_test):
    """Accuracy for classes, RMSE for values."""
    if task == "regression":
        return float(np.sqrt(np.mean((pred - y_test) ** 2)))
    return float(np.mean(np.asarray(pred) == y_test))  # tagging: over every step


def run_rnnfast_series(task, X_train, y_train, X_test, y_test, args, seed):
    model = series_model(task, args, seed, epochs=args.epochs)
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = (time.perf_counter() - start) / args.epochs
    return seconds, series_quality(task, model.predict(X_test), y_test)


def run_torch_series(task, X_train, y_train, X_test, y_test, args, seed):
    import torch
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    start = time.perf_counter()
    template = series_model(task, args, seed)
    rng = np.random.default_rng(seed)  # drawn from in fit's order: weights, then batches
    data = template._fit_inputs(X_train, rng)
    mean, scale = sequences.feature_scaling(data)

    def inputs(X):
        return torch.from_numpy(((X - mean) / scale)[:, :, None].astype(np.float32))

    x = inputs(X_train)
    if task == "regression":
        y_mean, y_scale = y_train.mean(), y_train.std()
        y_t = torch.from_numpy(((y_train - y_mean) / y_scale).astype(np.float32))[:, None]
        n_out, loss_fn = 1, torch.nn.MSELoss()
    else:
        n_out = len(np.unique(y_train))
        y_t = torch.from_numpy(y_train.astype(np.int64))
        loss_fn = torch.nn.CrossEntropyLoss()
    init = initial_params(template, 1, n_out, rng)
    rnn, head = torch_rnn(1, n_out, init, args)
    params = [*rnn.parameters(), *head.parameters()]
    opt = torch.optim.Adam(params, lr=args.lr)

    def outputs(batch_x):
        out, h_n = rnn(batch_x)
        if task == "tagging":  # (B * T, K): every step's scores
            return head(out).reshape(-1, n_out)
        return head(final_states(h_n, args))

    for _ in range(args.epochs):
        for batch in template._batches(data.lengths, rng):
            index = torch.from_numpy(batch)
            opt.zero_grad()
            loss_fn(outputs(x[index]), y_t[index].reshape(-1) if task == "tagging"
                    else y_t[index]).backward()
            torch.nn.utils.clip_grad_norm_(params, 5.0)
            opt.step()
    seconds = (time.perf_counter() - start) / args.epochs
    with torch.no_grad():
        out = outputs(inputs(X_test)).numpy().astype(np.float64)
    if task == "regression":
        pred = out[:, 0] * y_scale + y_mean
    else:
        pred = out.argmax(axis=1).reshape(len(X_test), -1).squeeze(1 if task != "tagging" else ())
    return seconds, series_quality(task, pred, y_test)


def shape(args):
    return f"{args.layers} {args.cell} layer{'s' if args.layers > 1 else ''}" + \
        (", bidirectional" if args.bidirectional else "")


def report(title, results, quality, flops, args):
    """Seconds per epoch, the recurrent products' rate and test quality of each side, with
    numpy's sgemm rate at the recurrent product's shape measured now."""
    print(title)
    summary = {}
    peak = sgemm_rate(args)
    for name, runs in results.items():
        sec = np.median([r[0] for r in runs])
        q = np.array([r[1] for r in runs]) * (100 if quality == "accuracy" else 1)
        summary[name] = (sec, q.mean())
        unit = "%" if quality == "accuracy" else ""
        rate = flops[0] / sec / 1e9
        print(f"  {name:<8} {sec:8.3f} s/epoch (median), recurrent products {rate:6.1f} GFLOPS "
              f"({rate / peak:.0%} of sgemm)   test {quality} {q.mean():.2f}{unit} "
              f"(mean; runs {', '.join(f'{v:.2f}' for v in q)})")
    print(f"  numpy sgemm ({args.batch}, {args.hidden}) @ ({args.hidden}, "
          f"{GATES[args.cell] * args.hidden}), one thread, this run: {peak:.1f} GFLOPS")
    print(f"  ceiling: the recurrent products are {flops[0] / flops[1]:.0%} of the epoch's "
          f"matrix FLOPs, the most of sgemm they could show if every product ran at its "
          f"rate and nothing else took time")
    diff = summary["rnnfast"][1] - summary["torch"][1]
    what = "points" if quality == "accuracy" else f"({quality}, lower is better)"
    print(f"  speed-up rnnfast/torch: {summary['torch'][0] / summary['rnnfast'][0]:.2f}x, "
          f"{quality} difference {diff:+.2f} {what}")


def compare_sms(args):
    X, y = load_sms(tokenizer=args.tokenizer)
    train, test = split(len(X), seed=args.seed)
    if args.vectors_from == "texts":   # the training texts, cut by the same tokenizer
        from rnnfast import Word2Vec
        kv = Word2Vec([X[i] for i in train], sg=1, vector_size=100, min_count=1, epochs=10,
                      seed=args.seed, workers=1, progress=False).wv
    else:
        kv = word_vectors(args.corpus, args.vectors)
    parts = ([X[i] for i in train], y[train], [X[i] for i in test], y[test])
    results = {"rnnfast": [], "torch": []}
    for r in range(args.repeats):  # each repeat its own seed (weights, batch order)
        results["rnnfast"].append(run_rnnfast(kv, *parts, args, args.seed + r))
        results["torch"].append(run_torch(kv, *parts, args, args.seed + r))
    template = RNNClassifier(batch_size=args.batch)
    lengths = np.array([len(x) for x in parts[0]])
    flops = epoch_flops(lengths, template._batches(lengths, np.random.default_rng(0)),
                        kv.vector_size, args)
    report(f"binary: SMS spam, {shape(args)}, hidden {args.hidden}, batch {args.batch}, "
           f"{args.epochs} epochs, embedding {'frozen' if args.freeze else 'trained'}, "
           f"{args.repeats} alternating runs (seeds {args.seed}..{args.seed + args.repeats - 1})",
           results, "accuracy", flops, args)


def compare_series(task, args):
    parts = sunspot_task(task, args.window)
    results = {"rnnfast": [], "torch": []}
    for r in range(args.repeats):
        results["rnnfast"].append(run_rnnfast_series(task, *parts, args, args.seed + r))
        results["torch"].append(run_torch_series(task, *parts, args, args.seed + r))
    what = {"multiclass": "next-month change tercile (3 classes)",
            "tagging": "every month's change tercile (3 classes per step)"}.get(
        task, "next-month value")
    quality = "RMSE" if task == "regression" else "accuracy"
    lengths = np.full(len(parts[0]), args.window)
    batches = [np.arange(i, min(i + args.batch, len(lengths)))
               for i in range(0, len(lengths), args.batch)]
    report(f"{task}: monthly sunspots, window {args.window}, {what}; {len(parts[0])} training "
           f"/ {len(parts[2])} test windows, {shape(args)}, hidden "
           f"{args.hidden}, batch {args.batch}, {args.epochs} epochs, {args.repeats} alternating "
           f"runs", results, quality, epoch_flops(lengths, batches, 1, args), args)
    if task == "regression":
        print(f"  persistence (next = last) RMSE "
              f"{series_quality(task, parts[2][:, -1], parts[3]):.2f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--freeze", action="store_true",
                        help="keep the word vectors fixed (the unknown-token vector is still "
                             "learned); by default the whole embedding is trained")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--vectors", default="/tmp/rnnfast-sms-wv.npz",
                        help="cached word vectors (.npz); trained from --corpus if missing")
    parser.add_argument("--corpus", default=os.path.join(DATA, "corpus1m.txt"))
    parser.add_argument("--tokenizer", choices=["unicode", "simple"], default="unicode",
                        help="binary: rnnfast.tokenize, or simple_tokenize (a-z runs)")
    parser.add_argument("--vectors-from", choices=["texts", "corpus"], default="texts",
                        help="binary: word vectors trained on the training texts as the "
                             "tokenizer cuts them (as `rnnfast classify` does), or on --corpus "
                             "(a-z text: the tokens of the Unicode tokenizer it lacks are "
                             "unknown)")
    parser.add_argument("--task", choices=["binary", "multiclass", "regression", "tagging",
                                           "all"], default="all")
    parser.add_argument("--layers", type=int, default=1, help="stacked recurrent layers")
    parser.add_argument("--cell", choices=["rnn", "gru", "lstm"], default="rnn")
    parser.add_argument("--bidirectional", action="store_true")
    parser.add_argument("--window", type=int, default=48,
                        help="months per window of the sunspot tasks")
    args = parser.parse_args(argv)
    if args.task in ("binary", "all"):
        compare_sms(args)
    for task in ("multiclass", "regression", "tagging"):
        if args.task in (task, "all"):
            compare_series(task, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
