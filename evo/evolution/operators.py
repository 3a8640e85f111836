"""Selection, mutation and crossover schemes: registries over DEAP's operators.

Adding a scheme is one function plus one ``@register`` line. Every selection scheme has the signature
``(fitness, k, rng, **params) -> list[int]``: indices into the population, so parents are recorded
trivially. A scheme that needs more than one number per individual declares it as a keyword the loop fills
in: ``cases`` (individuals × train worlds: each episode's payoff minus the agent's costs; lexicase) or
``sizes`` (the L1 norm of each mesa-objective; double tournament). Mutation schemes change one genome (a
Python list) in place: ``(genome, rng, **params)``;
crossover schemes two: ``(a, b, rng, **params)``. Each registry entry declares its parameters with defaults
and ranges, checked when a scenario is loaded.

DEAP's operators draw from the module-level ``random``. :func:`private_random` points them at the run's own
``random.Random`` for the duration of one call (under a lock), so results never depend on anything else in
the process drawing from ``random`` (DEAP_NOTES: Dask does).
"""

from __future__ import annotations

import inspect
import math
import random
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from operator import attrgetter
from typing import Any

import deap.tools.crossover as _dcx
import deap.tools.mutation as _dmut
import deap.tools.selection as _dsel
import numpy as np
from deap import base, tools
from numpy.typing import ArrayLike, NDArray

from evo.config.schema import LIMITS, OperatorConfig
from evo.errors import ScenarioError

_LOCK = threading.RLock()


@contextmanager
def private_random(rng: random.Random) -> Iterator[None]:
    """Make DEAP's selection, crossover and mutation modules draw from ``rng`` inside the block."""
    with _LOCK:
        saved = (_dsel.random, _dcx.random, _dmut.random)
        _dsel.random = _dcx.random = _dmut.random = rng
        try:
            yield
        finally:
            _dsel.random, _dcx.random, _dmut.random = saved


