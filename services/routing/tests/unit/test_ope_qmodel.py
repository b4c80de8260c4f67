"""The cross-fitted reward model: every context key counts, no row is predicted by a model that saw it, and
the streamed normal equations give the ridge solution an independent least-squares solver gives."""

import numpy as np
import pytest
from scipy import linalg, sparse

from smartpay_routing.domain.ope import ContextHasher, CrossFitRidge, fold_of


def design(hasher, contexts):
    rows = [hasher.encode(c) for c in contexts]
    indptr = np.cumsum([0] + [len(c) for c, _ in rows])
    phi = sparse.csr_matrix((np.concatenate([v for _, v in rows]), np.concatenate([c for c, _ in rows]), indptr),
                            shape=(len(rows), hasher.dim))
    phi.sum_duplicates()
    return phi


def data(n=600, seed=0):
    rng = np.random.default_rng(seed)
    contexts = [{"tier": str(rng.choice(["gold", "silver"])), "score": float(rng.random() * 10),
                 "flags": {"new": bool(rng.random() < 0.5)}} for _ in range(n)]
    actions = rng.integers(0, 2, n)
    rewards = np.array([(c["tier"] == "gold") * (a == 0) + 0.05 * c["score"] for c, a in zip(contexts, actions)])
    return contexts, actions, rewards + rng.normal(0, 0.01, n)


def fit(contexts, actions, rewards, folds=3, bits=6, l2=None):
    hasher = ContextHasher(bits)
    rows = np.arange(1, len(contexts) + 1)
    ridge = CrossFitRidge(hasher.dim, folds=folds, l2=l2, seed=5)
    ridge.admit(rows, actions)
    phi = design(hasher, contexts)
    ridge.add(rows, phi, actions, rewards)
    return ridge.fit(2), rows, phi, hasher


def test_folds_are_seeded_balanced_and_stable():
    rows = np.arange(1, 30_001)
    folds = fold_of(rows, 5, seed=0)
    assert np.array_equal(folds, fold_of(rows, 5, seed=0))
    assert not np.array_equal(folds, fold_of(rows, 5, seed=1))
    assert np.bincount(folds).min() > 5600 and np.bincount(folds).max() < 6400


def test_every_context_key_reaches_the_model():
    contexts, actions, rewards = data()
    model, rows, phi, _ = fit(contexts, actions, rewards)
    q = model.predict(rows, phi)[np.arange(len(rows)), actions]
    # tier (a string key none of the payment fields has) and score explain the reward almost exactly
    assert np.mean((q - rewards) ** 2) < 0.05 * np.var(rewards)


def test_no_row_is_predicted_by_a_model_that_saw_it():
    contexts, actions, rewards = data()
    before, rows, phi, _ = fit(contexts, actions, rewards)
    changed = rewards.copy()
    changed[10] += 1000.0
    after, *_ = fit(contexts, actions, changed)
    q_before, q_after = before.predict(rows, phi), after.predict(rows, phi)
    assert np.array_equal(q_before[10], q_after[10])  # row 10's own prediction ignores its reward
    moved = np.abs(q_after - q_before).max(axis=1) > 1e-6
    own_fold = fold_of(rows, 3, 5) == fold_of(rows[10:11], 3, 5)[0]
    assert moved[~own_fold].all() and not moved[own_fold].any()  # every other fold's model saw it


def test_streamed_normal_equations_match_least_squares_on_the_other_folds():
    contexts, actions, rewards = data(300)
    model, rows, phi, hasher = fit(contexts, actions, rewards, l2=2.0)
    folds = fold_of(rows, 3, 5)
    dense = phi.toarray()
    for k in range(3):
        for a in range(2):
            train = (folds != k)
            base = rewards[train].mean()
            mask = train & (actions == a)
            # ridge as ordinary least squares on [X; sqrt(l2) I] (scipy's lstsq, not the normal equations)
            x = np.vstack([dense[mask], np.sqrt(2.0) * np.eye(hasher.dim)])
            y = np.concatenate([rewards[mask] - base, np.zeros(hasher.dim)])
            coef = linalg.lstsq(x, y)[0]
            assert model.coef[k, a] == pytest.approx(coef, abs=1e-8)
            assert model.base[k] == pytest.approx(base)


