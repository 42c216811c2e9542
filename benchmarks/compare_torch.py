"""rnnfast vs PyTorch CPU: the same RNN classifier on SMS spam, seconds per epoch and accuracy.

    taskset -c 0 python benchmarks/compare_torch.py [--hidden 128] [--batch 32] [--epochs 5]
        [--vectors wv.npz] [--corpus ../shared/data/corpus1m.txt]

Both sides get the same data (SMS Spam Collection, seeded 80/20 split, tokens looked
up in word vectors trained by rnnfast and frozen), the same initial weights
(rnnfast's scheme: uniform input/output weights, orthogonal W_hh, zero biases),
the same length-bucketed batches, Adam with the same learning rate, and clipping by
global norm. PyTorch packs each padded batch so the final state is each sequence's
own. One thread each (torch.set_num_threads(1), OPENBLAS_NUM_THREADS=1); runs alternate.
Needs `pip install torch==2.13.0`.
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

from rnnfast import RNNClassifier  # noqa: E402


def run_rnnfast(kv, X_train, y_train, X_test, y_test, args):
    clf = RNNClassifier(hidden_size=args.hidden, embedding=kv, freeze_embedding=True,
                        epochs=args.epochs, batch_size=args.batch, learning_rate=args.lr,
                        clip_norm=5.0, seed=args.seed)
    start = time.perf_counter()
    clf.fit(X_train, y_train)
    seconds = (time.perf_counter() - start) / args.epochs
    return seconds, clf.score(X_test, y_test)


def run_torch(kv, X_train, y_train, X_test, y_test, args):
    import torch
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    template = RNNClassifier(hidden_size=args.hidden, embedding=kv, batch_size=args.batch,
                             seed=args.seed)
    data = template._prepare(X_train, fitting=True)   # the same embedding table and ids
    init = template._init_params(kv.vector_size, 1, np.random.default_rng(args.seed))
    template.params_ = init
    test = template._prepare(X_test, fitting=False)
    rng = np.random.default_rng(args.seed)
    emb = torch.from_numpy(template.embedding_.astype(np.float32))
    rnn = torch.nn.RNN(kv.vector_size, args.hidden, batch_first=True)
    head = torch.nn.Linear(args.hidden, 1)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.from_numpy(init["W_xh"]))
        rnn.weight_hh_l0.copy_(torch.from_numpy(init["W_hh"]))
        rnn.bias_ih_l0.zero_()
        rnn.bias_hh_l0.zero_()
        head.weight.copy_(torch.from_numpy(init["W_hy"]))
        head.bias.zero_()
    weights = [*rnn.parameters(), *head.parameters()]
    opt = torch.optim.Adam(weights, lr=args.lr)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    y_t = torch.from_numpy(y_train.astype(np.float32))

    def logits(seq_data, index):
        _, lengths, ids = seq_data.batch(index, template.embedding_, np.float32)
        x = emb[torch.from_numpy(ids)]
        packed = torch.nn.utils.rnn.pack_padded_sequence(
            x, torch.from_numpy(lengths.astype(np.int64)), batch_first=True,
            enforce_sorted=False)
        _, h_n = rnn(packed)
        return head(h_n[0]).squeeze(1)

    start = time.perf_counter()
    for _ in range(args.epochs):
        for batch in template._batches(data.lengths, rng):
            opt.zero_grad()
            loss = loss_fn(logits(data, batch), y_t[batch])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(weights, 5.0)
            opt.step()
    seconds = (time.perf_counter() - start) / args.epochs
    with torch.no_grad():
        scores = np.concatenate([logits(test, np.arange(i, min(i + 256, len(test)))).numpy()
                                 for i in range(0, len(test), 256)])
    return seconds, float(np.mean((scores > 0) == (y_test == 1)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--vectors", default="/tmp/rnnfast-sms-wv.npz",
                        help="cached word vectors (.npz); trained from --corpus if missing")
    parser.add_argument("--corpus", default=os.path.join(DATA, "corpus1m.txt"))
    args = parser.parse_args(argv)
    kv = word_vectors(args.corpus, args.vectors)
    X, y = load_sms()
    train, test = split(len(X), seed=args.seed)
    parts = ([X[i] for i in train], y[train], [X[i] for i in test], y[test])
    results = {"rnnfast": [], "torch": []}
    for _ in range(args.repeats):
        results["rnnfast"].append(run_rnnfast(kv, *parts, args))
        results["torch"].append(run_torch(kv, *parts, args))
    print(f"SMS spam, hidden {args.hidden}, batch {args.batch}, {args.epochs} epochs, "
          f"median of {args.repeats} alternating runs")
    med = {k: (np.median([r[0] for r in v]), np.median([r[1] for r in v]))
           for k, v in results.items()}
    for name, (sec, acc) in med.items():
        print(f"  {name:<8} {sec:8.3f} s/epoch   test accuracy {100 * acc:.2f}%")
    print(f"  speed-up rnnfast/torch: {med['torch'][0] / med['rnnfast'][0]:.2f}x, "
          f"accuracy difference {100 * (med['rnnfast'][1] - med['torch'][1]):+.2f} points")
    return 0


if __name__ == "__main__":
    sys.exit(main())
