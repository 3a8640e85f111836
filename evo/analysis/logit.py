"""The choice model of the probe: a conditional logit (with two alternatives, Bradley–Terry) fitted with a
ridge penalty, its model-based and cluster-robust covariances, and exact detection of separation
(docs/concepts.md, "Probe"; docs/architecture.md, "The probe's choice model"). Pure numpy."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import cast

import numpy as np
from numpy.typing import NDArray

from evo.analysis import stats
from evo.errors import EvoError

#: Default ridge penalty λ: a N(0, 1) prior on each weight, weak against hundreds of choices.
RIDGE = 1.0


@dataclass(frozen=True, eq=False)
class ChoiceFit:
    """A fitted conditional logit: weights ``beta`` (F,), their covariance ``cov`` (F, F), the penalised
    log-likelihood, the number of choices, Newton iterations, convergence.

    ``cov`` is the inverse penalised negative Hessian (``covariance = "model"``: the choices taken as
    independent), or the cluster-robust sandwich (``"cluster-robust"``, :func:`cluster_robust`: the choices
    of one agent may depend on each other), whose intervals use ``crit`` (t on G − 1 degrees of freedom)
    instead of z. ``unbounded`` (F,) marks weights the data cannot bound (:func:`separation`; None: not
    checked): their estimate and interval are set by the ridge penalty, so :meth:`interval` gives NaN."""

    beta: NDArray[np.float64]
    cov: NDArray[np.float64]
    loglik: float
    n: int
    iterations: int
    converged: bool
    covariance: str = "model"
    crit: float = stats.Z95
    clusters: int = 0
    unbounded: NDArray[np.bool_] | None = None

    @property
    def se(self) -> NDArray[np.float64]:
        return np.sqrt(np.clip(np.diag(self.cov), 0.0, None))

    @property
    def separated(self) -> bool:
        """Whether the choices are (quasi-)separated: some weight is bounded by the ridge only."""
        return self.unbounded is not None and bool(self.unbounded.any())

    def interval(self, z: float | None = None) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Wald 95 % interval of each weight (NaN for the weights the data cannot bound)."""
        half = (self.crit if z is None else z) * self.se
        lo, hi = self.beta - half, self.beta + half
        if self.unbounded is not None:
            lo, hi = np.where(self.unbounded, np.nan, lo), np.where(self.unbounded, np.nan, hi)
        return lo, hi


def _penalised_loglik(u: NDArray[np.float64], y: NDArray[np.int64], beta: NDArray[np.float64],
                      ridge: float) -> float:
    m = u.max(axis=1, keepdims=True)
    lse = (m[:, 0] + np.log(np.exp(u - m).sum(axis=1)))
    return float((u[np.arange(len(y)), y] - lse).sum() - 0.5 * ridge * beta @ beta)


