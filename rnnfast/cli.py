"""The `rnnfast` command line."""

import argparse
import functools
import os
import sys


def _set_blas_threads(threads):
    # must run before numpy is first imported to take effect
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)


def _cmd_bench(args):
    import numpy as np

    from rnnfast import bench

    from rnnfast.config import config

    dtype = np.dtype(args.dtype)
    about = config()
    print(f"rnnfast.functional vs rnnfast.reference: one training step "
          f"(forward, loss, BPTT), {dtype}, {args.threads} BLAS thread(s), "
          f"median of {args.rounds} interleaved rounds\nCPU: {about['cpu']}; recurrent "
          f"products: {about['recurrent products']}; GFLOPS of the step's matrix products, "
          f"and their fraction of numpy's rate at (B, H) @ (H, H) in the same run", flush=True)
    print(f"cell: {args.cell}", flush=True)
    rows = bench.run(dtype=dtype, rounds=args.rounds, with_torch=not args.no_torch,
                     cell=args.cell)
    print(bench.format_table(rows))
    return 0


def _cmd_demo(args):
    import time

    from rnnfast import Word2Vec
    from rnnfast.datasets import toy_analogies, toy_corpus

    print(f"Generating the built-in toy corpus ({args.sentences:,} sentences about countries, "
          f"capitals and people)...", flush=True)
    sentences = toy_corpus(args.sentences, seed=args.seed)
    progress = _live_progress()
    start = time.perf_counter()
    model = Word2Vec(sentences, sg=1, vector_size=50, window=5, min_count=1, sample=1e-3,
                     epochs=args.epochs, workers=args.workers, seed=args.seed, progress=progress)
    progress.close()
    seconds = time.perf_counter() - start
    words = model.vocab.total_words * args.epochs
    print(f"Trained skip-gram on {model.vocab.total_words:,} tokens x {args.epochs} epochs "
          f"in {seconds:.1f}s ({words / seconds:,.0f} words/s); "
          f"loss per epoch: {', '.join(f'{x:.3f}' for x in model.training_loss_)}")
    wv = model.wv
    print("\nNearest neighbours:")
    for word in ("paris", "queen", "italian", "school"):
        near = ", ".join(f"{w} ({s:.2f})" for w, s in wv.most_similar(word, topn=5))
        print(f"  {word:<8} -> {near}")
    print("\nAnalogies (a is to b as c is to ?):")
    for a, b, c in (("man", "king", "woman"), ("france", "paris", "italy"),
                    ("boy", "girl", "father"), ("germany", "berlin", "japan")):
        answer = wv.most_similar(positive=[b, c], negative=[a], topn=1)[0][0]
        print(f"  {a} : {b} :: {c} : {answer}")
    accuracy, sections = wv.evaluate_word_analogies(toy_analogies())
    total = sections[-1]
    print(f"\nAnalogy accuracy on {len(total['correct']) + len(total['incorrect'])} questions: "
          f"{100 * accuracy:.1f}%")
    return 0


def _live_progress():
    from rnnfast._core.progress import live_line
    return live_line()


def _load_vectors(path, binary, no_header):
    from rnnfast import KeyedVectors

    if str(path).endswith(".npz"):
        return KeyedVectors.load(path)
    from rnnfast._core.persist import open_compressed

    binary = binary or str(path).endswith(".bin")
    if not binary and not no_header:
        with open_compressed(path, "rb") as f:  # a .gz file's header is inside the stream
            first = f.readline(1 << 16).split()
        no_header = not (len(first) == 2 and all(p.isdigit() for p in first))
    return KeyedVectors.load_word2vec_format(path, binary=binary, no_header=no_header)


def _check_output(path):
    """Refuse, before any training, an output the run could not write at its end."""
    from rnnfast._core.persist import check_writable
    try:
        check_writable(path)
    except OSError as e:
        raise ValueError(f"-o {e.strerror}") from None


def _train(args, make_model):
    """Train with a live progress line, write the vectors; returns (model, seconds)."""
    import time

    _check_output(args.output)
    if getattr(args, "resume", False) and not args.checkpoint:
        raise ValueError("--resume needs --checkpoint FILE (the state to continue from)")
    corpus = _corpus_source(args.corpus)
    progress = _live_progress()
    start = time.perf_counter()
    try:
        model = make_model(corpus, progress)
    finally:
        progress.close()
    seconds = time.perf_counter() - start
    model.wv.save_word2vec_format(args.output, binary=args.binary)
    return model, seconds