def test_an_action_never_logged_outside_a_fold_is_predicted_at_the_base_rate():
    contexts, actions, rewards = data(50)
    model, rows, phi, _ = fit(contexts, np.zeros(50, dtype=np.int64), rewards)  # action 1 never logged
    q = model.predict(rows, phi)
    assert np.allclose(q[:, 1], model.base[fold_of(rows, 3, 5)])


def test_the_memory_budget_is_checked_before_allocating():
    ridge = CrossFitRidge(256, folds=5, max_bytes=3 * (256 * 256 + 256) * 8)
    rows = np.arange(1, 101)
    with pytest.raises(ValueError, match="would exceed") as e:
        ridge.admit(rows, rows % 10)
    assert e.value.position < 100


def test_hasher_reads_nested_lists_and_rejects_what_it_cannot_read():
    hasher = ContextHasher(8)
    columns, values = hasher.encode({"a": "x", "n": -3.0, "tags": ["p", "q"], "m": {"k": True}, "z": None})
    assert columns[0] == 0 and values[0] == 1.0 and len(columns) == 6  # intercept, a, n, p, q, m.k (z skipped)
    assert values[2] == pytest.approx(-np.log1p(3.0))
    assert hasher.encode({"a": "x"}) == ContextHasher(8).encode({"a": "x"})  # same columns in any process
    with pytest.raises(ValueError, match="not a finite number"):
        hasher.encode({"n": float("nan")})
    with pytest.raises(ValueError, match="deeper"):
        hasher.encode({"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}})


def test_on_pure_noise_the_chosen_penalty_falls_back_to_the_mean():
    rng = np.random.default_rng(4)
    contexts = [{"user": str(rng.integers(0, 500)), "slot": str(rng.integers(0, 3))} for _ in range(3000)]
    actions = rng.integers(0, 2, 3000)
    rewards = (rng.random(3000) < 0.05).astype(float)  # clicks that depend on nothing
    model, rows, phi, _ = fit(contexts, actions, rewards, folds=5, bits=8, l2=None)
    assert min(feature for _, feature in model.penalties) >= 100  # strong shrinkage (the grid starts at 0.1)
    q = model.predict(rows, phi)[np.arange(3000), actions]
    base = model.base[fold_of(rows, 5, 5)]
    # out of fold, the model is no worse than each fold's mean reward by more than a hair
    assert np.mean((rewards - q) ** 2) <= np.mean((rewards - base) ** 2) * 1.002
    fixed, *_ = fit(contexts, actions, rewards, folds=5, bits=8, l2=0.1)
    q_fixed = fixed.predict(rows, phi)[np.arange(3000), actions]
    assert np.mean((rewards - q_fixed) ** 2) > np.mean((rewards - q) ** 2)  # a weak penalty overfits the noise


def test_one_eigendecomposition_gives_every_penalty_pair_a_direct_solve_gives():
    contexts, actions, rewards = data(400)
    hasher = ContextHasher(6)
    rows = np.arange(1, 401)
    ridge = CrossFitRidge(hasher.dim, folds=3, seed=5)
    ridge.admit(rows, actions)
    ridge.add(rows, design(hasher, contexts), actions, rewards)
    grid = np.array([(0.1, 1.0), (1e3, 1.0), (10.0, 1e4), (1e5, 0.1)])
    base, many = ridge._solve([0, 1], 0, grid)
    for pair, coef in zip(grid, many):
        _, one = ridge._solve([0, 1], 0, pair[None, :])  # a direct solve of (X'X + diag(penalties)) b = X'y
        assert coef == pytest.approx(one[0], rel=1e-7, abs=1e-10)