@dataclass(frozen=True, eq=False)
class _Data:
    """Choices prepared for the likelihood: alternatives (N, K', F) with the outside option appended."""

    x: NDArray[np.float64]
    available: NDArray[np.bool_]
    choice: NDArray[np.int64]
    keep: NDArray[np.bool_]  # which of the caller's choices are used (all, with the outside option)

    def utilities(self, b: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.where(self.available, self.x @ b, -np.inf)

    def probabilities(self, b: NDArray[np.float64]) -> NDArray[np.float64]:
        u = self.utilities(b)
        p = np.exp(u - u.max(axis=1, keepdims=True))
        return np.asarray(p / p.sum(axis=1, keepdims=True), dtype=np.float64)

    def scores(self, b: NDArray[np.float64]) -> NDArray[np.float64]:
        """(N, F) each choice's score: the gradient of its log-likelihood term (no penalty)."""
        p = self.probabilities(b)
        n = self.x.shape[0]
        return np.asarray(self.x[np.arange(n), self.choice] - np.einsum("nk,nkf->nf", p, self.x),
                          dtype=np.float64)

    def information(self, b: NDArray[np.float64]) -> NDArray[np.float64]:
        """(F, F) the negative Hessian of the log-likelihood (no penalty)."""
        p = self.probabilities(b)
        mean_x = np.einsum("nk,nkf->nf", p, self.x)
        dev = self.x - mean_x[:, None, :]
        return np.asarray(np.einsum("nk,nkf,nkg->fg", p, dev, dev), dtype=np.float64)


def _prepare(x: NDArray[np.float64], available: NDArray[np.bool_], choice: NDArray[np.int64], outside: bool
             ) -> _Data:
    x = np.asarray(x, dtype=np.float64)
    n, k, f = x.shape
    choice = np.asarray(choice, dtype=np.int64)
    available = np.asarray(available, dtype=bool)
    keep = np.ones(n, dtype=bool)
    if outside:
        x = np.concatenate([x, np.zeros((n, 1, f))], axis=1)
        available = np.concatenate([available, np.ones((n, 1), dtype=bool)], axis=1)
    else:
        keep = choice < k
        x, available, choice = x[keep], available[keep], choice[keep]
        n = x.shape[0]
    if n and not available[np.arange(n), choice].all():
        raise EvoError("probe: a choice is not among the available alternatives")
    return _Data(x, available, choice, keep)


def fit_choice_model(x: NDArray[np.float64], available: NDArray[np.bool_], choice: NDArray[np.int64],
                     ridge: float = RIDGE, outside: bool = True, max_iter: int = 200, tol: float = 1e-9,
                     start: NDArray[np.float64] | None = None) -> ChoiceFit:
    """Conditional-logit weights ``β`` maximising ``Σ_i log P(choice_i) − ridge/2·|β|²`` (Newton's method
    with step halving, from ``start`` or 0; the objective is strictly concave for ``ridge > 0``).

    ``x`` (N, K, F) alternatives, ``available`` (N, K) which are offered, ``choice`` (N,) the index chosen;
    with ``outside`` an extra alternative of utility 0 ("none") has index K. Without it, choices of K are
    dropped (Bradley–Terry on the objects only). The covariance is the inverse penalised negative Hessian;
    see :func:`separation` and :func:`cluster_robust` for when that is not the right one."""
    if ridge <= 0:
        raise EvoError("probe: the ridge penalty must be positive")
    data = _prepare(x, available, choice, outside)
    n, _, f = data.x.shape
    beta = np.zeros(f) if start is None else np.asarray(start, dtype=np.float64).copy()
    chosen = data.x[np.arange(n), data.choice]  # (N, F)

    def gradient_and_hessian(b: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Gradient of the penalised log-likelihood and its negative Hessian (positive definite)."""
        p = data.probabilities(b)
        mean_x = np.einsum("nk,nkf->nf", p, data.x)
        dev = data.x - mean_x[:, None, :]
        hess = np.einsum("nk,nkf,nkg->fg", p, dev, dev) + ridge * np.eye(f)
        return (chosen - mean_x).sum(axis=0) - ridge * b, hess

    ll = _penalised_loglik(data.utilities(beta), data.choice, beta, ridge)
    converged, iterations = False, 0
    while iterations < max_iter and not converged:
        iterations += 1
        grad, hess = gradient_and_hessian(beta)
        step = np.linalg.solve(hess, grad)
        t = 1.0  # halve the step until the penalised log-likelihood does not decrease
        while True:
            trial = beta + t * step
            ll_trial = _penalised_loglik(data.utilities(trial), data.choice, trial, ridge)
            if ll_trial >= ll - 1e-12 or t < 1e-10:
                break
            t /= 2
        converged = np.abs(t * step).max() < tol or abs(ll_trial - ll) < tol * max(1.0, abs(ll))
        beta, ll = trial, ll_trial
    _, hess = gradient_and_hessian(beta)
    # inv of a float64 matrix is float64; numpy's stub only promises some floating type
    return ChoiceFit(beta, cast(NDArray[np.float64], np.linalg.inv(hess)), ll, n, iterations, converged)


def _nnls(a: NDArray[np.float64], b: NDArray[np.float64], tol: float = 1e-10) -> NDArray[np.float64]:
    """Non-negative least squares, ``argmin_{y ≥ 0} |a y − b|`` (Lawson & Hanson 1974, the active-set
    method; ``a`` (F, M) with few rows F)."""
    m = a.shape[1]
    passive = np.zeros(m, dtype=bool)
    y = np.zeros(m)
    w = a.T @ (b - a @ y)
    for _ in range(3 * m + 10):
        if passive.all() or w[~passive].max(initial=-np.inf) <= tol:
            break
        passive[np.flatnonzero(~passive)[np.argmax(w[~passive])]] = True
        while True:
            z = np.zeros(m)
            z[passive] = np.linalg.lstsq(a[:, passive], b, rcond=None)[0]
            if (z[passive] > tol).all():
                break
            neg = passive & (z <= tol)
            alpha = float(np.min(y[neg] / (y[neg] - z[neg])))
            y = y + alpha * (z - y)
            passive &= y > tol
            if not passive.any():
                z = np.zeros(m)
                break
        y = z
        w = a.T @ (b - a @ y)
    return y


def separation(x: NDArray[np.float64], available: NDArray[np.bool_], choice: NDArray[np.int64],
               outside: bool = True) -> NDArray[np.bool_]:
    """(F,) which weights the choices cannot bound.

    Every choice says ``β·(x_chosen − x_j) ≥`` something for each other offered alternative ``j`` (the
    outside option included): let ``r`` be these differences. The likelihood never decreases along a
    direction ``d`` with ``r·d ≥ 0`` for every ``r`` — the choices are (quasi-)*separated* along it, as a
    deterministic chooser's are — so the maximum-likelihood estimate is infinite (or not unique) there, and
    the fitted weight and any interval are set by the ridge, not by the data. By Farkas' lemma, a direction
    with ``d_f > 0`` exists unless ``−e_f`` is a non-negative combination of the ``r`` (and ``d_f < 0``
    unless ``+e_f`` is): ``β_f`` is bounded by the data exactly when both are, which non-negative least
    squares decides (:func:`_nnls`). A feature that never varies among the offered objects is unbounded
    too (no ``r`` involves it)."""
    data = _prepare(x, available, choice, outside)
    n, _, f = data.x.shape
    if n == 0:
        return np.ones(f, dtype=bool)
    diff = data.x[np.arange(n), data.choice][:, None, :] - data.x  # (N, K', F)
    other = data.available.copy()
    other[np.arange(n), data.choice] = False
    rows = diff[other]
    rows = rows[np.abs(rows).max(axis=1) > 0]
    if not len(rows):
        return np.ones(f, dtype=bool)
    rows = np.unique(np.round(rows, 12), axis=0)
    a = rows.T  # (F, M)
    scale = max(1.0, float(np.abs(rows).max()))
    out = np.zeros(f, dtype=bool)
    for j in range(f):
        for sign in (1.0, -1.0):
            target = np.zeros(f)
            target[j] = sign
            y = _nnls(a, target)
            if np.linalg.norm(a @ y - target) > 1e-7 * scale:
                out[j] = True
                break
    return out


def with_separation(fit: ChoiceFit, x: NDArray[np.float64], available: NDArray[np.bool_],
                    choice: NDArray[np.int64], outside: bool = True) -> ChoiceFit:
    """``fit`` with :attr:`ChoiceFit.unbounded` set by :func:`separation`."""
    return dataclasses.replace(fit, unbounded=separation(x, available, choice, outside))


def cluster_robust(fit: ChoiceFit, x: NDArray[np.float64], available: NDArray[np.bool_],
                   choice: NDArray[np.int64], clusters: NDArray[np.int64], outside: bool = True) -> ChoiceFit:
    """``fit`` with the cluster-robust (sandwich) covariance: choices within a cluster (one agent's) may be
    dependent, clusters are independent (:func:`evo.analysis.stats.cluster_robust_cov`, bread = the fit's
    inverse penalised Hessian); intervals then use t on G − 1 degrees of freedom. Pooling thousands of
    choices of a few hundred agents as if every choice were independent makes intervals far too narrow."""
    data = _prepare(x, available, choice, outside)
    groups = np.asarray(clusters)[data.keep]
    g = len(np.unique(groups))
    cov = stats.cluster_robust_cov(fit.cov, data.scores(fit.beta), groups)
    return dataclasses.replace(fit, cov=cov, covariance="cluster-robust", crit=stats.t975(g - 1), clusters=g)