def _cmd_word2vec(args):
    from rnnfast import Word2Vec

    model, seconds = _train(args, lambda corpus, progress: Word2Vec(
        **corpus, sg=0 if args.cbow else 1, vector_size=args.dim, window=args.window,
        negative=args.negative,
        min_count=args.min_count, sample=args.sample, epochs=args.epochs,
        workers=args.workers, seed=args.seed, alpha=args.alpha,
        max_vocab_size=args.max_vocab_size, progress=progress))
    words = model.vocab.total_words * args.epochs
    print(f"{len(model.vocab):,} words x {args.dim} dims from {model.vocab.total_words:,} tokens; "
          f"{seconds:.1f}s ({words / seconds:,.0f} words/s); final loss "
          f"{model.training_loss_[-1]:.4f}; wrote {args.output}")
    return 0


def _cmd_glove(args):
    from rnnfast import GloVe

    def make_model(corpus, progress):
        model = GloVe(vector_size=args.dim, window=args.window, min_count=args.min_count,
                      x_max=args.x_max, alpha=args.alpha, learning_rate=args.learning_rate,
                      epochs=args.epochs, memory_limit=args.memory_limit, workers=args.workers,
                      seed=args.seed, max_vocab_size=args.max_vocab_size,
                      checkpoint=args.checkpoint, progress=progress)
        if not args.dask:
            return model.fit(**corpus, resume=args.resume)
        vocab, counts = _dask_counts(args)
        model.fit_cooccurrence(counts, vocab, resume=args.resume)
        model.cooccurrence_ = counts
        return model

    model, seconds = _train(args, make_model)
    pairs = model.cooccurrence_.nnz
    print(f"{len(model.wv):,} words x {args.dim} dims, {pairs:,} co-occurring pairs; "
          f"{seconds:.1f}s; final cost {model.cost_[-1]:.6g} "
          f"({model.cost_[-1] / pairs:.5g} per pair); wrote {args.output}")
    return 0


def _dask_counts(args):
    """(vocabulary, co-occurrence coo_matrix) of args.corpus, counted on the Dask
    cluster at args.dask ("local": a local one for the run)."""
    import contextlib
    import shutil
    import tempfile

    import rnnfast.dask as rd
    from rnnfast.dask._cluster import _cluster

    if args.max_vocab_size is not None:
        raise ValueError("--max-vocab-size prunes in reading order, which a split corpus "
                         "cannot reproduce; leave it out with --dask")
    with contextlib.ExitStack() as stack:
        if args.dask == "local":
            client = stack.enter_context(_cluster(None))
        else:
            from distributed import Client
            client = stack.enter_context(Client(args.dask))
        out = args.blocks_dir
        if out is None:  # the workers must see it: a shared file system, or this machine
            out = tempfile.mkdtemp(prefix="rnnfast-blocks-")
            stack.callback(shutil.rmtree, out, True)
        vocab = rd.build_vocab(args.corpus, min_count=args.min_count, client=client)
        print(f"vocabulary: {len(vocab):,} words of {vocab.total_words:,} tokens "
              f"(counted on {args.dask})", flush=True)
        blocked = rd.cooccurrence(args.corpus, vocab, out, window=args.window,
                                  memory_limit=args.memory_limit, client=client)
        return vocab, blocked.to_coo()


def _cmd_evaluate(args):
    wv = _load_vectors(args.vectors, args.binary, args.no_header)
    print(f"{args.vectors}: {len(wv):,} words x {wv.vector_size} dims")
    if not args.analogies and not args.similarity:
        print("nothing to evaluate: give --analogies FILE and/or --similarity FILE")
        return 2
    if args.analogies:
        accuracy, sections = wv.evaluate_word_analogies(args.analogies,
                                                        restrict_vocab=args.restrict_vocab)
        for sec in sections:
            n = len(sec["correct"]) + len(sec["incorrect"])
            if n:
                print(f"  {sec['section']:<28} {100 * len(sec['correct']) / n:6.1f}%  ({n} questions)")
        print(f"analogy accuracy: {100 * accuracy:.2f}% "
              f"(questions with unknown words skipped: {100 * wv.last_analogy_oov_ratio:.1f}%)")
    if args.similarity:
        pearson, spearman, oov = wv.evaluate_word_pairs(args.similarity,
                                                        restrict_vocab=args.restrict_vocab)
        print(f"word similarity: Spearman {spearman[0]:.4f}, Pearson {pearson[0]:.4f} "
              f"(pairs with unknown words skipped: {oov:.1f}%)")
    return 0