class PyRandomStream:
    """Exact bulk draws from a ``random.Random`` (CPython's Mersenne Twister): ``getrandbits(32·n)`` is n
    consecutive 32-bit outputs (the first in the lowest bits), so a batch of draws is one call and array
    operations. Outputs are read ahead (:meth:`outputs`); the caller says how many it used
    (:meth:`take`), and :meth:`close` leaves the Random where the same draws one at a time would have
    (rewound to the start and those outputs drawn again, when more were read), its cached Gaussian
    included. Draws as CPython makes them (Modules/_randommodule.c, Lib/random.py): ``random()`` is
    ``(a >> 5, b >> 6)`` of two outputs as ``(a·2²⁶ + b)·2⁻⁵³``; ``_randbelow(n)`` takes
    ``getrandbits(n.bit_length())`` (an output's top bits) until one is below n; ``gauss`` is Box-Muller
    on two ``random()``, every other value cached (``gauss_next``). Only for ``random.Random`` itself
    (:meth:`usable`)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.gauss_next: float | None = rng.gauss_next  # type: ignore[attr-defined]
        self._start: Any = None  # the Random's state, once outputs are read ahead of their use
        self.drawn = self.used = 0

    @staticmethod
    def usable(rng: object) -> bool:
        return type(rng) is random.Random

    def outputs(self, n: int) -> NDArray[np.uint64]:
        """The next ``n`` 32-bit outputs after those read so far."""
        if n <= 0:
            return np.zeros(0, dtype=np.uint64)
        if self._start is None and self.drawn == self.used:
            self._start = (self.rng.getstate(), self.used)
        self.drawn += n
        raw = self.rng.getrandbits(32 * n).to_bytes(4 * n, "little")
        return np.frombuffer(raw, dtype="<u4").astype(np.uint64)

    def take(self, n: int) -> None:
        """``n`` more of the outputs read are used."""
        self.used += n

    def doubles(self, n: int) -> NDArray[np.float64]:
        """The next ``n`` values of ``random()`` after the outputs read so far (2 outputs each)."""
        out = self.outputs(2 * n).reshape(n, 2)
        return ((out[:, 0] >> np.uint64(5)).astype(np.float64) * 67108864.0
                + (out[:, 1] >> np.uint64(6)).astype(np.float64)) * (1.0 / 9007199254740992.0)

    def below(self, n: int, count: int) -> NDArray[np.int64]:
        """``count`` draws of ``_randbelow(n)`` (``random.choice`` of n items), used. Each draw uses at
        least one output, so reading as many outputs as draws remain never reads ahead."""
        shift = np.uint64(32 - n.bit_length())
        got: list[NDArray[np.uint64]] = []
        need = count
        while need > 0:
            r = self.outputs(need) >> shift
            self.take(need)
            ok = r[r < np.uint64(n)]
            got.append(ok)
            need -= ok.size
        return np.concatenate(got).astype(np.int64) if got else np.zeros(0, dtype=np.int64)

    def close(self) -> None:
        if self.drawn != self.used:
            assert self._start is not None and self.used <= self.drawn
            state, before = self._start
            self.rng.setstate(state)
            if self.used > before:
                self.rng.getrandbits(32 * (self.used - before))
        self.rng.gauss_next = self.gauss_next  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Param:
    """A scheme parameter: its type, default and allowed range (inclusive unless stated)."""

    kind: type
    default: float | int
    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    max_population: bool = False  # must not exceed the population (tournament size)

    def describe(self) -> str:
        lo = "(" if self.low_open else "["
        what = "an integer" if self.kind is int else "a number"
        hi = "population" if self.max_population else self.high
        return f"{what} in {lo}{self.low}, {hi}]"


#: Extra inputs a scheme may declare that it needs (``register(..., needs=...)``): the loop passes
#: ``cases`` (per-world payoffs, P × B) and ``sizes`` (the L1 size of each mesa-objective) only to them.
NEEDS = ("cases", "sizes")


@dataclass(frozen=True)
class Scheme:
    name: str
    function: Callable[..., Any]
    params: dict[str, Param]
    doc: str
    needs: tuple[str, ...] = ()
    #: the same scheme on every row of a genome matrix at once (see :meth:`Registry.rows`), or None
    rows: Callable[..., Any] | None = None

    def accepts(self, keyword: str) -> bool:
        """Whether the scheme declared that it needs ``keyword`` (one of :data:`NEEDS`)."""
        return keyword in self.needs


class Registry:
    """Named schemes of one kind. A duplicate name is an error; an unknown name lists the known ones."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._schemes: dict[str, Scheme] = {}

    def register(self, name: str, *, needs: tuple[str, ...] = (), **params: Param
                 ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register a scheme under ``name`` with its parameters (:class:`Param`) and the extra inputs it
        ``needs`` (:data:`NEEDS`), which its function must take as keywords."""
        def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
            if name in self._schemes:
                raise ValueError(f"{self.kind} scheme {name!r} is already registered")
            accepted = inspect.signature(fn).parameters
            for need in needs:
                if need not in NEEDS or need not in accepted:
                    raise ValueError(f"{self.kind} scheme {name!r}: needs {need!r}, expected one of "
                                     f"{', '.join(NEEDS)} that the function takes as a keyword")
            summary = next(iter((fn.__doc__ or "").strip().splitlines()), "")  # no docstring: ""
            self._schemes[name] = Scheme(name, fn, params, summary, tuple(needs))
            return fn

        return decorate

    def rows(self, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Attach to the registered scheme ``name`` a version that works on a genome matrix (rows in
        order) and makes exactly the draws, and the changes, of calling the scheme row after row:
        a mutation ``(genomes, rng, **params) -> None`` mutating every row in place; a crossover
        ``(genomes, rng, **params) -> crossed`` crossing rows (0, 1), (2, 3), … in place, ``crossed`` the
        pairs that crossed (bool, one per pair). The loop uses it when both variation schemes have one."""
        def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
            self._schemes[name] = replace(self[name], rows=fn)
            return fn

        return decorate

    def __getitem__(self, name: str) -> Scheme:
        if name not in self._schemes:
            raise KeyError(f"unknown {self.kind} scheme {name!r}; known: {', '.join(self.names())}")
        return self._schemes[name]

    def __contains__(self, name: object) -> bool:
        return name in self._schemes

    def names(self) -> list[str]:
        return sorted(self._schemes)


SELECTION = Registry("selection")
MUTATION = Registry("mutation")
CROSSOVER = Registry("crossover")
REGISTRIES = {"selection": SELECTION, "mutation": MUTATION, "crossover": CROSSOVER}


def check(cfg: OperatorConfig, kind: str, file: str, key: str, population: int) -> None:
    """Raise :class:`ScenarioError` unless ``cfg`` names a known scheme with valid parameters."""
    registry = REGISTRIES[kind]
    if cfg.scheme not in registry:
        raise ScenarioError(file, f"{key}.scheme", f"one of {', '.join(registry.names())}", cfg.scheme)
    scheme = registry[cfg.scheme]
    for name, value in cfg.params:
        if name not in scheme.params:
            known = ", ".join(sorted(scheme.params)) or "none"
            raise ScenarioError(file, f"{key}.{name}", f"a parameter of {kind} '{cfg.scheme}' ({known})",
                                name)
        p = scheme.params[name]
        high = population if p.max_population else p.high
        bad_type = p.kind is int and not isinstance(value, int)
        below = value <= p.low if p.low_open else value < p.low
        if bad_type or below or value > high:
            got = value
            expected = (p.describe() if not p.max_population
                        else f"{p.describe()} (population is {population})")
            raise ScenarioError(file, f"{key}.{name}", expected, got)
        # an integer parameter is a count drawn per individual (a tournament size): a huge one would hang
        cap = LIMITS["operator_count"]
        if p.kind is int and value > cap:
            raise ScenarioError(file, f"{key}.{name}", f"{p.describe()}, at most {cap} (the bound "
                                "LIMITS['operator_count'] in evo.config.schema)", value)


def resolve(cfg: OperatorConfig, kind: str) -> tuple[Callable[..., Any], dict[str, Any]]:
    """The scheme's function and its full keyword arguments (defaults filled in)."""
    scheme = REGISTRIES[kind][cfg.scheme]
    kwargs = {name: p.default for name, p in scheme.params.items()}
    kwargs.update(cfg.kwargs())
    return scheme.function, kwargs


# --------------------------------------------------------------------------------------------------------
# DEAP individuals without `creator`: a plain fitness class and an index-carrying individual


class FitnessMax(base.Fitness):
    weights = (1.0,)


class _Indexed:
    """What DEAP's selection operators need of an individual: a ``fitness``. Carries its population index."""

    __slots__ = ("fitness", "index")

    def __init__(self, index: int, value: float) -> None:
        self.index = index
        self.fitness = FitnessMax((value,))


def _individuals(fitness: Sequence[float]) -> list[_Indexed]:
    return [_Indexed(i, float(v)) for i, v in enumerate(fitness)]


def _indices(chosen: Sequence[_Indexed]) -> list[int]:
    return [ind.index for ind in chosen]


# --------------------------------------------------------------------------------------------------------
# selection: (fitness, k, rng, **params) -> indices


@SELECTION.register("tournament", size=Param(int, 3, low=1, max_population=True))
def tournament_select(fitness: Sequence[float], k: int, rng: random.Random, size: int = 3) -> list[int]:
    """Tournament selection (DEAP ``selTournament``): best of ``size`` drawn with replacement, k times.

    On arrays when that is exact (a ``random.Random``, no NaN fitness): the same k·size draws of
    ``random.choice`` and, in each tournament, the first aspirant of the highest fitness, as DEAP's
    ``max`` keeps (tested against DEAP)."""
    values = np.asarray(fitness, dtype=np.float64)
    if not PyRandomStream.usable(rng) or np.isnan(values).any() or len(values) == 0:
        with private_random(rng):
            return _indices(tools.selTournament(_individuals(fitness), k, tournsize=size))
    stream = PyRandomStream(rng)
    aspirants = stream.below(len(values), k * size).reshape(k, size)
    stream.close()
    return aspirants[np.arange(k), np.argmax(values[aspirants], axis=1)].tolist()


@SELECTION.register("roulette")
def roulette_select(fitness: Sequence[float], k: int, rng: random.Random) -> list[int]:
    """Fitness-proportionate selection (DEAP ``selRoulette``) on fitness shifted so the worst is 1e-9.

    ``selRoulette`` needs positive fitness; shifting by the minimum keeps the order and makes the worst
    individual (almost) never chosen."""
    lowest = min(fitness)
    shifted = [v - lowest + 1e-9 for v in fitness]
    with private_random(rng):
        return _indices(tools.selRoulette(_individuals(shifted), k))


@SELECTION.register("truncation", fraction=Param(float, 0.2, low=0.0, high=1.0, low_open=True))
def truncation_select(fitness: Sequence[float], k: int, rng: random.Random,
                      fraction: float = 0.2) -> list[int]:
    """Truncation selection: parents uniformly from the best ``fraction`` (DEAP ``selBest`` + ``selRandom``);
    keeping 1 of n is best-of-n."""
    n_best = max(1, math.ceil(fraction * len(fitness)))
    with private_random(rng):
        best = tools.selBest(_individuals(fitness), n_best)
        return _indices(tools.selRandom(best, k))


@SELECTION.register("best")
def best_select(fitness: Sequence[float], k: int, rng: random.Random) -> list[int]:
    """The k best (DEAP ``selBest``); deterministic, ties by index."""
    ranked = sorted(_individuals(fitness), key=attrgetter("fitness"), reverse=True)
    return _indices(ranked[:k]) if k <= len(ranked) else _indices((ranked * (k // len(ranked) + 1))[:k])


@SELECTION.register("random")
def random_select(fitness: Sequence[float], k: int, rng: random.Random) -> list[int]:
    """Uniform selection (DEAP ``selRandom``): no selection pressure, a drift baseline. On arrays for a
    ``random.Random`` (the same draws of ``random.choice``)."""
    if not PyRandomStream.usable(rng) or len(fitness) == 0:
        with private_random(rng):
            return _indices(tools.selRandom(_individuals(fitness), k))
    stream = PyRandomStream(rng)
    picks = stream.below(len(fitness), k)
    stream.close()
    return picks.tolist()


@SELECTION.register("rank", pressure=Param(float, 2.0, low=1.0, high=2.0))
def rank_select(fitness: Sequence[float], k: int, rng: random.Random, pressure: float = 2.0) -> list[int]:
    """Linear ranking selection (Baker 1985; Goldberg & Deb 1991): DEAP ``selRoulette`` on rank weights.

    The best is expected to have ``pressure`` offspring per generation, the median one, the worst
    ``2 − pressure``; 1 is no selection pressure. The default 2 has the expected selection probabilities of a
    binary tournament (Goldberg & Deb 1991). Tied fitness share their average rank, so only the order of
    fitness values matters, never their scale."""
    n = len(fitness)
    ranks = _average_ranks(fitness)  # 0 = worst
    weights = (2.0 - pressure) / n + 2.0 * ranks * (pressure - 1.0) / (n * max(n - 1, 1))
    with private_random(rng):
        return _indices(tools.selRoulette(_individuals(weights.tolist()), k))


def _average_ranks(values: ArrayLike) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    ranks = np.empty(len(v))
    ranks[np.argsort(v, kind="stable")] = np.arange(len(v), dtype=np.float64)
    _, tie = np.unique(v, return_inverse=True)
    return (np.bincount(tie, weights=ranks) / np.bincount(tie))[tie]


def _lexicase(fitness: Sequence[float], k: int, rng: random.Random, cases: ArrayLike | None,
              epsilon: float | None) -> list[int]:
    """Lexicase selection on the columns of ``cases`` (individuals × cases), DEAP's algorithm on numpy
    arrays: for each pick, shuffle the cases; keep the candidates within ``epsilon`` of the best on each case
    in turn until one is left or the cases run out; pick one of them at random. ``epsilon=None`` is the
    automatic ε of ``selAutomaticEpsilonLexicase`` (the median absolute deviation of the remaining candidates
    on that case). It makes the same draws from ``rng`` as DEAP's operators and so picks the same
    individuals (tested); numpy because DEAP's pure-Python loop costs ~2 s per generation at N = 1000.
    Without ``cases`` the fitness is the one case."""
    table = np.asarray(fitness if cases is None else cases, dtype=np.float64)
    if table.ndim == 1:
        table = table[:, None]
    if table.shape[0] != len(fitness):
        raise ValueError(f"cases has {table.shape[0]} rows for {len(fitness)} individuals")
    everyone = np.arange(table.shape[0])
    chosen = []
    for _ in range(k):
        order = list(range(table.shape[1]))
        rng.shuffle(order)
        candidates = everyone
        for case in order:
            if len(candidates) <= 1:
                break
            values = table[candidates, case]
            if epsilon is None:
                median = np.median(values)
                eps = np.median(np.abs(values - median))
                candidates = candidates[values >= values.max() - eps]
            elif epsilon == 0.0:
                candidates = candidates[values == values.max()]
            else:
                candidates = candidates[values >= values.max() - epsilon]
        chosen.append(int(rng.choice(candidates)))
    return chosen


@SELECTION.register("lexicase", needs=("cases",))
def lexicase_select(fitness: Sequence[float], k: int, rng: random.Random, cases: ArrayLike | None = None
                    ) -> list[int]:
    """Lexicase selection over episodes (Spector 2012; Helmuth, Spector & Matheson 2015; DEAP
    ``selLexicase``): each train world of the generation is one case, its episode payoff minus the agent's
    costs the score. Rewards agents that are best on some worlds, not on average."""
    return _lexicase(fitness, k, rng, cases, 0.0)


@SELECTION.register("epsilon_lexicase", needs=("cases",), epsilon=Param(float, 0.05, low=0.0))
def epsilon_lexicase_select(fitness: Sequence[float], k: int, rng: random.Random, epsilon: float = 0.05,
                            cases: ArrayLike | None = None) -> list[int]:
    """ε-lexicase selection over episodes with a fixed ε (La Cava, Spector & Danai 2016; DEAP
    ``selEpsilonLexicase``): on each case, candidates within ``epsilon`` of the best survive (payoff units;
    red_door's step cost is 0.01, so 0.05 forgives five steps)."""
    return _lexicase(fitness, k, rng, cases, float(epsilon))


@SELECTION.register("auto_epsilon_lexicase", needs=("cases",))
def auto_epsilon_lexicase_select(fitness: Sequence[float], k: int, rng: random.Random,
                                 cases: ArrayLike | None = None) -> list[int]:
    """ε-lexicase with ε set per case from the candidates' median absolute deviation (La Cava et al. 2016,
    "semi-dynamic" λ-ε; DEAP ``selAutomaticEpsilonLexicase``)."""
    return _lexicase(fitness, k, rng, cases, None)


class _Sized(_Indexed):
    """An individual whose ``len()`` is the rank of its size, for DEAP's size tournament, which compares
    ``len(ind)`` (a genome length, meaningless for fixed-length genomes: DEAP_NOTES). Ranks keep the order
    and the ties of the real-valued sizes exactly."""

    __slots__ = ("size_rank",)

    def __init__(self, index: int, value: float, size_rank: int) -> None:
        super().__init__(index, value)
        self.size_rank = size_rank

    def __len__(self) -> int:
        return self.size_rank


@SELECTION.register("double_tournament", needs=("sizes",), size=Param(int, 3, low=1, max_population=True),
                    parsimony=Param(float, 1.4, low=1.0, high=2.0),
                    fitness_first=Param(int, 1, low=0, high=1))
def double_tournament_select(fitness: Sequence[float], k: int, rng: random.Random, size: int = 3,
                             parsimony: float = 1.4, fitness_first: int = 1,
                             sizes: ArrayLike | None = None) -> list[int]:
    """Double tournament (Luke & Panait 2002; DEAP ``selDoubleTournament``): fitness tournaments of
    ``size``, then of two winners the one with the smaller mesa-objective (L1 norm of ``w``; of the whole
    genome for agents without one) wins with probability ``parsimony / 2``. ``fitness_first = 0`` runs the
    size tournaments first. Parsimony pressure on the objective: a simpler inner goal, not a shorter
    genome."""
    if sizes is None:
        size_rank = np.zeros(len(fitness), dtype=np.int64)
    else:
        _, size_rank = np.unique(np.asarray(sizes, dtype=np.float64), return_inverse=True)
    individuals = [_Sized(i, float(v), int(r))
                   for i, (v, r) in enumerate(zip(fitness, size_rank, strict=False))]
    with private_random(rng):
        return _indices(tools.selDoubleTournament(individuals, k, fitness_size=size, parsimony_size=parsimony,
                                                  fitness_first=bool(fitness_first)))


# --------------------------------------------------------------------------------------------------------
# mutation: (genome, rng, **params), in place


@MUTATION.register("gaussian", sigma=Param(float, 0.2, low=0.0), rate=Param(float, 0.2, low=0.0, high=1.0))
def gaussian_mutation(genome: list[float], rng: random.Random, sigma: float = 0.2, rate: float = 0.2) -> None:
    """Each gene gets N(0, sigma²) noise with probability ``rate`` (DEAP ``mutGaussian``)."""
    with private_random(rng):
        tools.mutGaussian(genome, 0.0, sigma, rate)


@MUTATION.rows("gaussian")
def gaussian_mutation_rows(genomes: NDArray[np.float64], rng: random.Random, sigma: float = 0.2,
                           rate: float = 0.2) -> None:
    """:func:`gaussian_mutation` on every row in order: per gene one ``random() < rate``, then
    ``gauss(0, sigma)`` (two ``random()`` every other call), added to the gene. The scan of the draws is
    a loop over genes; the genes change in one array operation."""
    if not PyRandomStream.usable(rng):
        for row in genomes:
            genome = row.tolist()
            gaussian_mutation(genome, rng, sigma, rate)
            row[:] = genome
        return
    stream = PyRandomStream(rng)
    n = genomes.size
    draws = stream.doubles(3 * n)  # enough for every gene mutated with a fresh Gaussian
    # the scan jumps from one gene that mutates to the next: nxt[p], the first draw at or after p below
    # rate (genes before it take one draw each and keep their value)
    at_or_after = np.where(draws < rate, np.arange(draws.size), draws.size)
    nxt = np.minimum.accumulate(np.append(at_or_after, draws.size)[::-1])[::-1].tolist()
    values = draws.tolist()
    at, gene, z_next = 0, 0, stream.gauss_next
    where, noise = [], []
    while gene < n:
        hit = nxt[at]
        if gene + hit - at >= n:  # no other gene mutates
            at += n - gene
            break
        gene += hit - at
        at = hit + 1
        z, z_next = z_next, None
        if z is None:
            x2pi = values[at] * _TWOPI
            g2rad = math.sqrt(-2.0 * math.log(1.0 - values[at + 1]))
            at += 2
            z = math.cos(x2pi) * g2rad
            z_next = math.sin(x2pi) * g2rad
        where.append(gene)
        noise.append(0.0 + z * sigma)
        gene += 1
    stream.take(2 * at)
    stream.gauss_next = z_next
    stream.close()
    flat = genomes.reshape(-1)
    flat[where] = flat[where] + np.array(noise, dtype=np.float64)


_TWOPI = 2.0 * math.pi  # random.TWOPI


@MUTATION.register("none")
def no_mutation(genome: list[float], rng: random.Random) -> None:
    """No mutation (selection and crossover only)."""
    return None


@MUTATION.rows("none")
def no_mutation_rows(genomes: NDArray[np.float64], rng: random.Random) -> None:
    return None


def _crossing_pairs(genomes: NDArray[np.float64], rng: random.Random, rate: float
                    ) -> tuple[PyRandomStream, NDArray[np.bool_], NDArray[np.float64]]:
    """The draws of a crossover scheme with a per-pair ``rate`` and one ``random()`` per gene of a pair
    that crosses: whether each pair (0, 1), (2, 3), … crosses and its genes' draws (pairs × genes; rows
    of pairs that do not cross are 0). The stream is left open at the end of these draws."""
    pairs, genes = genomes.shape[0] // 2, genomes.shape[1]
    stream = PyRandomStream(rng)
    draws = stream.doubles(pairs * (genes + 1))  # enough for every pair crossing
    listed = draws.tolist()
    crossed = np.zeros(pairs, dtype=bool)
    first = np.zeros(pairs, dtype=np.int64)
    at = 0
    for j in range(pairs):
        if listed[at] < rate:
            crossed[j] = True
            first[j] = at + 1
            at += 1 + genes
        else:
            at += 1
    stream.take(2 * at)
    per_gene = np.zeros((pairs, genes))
    idx = np.flatnonzero(crossed)
    per_gene[idx] = draws[first[idx, None] + np.arange(genes)]
    return stream, crossed, per_gene


@CROSSOVER.register("blend", alpha=Param(float, 0.5, low=0.0), rate=Param(float, 0.5, low=0.0, high=1.0))
def blend_crossover(a: list[float], b: list[float], rng: random.Random, alpha: float = 0.5,
                    rate: float = 0.5) -> bool:
    """With probability ``rate``, blend crossover BLX-alpha (DEAP ``cxBlend``). Returns whether it crossed."""
    if rng.random() >= rate:
        return False
    with private_random(rng):
        tools.cxBlend(a, b, alpha)
    return True


@CROSSOVER.rows("blend")
def blend_crossover_rows(genomes: NDArray[np.float64], rng: random.Random, alpha: float = 0.5,
                         rate: float = 0.5) -> NDArray[np.bool_]:
    """:func:`blend_crossover` on rows (0, 1), (2, 3), … in order: per pair ``random() >= rate`` keeps it,
    otherwise per gene γ = (1 + 2α)·random() − α, a ← (1 − γ)·a + γ·b, b ← γ·a + (1 − γ)·b (DEAP's
    arithmetic, in the same order)."""
    if not PyRandomStream.usable(rng):
        return _pairwise(genomes, rng, blend_crossover, alpha=alpha, rate=rate)
    stream, crossed, u = _crossing_pairs(genomes, rng, rate)
    stream.close()
    idx = np.flatnonzero(crossed)
    gamma = (1. + 2. * alpha) * u[idx] - alpha
    a, b = genomes[2 * idx], genomes[2 * idx + 1]
    genomes[2 * idx] = (1. - gamma) * a + gamma * b
    genomes[2 * idx + 1] = gamma * a + (1. - gamma) * b
    return crossed


def _pairwise(genomes: NDArray[np.float64], rng: random.Random, cross: Callable[..., bool],
              **params: Any) -> NDArray[np.bool_]:
    """A crossover scheme called pair after pair on rows (0, 1), (2, 3), … (the exact fallback)."""
    crossed = np.zeros(genomes.shape[0] // 2, dtype=bool)
    for j in range(crossed.size):
        a, b = genomes[2 * j].tolist(), genomes[2 * j + 1].tolist()
        crossed[j] = cross(a, b, rng, **params)
        genomes[2 * j], genomes[2 * j + 1] = a, b
    return crossed


@CROSSOVER.register("uniform", swap=Param(float, 0.5, low=0.0, high=1.0),
                    rate=Param(float, 0.5, low=0.0, high=1.0))
def uniform_crossover(a: list[float], b: list[float], rng: random.Random, swap: float = 0.5,
                      rate: float = 0.5) -> bool:
    """With probability ``rate``, uniform crossover swapping each gene with probability ``swap``
    (DEAP ``cxUniform``)."""
    if rng.random() >= rate:
        return False
    with private_random(rng):
        tools.cxUniform(a, b, swap)
    return True


@CROSSOVER.rows("uniform")
def uniform_crossover_rows(genomes: NDArray[np.float64], rng: random.Random, swap: float = 0.5,
                           rate: float = 0.5) -> NDArray[np.bool_]:
    """:func:`uniform_crossover` on rows (0, 1), (2, 3), … in order: per pair ``random() >= rate`` keeps
    it, otherwise each gene is swapped where its ``random() < swap``."""
    if not PyRandomStream.usable(rng):
        return _pairwise(genomes, rng, uniform_crossover, swap=swap, rate=rate)
    stream, crossed, u = _crossing_pairs(genomes, rng, rate)
    stream.close()
    idx = np.flatnonzero(crossed)
    flip = u[idx] < swap
    a, b = genomes[2 * idx], genomes[2 * idx + 1]
    genomes[2 * idx] = np.where(flip, b, a)
    genomes[2 * idx + 1] = np.where(flip, a, b)
    return crossed


@CROSSOVER.register("none")
def no_crossover(a: list[float], b: list[float], rng: random.Random) -> bool:
    """No crossover: every child has one parent."""
    return False


@CROSSOVER.rows("none")
def no_crossover_rows(genomes: NDArray[np.float64], rng: random.Random) -> NDArray[np.bool_]:
    return np.zeros(genomes.shape[0] // 2, dtype=bool)
