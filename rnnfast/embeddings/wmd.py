"""Word Mover's Distance (Kusner et al., 2015) between two bags of word vectors: the
least total distance that moves one document's word mass onto the other's, solved
exactly as a transportation problem (scipy's HiGHS), with no extra dependency."""

import numpy as np


def word_movers_distance(vectors1, weights1, vectors2, weights2):
    """Exact EMD between (n, d) vectors1 with weights1 (n,) and (m, d) vectors2 with
    weights2 (m,), each set of weights summing to 1, under Euclidean distances.
    Returns a float >= 0."""
    from scipy.optimize import linprog
    from scipy.spatial.distance import cdist

    n, m = len(vectors1), len(vectors2)
    cost = cdist(np.asarray(vectors1, np.float64), np.asarray(vectors2, np.float64))
    if n == 1 or m == 1:   # all the mass moves one way: no choice to make
        return float((cost * np.outer(weights1, weights2)).sum())
    # flow[i, j] >= 0, row sums weights1, column sums weights2 (one of the n + m
    # equalities is implied by the others; HiGHS copes with that)
    rows = np.kron(np.eye(n), np.ones((1, m)))
    cols = np.kron(np.ones((1, n)), np.eye(m))
    done = linprog(cost.ravel(), A_eq=np.vstack([rows, cols]),
                   b_eq=np.concatenate([weights1, weights2]), bounds=(0, None),
                   method="highs")
    if not done.success:   # cannot happen for a feasible transportation problem
        raise RuntimeError(f"word_movers_distance: the solver failed: {done.message}")
    return max(float(done.fun), 0.0)