def _cmd_neighbors(args):
    wv = _load_vectors(args.vectors, args.binary, args.no_header)
    status = 0
    for word in args.words:
        if word not in wv:
            print(f"{word}: not in the vocabulary", file=sys.stderr)
            status = 1
            continue
        near = ", ".join(f"{w} {s:.3f}" for w, s in wv.most_similar(word, topn=args.topn))
        print(f"{word}: {near}")
    return status


def _cmd_classify_train(args):
    import time

    import numpy as np

    from rnnfast import RNNClassifier, Word2Vec, tokenize
    from rnnfast.rnn.labelled_text import read_labelled

    _check_output(args.output)
    texts, labels, _ = read_labelled(args.data, args.text_column, args.label_column,
                                     args.delimiter)
    tokens = [tokenize(t) or ["<empty>"] for t in texts]
    order = np.random.default_rng(args.seed).permutation(len(tokens))
    n_test = int(round(args.test_fraction * len(tokens)))
    held, train = order[:n_test], order[n_test:]
    if len(train) == 0 or len(set(labels[i] for i in train)) < 2:
        raise ValueError(f"--test-fraction {args.test_fraction} leaves too few rows to train "
                         f"on ({len(train)})")
    print(f"{len(texts):,} texts, {len(set(labels))} labels; training on {len(train):,}, "
          f"testing on {len(held):,}", flush=True)
    start = time.perf_counter()
    if args.vectors:
        vectors = _load_vectors(args.vectors, False, False)
    else:   # word vectors of the training texts themselves, trained on from there
        progress = _live_progress()
        vectors = Word2Vec([tokens[i] for i in train], sg=1, vector_size=args.dim,
                           min_count=1, epochs=args.vector_epochs, seed=args.seed,
                           workers=args.workers, progress=progress).wv
        progress.close()
    clf = RNNClassifier(hidden_size=args.hidden, cell=args.cell, epochs=args.epochs,
                        learning_rate=args.learning_rate, batch_size=args.batch_size,
                        embedding=vectors, random_state=args.seed, verbose="bar")
    clf.fit([tokens[i] for i in train], [labels[i] for i in train])
    seconds = time.perf_counter() - start
    if len(held):
        accuracy = clf.score([tokens[i] for i in held], [labels[i] for i in held])
        print(f"test accuracy {100 * accuracy:.2f}% on {len(held):,} held-out texts")
    clf.save(args.output)
    print(f"trained in {seconds:.1f}s; wrote {args.output}")
    return 0


def _cmd_classify_predict(args):
    from rnnfast import RNNClassifier, tokenize
    from rnnfast.rnn.labelled_text import read_texts

    clf = RNNClassifier.load(args.model)
    if args.input == "-":
        texts = read_texts(sys.stdin.buffer)
    else:
        with open(args.input, "rb") as f:
            texts = read_texts(f, args.input)
    if not texts:
        return 0
    tokens = [tokenize(t) or ["<empty>"] for t in texts]
    if args.proba:
        print("\t".join(["label"] + [str(c) for c in clf.classes_]))
        for label, row in zip(clf.predict(tokens), clf.predict_proba(tokens)):
            print("\t".join([str(label)] + [f"{p:.4f}" for p in row]))
    else:
        print("\n".join(str(label) for label in clf.predict(tokens)))
    return 0


def _fraction(text):
    value = float(text)
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {value}")
    return value


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _add_training_args(p, window, epochs):
    """The arguments word2vec and glove share."""
    p.add_argument("corpus", help="text, one sentence per line (.gz/.bz2/.xz streamed)")
    p.add_argument("-o", "--output", required=True, help="vectors file to write")
    p.add_argument("--binary", action="store_true", help="write word2vec's binary format")
    p.add_argument("--dim", type=_positive_int, default=100, help="vector size")
    p.add_argument("--window", type=_positive_int, default=window, help="context words each side")
    p.add_argument("--min-count", type=_positive_int, default=5, help="drop rarer words")
    p.add_argument("--max-vocab-size", type=_positive_int, default=None,
                   help="prune rare words while counting past this many; None: never")
    p.add_argument("--epochs", type=_positive_int, default=epochs, help="passes over the data")
    p.add_argument("--workers", type=_positive_int, default=None,
                   help="threads; None: every core")
    p.add_argument("--seed", type=int, default=1, help="random seed")


