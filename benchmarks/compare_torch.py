"""rnnfast vs PyTorch CPU: the same RNN classifier on SMS spam, seconds per epoch and accuracy.

    taskset -c 0 python benchmarks/compare_torch.py [--hidden 128] [--batch 32] [--epochs 10]
        [--repeats 5] [--freeze] [--vectors wv.npz] [--corpus ../shared/data/corpus1m.txt]

Both sides get the same data (SMS Spam Collection, seeded 80/20 split, tokens looked
up in word vectors trained by rnnfast), the same embedding treatment (by default the
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
from rnn_data import DATA, load_sms, split, word_vectors  # noqa: E402

from rnnfast import RNNClassifier, sequences  # noqa: E402


def run_rnnfast(kv, X_train, y_train, X_test, y_test, args, seed):
    clf = RNNClassifier(hidden_size=args.hidden, embedding=kv, freeze_embedding=args.freeze,
                        epochs=args.epochs, batch_size=args.batch, learning_rate=args.lr,
                        clip_norm=5.0, random_state=seed)
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


def run_torch(kv, X_train, y_train, X_test, y_test, args, seed):
    import torch
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    # timed like rnnfast's fit(): from token lists to trained weights, setup included
    start = time.perf_counter()
    template = RNNClassifier(hidden_size=args.hidden, embedding=kv, batch_size=args.batch,
                             random_state=seed)
    # the same embedding table, ids and initial weights, drawn as fit draws them
    init_rng = np.random.default_rng(seed)
    data = template._fit_inputs(X_train, init_rng)
    init = template._init_params(kv.vector_size, 1, init_rng)
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
    rnn = torch.nn.RNN(kv.vector_size, args.hidden, batch_first=True)
    head = torch.nn.Linear(args.hidden, 1)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.from_numpy(init["W_xh"]))
        rnn.weight_hh_l0.copy_(torch.from_numpy(init["W_hh"]))
        rnn.bias_ih_l0.zero_()
        rnn.bias_hh_l0.zero_()
        head.weight.copy_(torch.from_numpy(init["W_hy"]))
        head.bias.zero_()
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
        return head(h_n[0]).squeeze(1)

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
    args = parser.parse_args(argv)
    kv = word_vectors(args.corpus, args.vectors)
    X, y = load_sms()
    train, test = split(len(X), seed=args.seed)
    parts = ([X[i] for i in train], y[train], [X[i] for i in test], y[test])
    results = {"rnnfast": [], "torch": []}
    for r in range(args.repeats):  # each repeat its own seed (weights, batch order)
        results["rnnfast"].append(run_rnnfast(kv, *parts, args, args.seed + r))
        results["torch"].append(run_torch(kv, *parts, args, args.seed + r))
    print(f"SMS spam, hidden {args.hidden}, batch {args.batch}, {args.epochs} epochs, "
          f"embedding {'frozen' if args.freeze else 'trained'}, "
          f"{args.repeats} alternating runs (seeds {args.seed}..{args.seed + args.repeats - 1})")
    summary = {}
    for name, runs in results.items():
        sec = np.median([r[0] for r in runs])
        acc = 100 * np.array([r[1] for r in runs])
        summary[name] = (sec, acc.mean())
        print(f"  {name:<8} {sec:8.3f} s/epoch (median)   test accuracy {acc.mean():.2f}% "
              f"(mean; runs {', '.join(f'{a:.2f}' for a in acc)})")
    print(f"  speed-up rnnfast/torch: {summary['torch'][0] / summary['rnnfast'][0]:.2f}x, "
          f"accuracy difference {summary['rnnfast'][1] - summary['torch'][1]:+.2f} points")
    return 0


if __name__ == "__main__":
    sys.exit(main())
