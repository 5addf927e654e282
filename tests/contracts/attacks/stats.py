"""Exact binomial statistics for the attack tests (no scipy needed).

The attack tests run a fixed, deterministic sequence of draws (block hashes come
from a fixed salt), so a figure either holds or not on every run; the intervals
say how far the observed rate could sit from the fair one by chance.
"""

from __future__ import annotations

from math import comb


def binom_pmf(k: int, n: int, p: float) -> float:
    return comb(n, k) * p**k * (1 - p) ** (n - k)


def binom_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p)."""
    return sum(binom_pmf(i, n, p) for i in range(k + 1))


def tail_at_least(k: int, n: int, p: float) -> float:
    """P(X >= k)."""
    return 1.0 - binom_cdf(k - 1, n, p) if k > 0 else 1.0


def capture_probability(seats: int, quorum: int, share: float) -> float:
    """Chance that a stake share `share` holds at least `quorum` of `seats` seats
    drawn with replacement in proportion to stake."""
    return tail_at_least(quorum, seats, share)


def _bisect(f: object, lo: float, hi: float) -> float:
    for _ in range(100):
        mid = (lo + hi) / 2
        if f(mid):  # type: ignore[operator]
            hi = mid
        else:
            lo = mid
    return (lo + hi) / 2


def clopper_pearson(k: int, n: int, confidence: float = 0.999) -> tuple[float, float]:
    """Exact (Clopper-Pearson) two-sided interval for a binomial rate."""
    alpha = 1 - confidence
    low = 0.0 if k == 0 else _bisect(lambda p: tail_at_least(k, n, p) >= alpha / 2, 0.0, 1.0)
    high = 1.0 if k == n else _bisect(lambda p: binom_cdf(k, n, p) <= alpha / 2, 0.0, 1.0)
    return low, high


def binom_test(k: int, n: int, p: float) -> float:
    """Exact two-sided binomial test: the probability, under rate `p`, of an
    outcome at most as likely as `k`."""
    observed = binom_pmf(k, n, p)
    return min(
        1.0,
        sum(
            binom_pmf(i, n, p) for i in range(n + 1) if binom_pmf(i, n, p) <= observed * (1 + 1e-9)
        ),
    )


def chi2_sf(x: float, df: int) -> float:
    """P(X >= x) for X ~ chi-square(df): the regularized upper incomplete gamma
    Q(df/2, x/2), from the series of the lower one."""
    from math import exp, lgamma, log

    if x <= 0:
        return 1.0
    a, z = df / 2, x / 2
    term = 1.0 / a
    total = term
    n = 0
    while term > total * 1e-15 and n < 10_000:
        n += 1
        term *= z / (a + n)
        total += term
    lower = exp(a * log(z) - z - lgamma(a)) * total
    return max(0.0, 1.0 - lower)