def _corpus_source(path):
    """corpus_file= for plain text (the fast path), sentences= streaming a compressed file."""
    from rnnfast import LineSentence

    if str(path).lower().endswith((".gz", ".bz2", ".xz")):
        return {"sentences": LineSentence(path)}
    return {"corpus_file": path}


class _Version(argparse.Action):
    """--version: "rnnfast X.Y.Z", then the rest of rnnfast.config()."""

    def __call__(self, parser, namespace, values, option_string=None):
        from rnnfast.config import config
        items = config()
        print(f"rnnfast {items.pop('rnnfast')}")
        for name, value in items.items():
            print(f"  {name}: {value}")
        parser.exit()


def build_parser():
    parser = argparse.ArgumentParser(prog="rnnfast", description=__doc__)
    parser.add_argument("--version", action=_Version, nargs=0,
                        help="show the versions, the CPU and the kernels' vector paths")
    sub = parser.add_subparsers(dest="command", required=True)
    # every subcommand's --help shows its defaults
    sub.add_parser = functools.partial(sub.add_parser,
                                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)

    p = sub.add_parser("bench", help="time the RNN kernels against the NumPy reference")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                   help="precision")
    p.add_argument("--rounds", type=_positive_int, default=7, help="interleaved rounds")
    p.add_argument("--threads", type=_positive_int, default=1, help="BLAS threads")
    p.add_argument("--no-torch", action="store_true", help="skip PyTorch even if installed")
    p.add_argument("--cell", choices=["rnn", "gru", "lstm"], default="rnn",
                   help="recurrent cell")
    p.set_defaults(func=_cmd_bench)

    p = sub.add_parser("demo", help="train word2vec on a built-in corpus and show what it learnt")
    p.add_argument("--sentences", type=_positive_int, default=50000,
                   help="size of the toy corpus")
    p.add_argument("--epochs", type=_positive_int, default=10, help="passes over the data")
    p.add_argument("--workers", type=_positive_int, default=None,
                   help="threads; None: every core")
    p.add_argument("--seed", type=int, default=1, help="random seed")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("word2vec", help="train word2vec vectors (skip-gram, or CBOW) on a text corpus")
    _add_training_args(p, window=5, epochs=5)
    p.add_argument("--negative", type=_positive_int, default=5, help="noise words per pair")
    p.add_argument("--sample", type=float, default=1e-3, help="subsampling threshold")
    p.add_argument("--alpha", type=float, default=0.025, help="initial learning rate")
    p.add_argument("--cbow", action="store_true",
                   help="CBOW (the mean of the context predicts the word) instead of skip-gram")
    p.set_defaults(func=_cmd_word2vec)

    p = sub.add_parser("glove", help="train GloVe word vectors on a text corpus")
    _add_training_args(p, window=10, epochs=25)
    p.add_argument("--x-max", type=float, default=100.0, help="count where weights reach 1")
    p.add_argument("--alpha", type=float, default=0.75, help="exponent of the weighting")
    p.add_argument("--learning-rate", type=float, default=0.05, help="AdaGrad's rate")
    p.add_argument("--memory-limit", default=None, help="e.g. 500MB or 2GB, for counting")
    p.add_argument("--checkpoint", default=None, help="save the state here after every epoch")
    p.add_argument("--resume", action="store_true", help="continue from --checkpoint")
    p.add_argument("--dask", default=None, metavar="SCHEDULER",
                   help="count the vocabulary and co-occurrences on this Dask scheduler "
                        "(tcp://host:8786, or 'local'); the corpus may then be a glob or URL; "
                        "training runs here (needs rnnfast[dask])")
    p.add_argument("--blocks-dir", default=None,
                   help="with --dask: where the workers write the counts (a directory all of "
                        "them and this machine share); default: a temporary one")
    p.set_defaults(func=_cmd_glove)

    p = sub.add_parser("classify", help="train a text classifier on labelled texts, or "
                                        "label texts with one")
    actions = p.add_subparsers(dest="action", required=True)
    actions.add_parser = functools.partial(
        actions.add_parser, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    t = actions.add_parser("train", help="train an RNNClassifier on a table of labelled texts "
                                         "and report its accuracy on a held-out part")
    t.add_argument("data", help="TSV (or .csv) with a header row, one text per row (UTF-8)")
    t.add_argument("-o", "--output", required=True, help="model file to write (.npz)")
    t.add_argument("--text-column", default="text", help="name or 0-based number")
    t.add_argument("--label-column", default="label", help="name or 0-based number")
    t.add_argument("--delimiter", default=None, help="default: tab, or ',' for .csv")
    t.add_argument("--vectors", default=None,
                   help="word vectors to start from (word2vec text/binary, GloVe text or "
                        ".npz); default: trained on the training texts")
    t.add_argument("--dim", type=_positive_int, default=100,
                   help="size of the word vectors trained without --vectors")
    t.add_argument("--vector-epochs", type=_positive_int, default=10,
                   help="word2vec epochs without --vectors")
    t.add_argument("--cell", choices=["rnn", "gru", "lstm"], default="rnn",
                   help="recurrent cell")
    t.add_argument("--hidden", type=_positive_int, default=64, help="hidden units")
    t.add_argument("--epochs", type=_positive_int, default=10, help="passes over the data")
    t.add_argument("--learning-rate", type=float, default=1e-3, help="Adam's rate")
    t.add_argument("--batch-size", type=_positive_int, default=32, help="texts per step")
    t.add_argument("--test-fraction", type=_fraction, default=0.2,
                   help="share held out to measure accuracy")
    t.add_argument("--workers", type=_positive_int, default=None,
                   help="threads for the word vectors; None: every core")
    t.add_argument("--seed", type=int, default=0, help="random seed (split and training)")
    t.set_defaults(func=_cmd_classify_train)
    t = actions.add_parser("predict", help="print the label of each line of text")
    t.add_argument("model", help="a model written by classify train")
    t.add_argument("input", nargs="?", default="-", help="text file, one text per line; "
                                                        "'-': standard input")
    t.add_argument("--proba", action="store_true",
                   help="also print each label's probability (a header line names them)")
    t.set_defaults(func=_cmd_classify_predict)

    for name, helptext in (("evaluate", "score vectors on analogy and word-similarity sets"),
                           ("neighbors", "print the nearest neighbours of words")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("vectors", help="word2vec text/binary file, GloVe text, or .npz")
        p.add_argument("--binary", action="store_true", help="word2vec's binary format")
        p.add_argument("--no-header", action="store_true", help="GloVe's text format")
        if name == "evaluate":
            p.add_argument("--analogies", help="questions-words.txt style file")
            p.add_argument("--similarity", help="word<TAB>word<TAB>score file, e.g. WordSim-353")
            p.add_argument("--restrict-vocab", type=_positive_int, default=300000,
                           help="only the most frequent words")
            p.set_defaults(func=_cmd_evaluate)
        else:
            p.add_argument("words", nargs="+")
            p.add_argument("--topn", type=_positive_int, default=10, help="neighbours per word")
            p.set_defaults(func=_cmd_neighbors)
    return parser


def main(argv=None):
    """Run one command; any error is one line on stderr and exit code 2 (with
    RNNFAST_TRACEBACK=1 in the environment, the traceback instead)."""
    args = build_parser().parse_args(argv)
    if getattr(args, "threads", None) is not None:
        _set_blas_threads(args.threads)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except Exception as e:
        if os.environ.get("RNNFAST_TRACEBACK"):
            raise
        print(f"rnnfast {args.command}: error: {error_line(e)}", file=sys.stderr)
        return 2


def error_line(e):
    """One line saying what went wrong and, where the error type tells, what to do."""
    text = " ".join(str(e).split()) or type(e).__name__
    if isinstance(e, KeyError):  # str() of a KeyError is the repr of its key
        text = f"{e.args[0]}" if e.args else "a key is missing"
    if isinstance(e, MemoryError):
        return (f"out of memory{': ' + text if text != 'MemoryError' else ''}; try a smaller "
                f"--max-vocab-size, --dim or --memory-limit, or fewer --workers")
    if isinstance(e, OSError) and e.filename and str(e.filename) not in text:
        text = f"{e.filename}: {e.strerror or text}"
    if isinstance(e, OverflowError):
        return f"a number is too large for the computation ({text}); use smaller settings"
    if isinstance(e, (ValueError, TypeError, OSError, KeyError, FloatingPointError,
                      RuntimeError)):
        return text
    return (f"{type(e).__name__}: {text} (an rnnfast bug? RNNFAST_TRACEBACK=1 shows where; "
            f"please report it)")


if __name__ == "__main__":
    sys.exit(main())
