"""Exact (Clopper-Pearson) binomial confidence intervals, without scipy."""

from __future__ import annotations

import math


def _log_pmf(k: int, n: int, p: float) -> float:
    if p <= 0.0:
        return 0.0 if k == 0 else -math.inf
    if p >= 1.0:
        return 0.0 if k == n else -math.inf
    log_comb = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
    return log_comb + k * math.log(p) + (n - k) * math.log1p(-p)


def binom_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p)."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    return min(1.0, sum(math.exp(_log_pmf(i, n, p)) for i in range(k + 1)))


def _solve(f: object, target: float, increasing: bool) -> float:
    """p in [0, 1] with f(p) = target, by bisection (f monotone)."""
    assert callable(f)
    lo, hi = 0.0, 1.0
    for _ in range(100):
        mid = (lo + hi) / 2
        value = f(mid)
        if (value < target) == increasing:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def clopper_pearson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact two-sided interval for a proportion: k successes out of n trials."""
    if n <= 0 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n and n > 0, got k={k}, n={n}")
    alpha = 1.0 - confidence
    # lower: P(X >= k | p) = alpha/2, i.e. 1 - cdf(k-1) grows with p
    lower = 0.0 if k == 0 else _solve(lambda p: 1.0 - binom_cdf(k - 1, n, p), alpha / 2, True)
    # upper: P(X <= k | p) = alpha/2, cdf(k) falls as p grows
    upper = 1.0 if k == n else _solve(lambda p: binom_cdf(k, n, p), alpha / 2, False)
    return lower, upper
