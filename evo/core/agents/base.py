"""What every agent kind shares: the :class:`AgentKind` protocol, the registry of kinds, the decoded
:class:`Policy` and the numpy helpers the shipped kinds use (docs/concepts.md §3; a kind's compiled rule:
:mod:`evo.core.step`, docs/architecture.md "Agent kinds")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, Protocol, TypeVar

import numpy as np
from numpy.typing import NDArray

from evo.config.params import Param, resolve
from evo.config.schema import AgentConfig
from evo.core.step import View
from evo.core.worlds import WorldBatch
from evo.errors import EvoError


class AgentKindError(EvoError, ValueError):
    """An agent kind registered twice, or a name no registered kind has."""


@dataclass(frozen=True, eq=False)
class Senses:
    """How agents perceive each feature (docs/concepts.md §2): ``seen`` (F,) from a distance (planned for,
    reacted on, smelled), ``felt`` (F,) only when the object carrying it is consumed (a learner's reward);
    a feature that is neither is hidden (it only pays an objective). A scenario without a declaration has
    no Senses (every feature seen and, for a learner, felt)."""

    seen: NDArray[np.bool_]
    felt: NDArray[np.bool_]

    @classmethod
    def of(cls, features: Sequence[str], felt: Sequence[str], hidden: Sequence[str]) -> Senses | None:
        """The senses of a scenario's ``[scenario]`` declaration, or None when it declares none."""
        if not felt and not hidden:
            return None
        return cls(np.array([f not in felt and f not in hidden for f in features]),
                   np.array([f in felt for f in features]))

    @staticmethod
    def seen_of(senses: Senses | None, n_features: int) -> NDArray[np.bool_]:
        return np.ones(n_features, dtype=bool) if senses is None else senses.seen

    @staticmethod
    def felt_of(senses: Senses | None, n_features: int) -> NDArray[np.bool_]:
        return np.ones(n_features, dtype=bool) if senses is None else senses.felt


class Life(Protocol):
    """What a kind that learns within a life adds to its Policy (``Policy.life``): state carried across the
    ``Policy.lifetime`` consecutive episodes of one life (docs/concepts.md §3). The evaluator
    (:func:`evo.core.simulate.run_episodes`) runs a batch of ``B = lives × lifetime`` worlds as lives: world
    ``b`` is episode ``b % lifetime`` (the age) of life ``b // lifetime``, every agent lives every life, the
    ages of one life in order. A *unit* is one agent's one life, ``unit = agent · lives + life``. The
    kind's compiled rule (:mod:`evo.core.step`) updates the state in place; this protocol reads it."""

    def born(self, policy: Policy, seen: NDArray[np.float64], felt: NDArray[np.float64],
             lifetime: int) -> dict[str, Any]:
        """The state of every unit at birth (arrays with a leading axis of units), for a batch whose
        perceived features are ``seen`` and ``felt``; world ``b`` is age ``b % lifetime`` of life
        ``b // lifetime``."""
        ...

    def learned(self, policy: Policy, state: dict[str, Any]) -> NDArray[np.float64]:
        """(units, F) what each unit has learned so far (recorded after every episode)."""
        ...

    def grown(self, policy: Policy, state: dict[str, Any], life: int) -> Policy:
        """The agents as life ``life`` left them, as a Policy of lives of one episode that starts there
        (for the probe: the behavioural objective at the end of a life)."""
        ...

    def genes(self, policy: Policy) -> dict[str, NDArray[np.float64]]:
        """Per-agent numbers of the life worth reporting, e.g. ``{"learning_rate": α}`` (P,) each."""
        ...

    def innate(self, policy: Policy) -> NDArray[np.float64]:
        """(P, F) what each agent knows at birth (its learned values before any episode)."""
        ...


@dataclass(frozen=True, eq=False)
class Policy:
    """Decoded parameters of ``P`` agents of one kind: the kind's own genes and ``[agent]`` values by name,
    and what the evaluator charges or runs every kind by (docs/concepts.md §3).

    The kind's :meth:`AgentKind.compiled` turns it into the record its compiled rule reads; everything else
    asks the kind (:meth:`AgentKind.objective`, :meth:`AgentKind.perceives`) rather than a gene's name."""

    kind: str
    #: the kind's per-agent arrays by name (leading axis P): its genome parts (``genome_layout``'s names),
    #: as its senses read them, and whatever else it carries per agent
    genes: Mapping[str, NDArray[Any]]
    #: the kind's own ``[agent]`` values by name (:meth:`GenomeKind.values`)
    values: Mapping[str, Any]
    #: (P,) the planning horizon, charged ``planning_cost`` per step (0: the agent does not plan)
    horizon: NDArray[np.int64]
    #: how features are perceived (None: every feature seen); the evaluator lets agents plan for, react on
    #: and smell seen features only
    senses: Senses | None = None
    #: a kind that learns within a life: its rules (:class:`Life`) and the episodes of one life
    life: Life | None = None
    lifetime: int = 1
    #: (P,) the learning rate of a kind that learns (charged ``learning_cost`` per unit), or None
    learning_rate: NDArray[np.float64] | None = None

    @property
    def objective(self) -> NDArray[np.float64] | None:
        """(P, F) the agents' mesa-objective, or None (the kind has none): :meth:`AgentKind.objective`."""
        return agent_kind(self.kind).objective(self)

    @property
    def plans(self) -> bool:
        """Whether the evaluator plans for these agents (on an objective, or on a life's utility)."""
        return self.life is not None or self.objective is not None


class AgentKind(Protocol):
    """An agent kind: everything the rest of the package asks of one (docs/concepts.md §3).

    - ``name``: the value of a scenario's ``agent.kind``.
    - ``parameters``: its own ``[agent]`` keys, name -> :class:`evo.config.params.Param` (type, default,
      bounds, doc), in the order the resolved ``scenario.toml`` writes them; the loader checks a scenario's
      ``[agent]`` against them and fills in their defaults (``AgentConfig.params``).
    - ``plans``: some agents of the kind search over plans (mesa planning), so ``agent.horizon`` matters.
    - ``reacts``: the kind has reflex genes.
    - ``has_objective``: a decoded Policy has a readable mesa-objective (:meth:`objective`): summaries,
      logs and lineage report it, and perception and complexity are charged on it.
    - ``evolves_horizon``: the planning horizon is a gene (so its distribution is worth drawing).
    - ``objective_alone``: the objective alone decides every move (no reflexes), so a probe may ask
      whether behaviour recovers its ranking.
    """

    name: str
    plans: bool
    reacts: bool
    has_objective: bool
    evolves_horizon: bool
    objective_alone: bool

    @property
    def parameters(self) -> Mapping[str, Param]:
        """The kind's own ``[agent]`` keys, in order."""
        ...

    def genome_layout(self, n_features: int, cfg: AgentConfig | None = None) -> dict[str, tuple[int, int]]:
        """Named ``[start, stop)`` slices that cover a genome exactly, in order, for agents of ``[agent]``
        ``cfg`` (None: the kind's defaults)."""
        ...

    def initial_genomes(self, cfg: AgentConfig, n_features: int, n: int,
                        rng: np.random.Generator) -> NDArray[np.float64]:
        """``n`` random genomes (n, genome length), drawn from ``rng`` only."""
        ...

    def decode(self, genomes: NDArray[np.float64], cfg: AgentConfig, n_features: int) -> Policy:
        """The Policy of every genome (rows of ``genomes``)."""
        ...

    def check(self, cfg: AgentConfig, file: str) -> None:
        """The kind's rules on ``[agent]`` beyond each key's declared type and bounds (checked before);
        raises :class:`evo.errors.ScenarioError`."""
        ...

    def pair_bytes(self, n_objects: int, n_features: int) -> int:
        """Bytes per (agent, world) pair of an evaluation that this kind's rule adds to the shared ones
        (an upper bound, for :func:`evo.runs.scenarios.memory_estimate`)."""
        ...

    def optimizer(self, policy: Policy) -> NDArray[np.bool_]:
        """(P,) True where the agent searches over plans."""
        ...

    def objective(self, policy: Policy) -> NDArray[np.float64] | None:
        """(P, F) the mesa-objective (what summaries, logs, alignment and the lineage's inner goal read),
        or None (the kind has none)."""
        ...

    def policy_rows(self, policy: Policy, rows: slice) -> Policy:
        """The agents ``rows`` of ``policy``, as a Policy of their own."""
        ...

    def compiled(self, policy: Policy, worlds: WorldBatch, view: View) -> tuple[Any, ...]:
        """``(params, state)`` (or ``(params, state, life state)`` for a kind with a life): the records the
        kind's registered compiled rule (:class:`evo.core.step.Rule`) runs on in ``worlds``."""
        ...

    def perceives(self, policy: Policy) -> tuple[NDArray[np.float64], ...]:
        """How strongly each of the agents' genes other than the objective reads each feature, one (P, F)
        array of values ≥ 0 per such part, in order: ``perception_cost`` is charged on the objective's
        ``|w_f|`` and then on each of these."""
        ...

    # Optional (GenomeKind provides them; :func:`decode`, :func:`lifetime` fall back when a kind lacks them):
    # ``sense(policy, senses) -> Policy``, the Policy of agents perceiving by ``senses``; and
    # ``lifetime(cfg) -> int``, episodes of one life (1: the kind carries nothing between episodes).


class GenomeKind:
    """A convenient base for kinds whose genome is a sequence of named parts (:meth:`parts`): the layout,
    Gaussian initial genomes, the Policy of the parts by name (:meth:`policy`), no extra memory, optimizers
    by horizon, the objective as the gene ``objective_gene`` and the cut of a Policy are provided; a kind
    sets its flags and ``parameters`` and implements :meth:`parts`, :meth:`decode` (usually one call of
    :meth:`policy`), :meth:`compiled` and :meth:`perceives`."""

    name: str = ""
    parameters: Mapping[str, Param] = MappingProxyType({})
    plans: bool = False
    reacts: bool = False
    has_objective: bool = False
    evolves_horizon: bool = False
    objective_alone: bool = False
    #: the gene that is the kind's mesa-objective (None: it has none; set with ``has_objective``)
    objective_gene: str | None = None

    def parts(self, n_features: int) -> dict[str, int]:
        """Part name -> number of genes, in genome order."""
        raise NotImplementedError

    def genome_layout(self, n_features: int, cfg: AgentConfig | None = None) -> dict[str, tuple[int, int]]:
        """The layout of :meth:`parts`; a kind whose genome depends on its ``[agent]`` keys reads ``cfg``
        (None: their defaults)."""
        layout, at = {}, 0
        for name, n in self.parts(n_features).items():
            layout[name] = (at, at + n)
            at += n
        return layout

    def initial_genomes(self, cfg: AgentConfig, n_features: int, n: int,
                        rng: np.random.Generator) -> NDArray[np.float64]:
        """Every gene ~ N(0, init_sigma²)."""
        length = max(stop for _, stop in self.genome_layout(n_features, cfg).values())
        return rng.normal(0.0, cfg.init_sigma, size=(n, length))

    def decode(self, genomes: NDArray[np.float64], cfg: AgentConfig, n_features: int) -> Policy:
        raise NotImplementedError

    def policy(self, genomes: NDArray[np.float64], cfg: AgentConfig, n_features: int,
               horizon: NDArray[np.int64] | None = None, **fields: Any) -> Policy:
        """The Policy of ``genomes``: every genome part by name, the kind's ``[agent]`` values, the
        ``horizon`` (default 0: no planning) and any other of :class:`Policy`'s ``fields``."""
        genes = genome_parts(genomes, self.genome_layout(n_features, cfg))
        n = np.asarray(genomes).shape[0]
        horizon = np.zeros(n, dtype=np.int64) if horizon is None else horizon
        return Policy(self.name, genes, self.values(cfg), horizon, **fields)

    def values(self, cfg: AgentConfig) -> dict[str, Any]:
        """The kind's ``[agent]`` keys of ``cfg``, every default filled in."""
        return {name: cfg.params.get(name, p.default) for name, p in self.parameters.items()}

    def check(self, cfg: AgentConfig, file: str) -> None:
        """No rule beyond each key's declared type and bounds."""

    def pair_bytes(self, n_objects: int, n_features: int) -> int:
        return 0

    def sense(self, policy: Policy, senses: Senses) -> Policy:
        """The Policy of agents that perceive by ``senses`` (the evaluator applies them)."""
        return replace(policy, senses=senses)

    def lifetime(self, cfg: AgentConfig) -> int:
        """Episodes of one life: 1, nothing is carried from one episode to the next."""
        return 1

    def optimizer(self, policy: Policy) -> NDArray[np.bool_]:
        return (policy.horizon > 0) if self.plans else np.zeros(policy.horizon.shape[0], dtype=bool)

    def objective(self, policy: Policy) -> NDArray[np.float64] | None:
        return None if self.objective_gene is None else policy.genes[self.objective_gene]

    def perceives(self, policy: Policy) -> tuple[NDArray[np.float64], ...]:
        """No gene but the objective reads a feature."""
        return ()

    def policy_rows(self, policy: Policy, rows: slice) -> Policy:
        return replace(policy, genes={k: v[rows] for k, v in policy.genes.items()},
                       horizon=policy.horizon[rows],
                       learning_rate=None if policy.learning_rate is None else policy.learning_rate[rows])

    def __repr__(self) -> str:
        return f"<agent kind {self.name!r}>"


def genome_parts(genomes: NDArray[np.float64], layout: Mapping[str, tuple[int, int]]
                 ) -> dict[str, NDArray[np.float64]]:
    """Each named part of ``genomes`` (rows are genomes), as views."""
    genomes = np.asarray(genomes, dtype=np.float64)
    return {name: genomes[:, a:b] for name, (a, b) in layout.items()}


# --------------------------------------------------------------------------------------------------------
# the registry

_REGISTRY: dict[str, AgentKind] = {}
K = TypeVar("K", bound=AgentKind)


def register_agent_kind(kind: K) -> K:
    """Register ``kind`` under ``kind.name`` (a non-empty string no registered kind has); returns it."""
    name = getattr(kind, "name", None)
    if not isinstance(name, str) or not name.strip():
        raise AgentKindError(f"an agent kind needs a non-empty string name, got {name!r}")
    if name in _REGISTRY:
        raise AgentKindError(f"agent kind {name!r} is already registered")
    _REGISTRY[name] = kind
    return kind


def unregister_agent_kind(name: str) -> None:
    """Forget the kind ``name`` (for tests and notebooks that register a throwaway kind)."""
    agent_kind(name)
    del _REGISTRY[name]


def agent_kinds() -> tuple[str, ...]:
    """The registered kinds' names, in registration order."""
    return tuple(_REGISTRY)


def agent_kind(name: str) -> AgentKind:
    """The registered kind ``name``; an unknown name raises :class:`AgentKindError` listing the known."""
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise AgentKindError(f"unknown agent kind {name!r}; registered: {', '.join(_REGISTRY)}") from None


#: the ``[agent]`` keys every kind has (:class:`evo.config.schema.AgentConfig`'s fields but the kind's own)
COMMON_KEYS = ("kind", "planning_cost", "perception_cost", "complexity_cost", "init_sigma", "learning_cost")


def parameters_of(kind: str) -> Mapping[str, Param]:
    """The ``[agent]`` keys the registered kind ``kind`` declares (none if it declares none)."""
    return getattr(agent_kind(kind), "parameters", {})


def resolve_params(cfg: AgentConfig, file: str) -> AgentConfig:
    """``cfg`` with its kind's own keys checked against the kind's declaration and every default filled
    in; an unknown key, a wrong type or a value out of bounds is one :class:`evo.errors.ScenarioError`."""
    params = resolve(parameters_of(cfg.kind), cfg.params, file, "agent", f"agent kind {cfg.kind!r}",
                     COMMON_KEYS)
    return replace(cfg, params=params)


def agent_config(kind: str, like: AgentConfig | None = None, **values: Any) -> AgentConfig:
    """The checked ``[agent]`` of a ``kind`` agent: the keys ``values`` (the kind's own or common ones);
    with ``like``, its common keys and those of its kind's keys that ``kind`` declares too, unless given."""
    own = parameters_of(kind)
    common = {k: v for k, v in values.items() if k in COMMON_KEYS and k != "kind"}
    params = {k: v for k, v in values.items() if k not in COMMON_KEYS}
    if like is not None:
        params = {**{k: v for k, v in like.params.items() if k in own}, **params}
        common = {**{k: getattr(like, k) for k in COMMON_KEYS if k != "kind"}, **common}
    return resolve_params(AgentConfig(kind=kind, params=params, **common), "<agent_config>")


def genome_layout(kind: str | AgentConfig, n_features: int) -> dict[str, tuple[int, int]]:
    """Named ``[start, stop)`` slices of a genome of the registered kind ``kind`` (a name: its ``[agent]``
    defaults; an AgentConfig: its kind and keys)."""
    if isinstance(kind, AgentConfig):
        return agent_kind(kind.kind).genome_layout(n_features, kind)
    return agent_kind(kind).genome_layout(n_features)


def genome_length(kind: str | AgentConfig, n_features: int) -> int:
    return max(stop for _, stop in genome_layout(kind, n_features).values())


def initial_genomes(cfg: AgentConfig, n_features: int, n: int,
                    rng: np.random.Generator) -> NDArray[np.float64]:
    """``n`` random genomes of the kind ``cfg.kind``."""
    return agent_kind(cfg.kind).initial_genomes(cfg, n_features, n, rng)


def decode(genomes: NDArray[np.float64], cfg: AgentConfig, n_features: int,
           senses: Senses | None = None) -> Policy:
    """Read the parameters of every genome (rows of ``genomes``) of the kind ``cfg.kind``, for agents
    that perceive by ``senses`` (None: every feature seen)."""
    kind = agent_kind(cfg.kind)
    policy = kind.decode(genomes, cfg, n_features)
    if senses is None:
        return policy
    sense = getattr(kind, "sense", None)
    return sense(policy, senses) if sense is not None else replace(policy, senses=senses)


def lifetime(cfg: AgentConfig) -> int:
    """Episodes of one life of the kind ``cfg.kind`` (1 for a kind that carries nothing between
    episodes)."""
    of = getattr(agent_kind(cfg.kind), "lifetime", None)
    return 1 if of is None else int(of(cfg))


def is_optimizer(policy: Policy) -> NDArray[np.bool_]:
    """(P,) True where the agent searches over plans (mesa, or hybrid with horizon > 0)."""
    return agent_kind(policy.kind).optimizer(policy)


def policy_rows(policy: Policy, rows: slice) -> Policy:
    """The agents ``rows`` of ``policy``, cut by its kind."""
    return agent_kind(policy.kind).policy_rows(policy, rows)


# --------------------------------------------------------------------------------------------------------
# shared numpy helpers


def object_utility(w: NDArray[np.float64], obj_feat: NDArray[np.float64]) -> NDArray[np.float64]:
    """(P, B, K) ``Σ_f w_f·x_kf`` summed in feature order (the order the reference evaluator uses)."""
    u = np.zeros((w.shape[0], *obj_feat.shape[:2]))
    for f in range(w.shape[1]):
        u = u + w[:, f, None, None] * obj_feat[None, :, :, f]
    return u


def discount_table(discount: float, max_distance: int) -> NDArray[np.float64]:
    """``[discount**d for d in 0..max_distance]``, computed with Python floats like the reference."""
    return np.array([discount**d for d in range(max_distance + 1)])


def perceived(obj_feat: NDArray[np.float64], senses: Senses | None
              ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(seen, felt) features of ``obj_feat`` (…, F): the seen features from a distance and the felt ones
    when consumed (the others 0); without senses, both are ``obj_feat``."""
    if senses is None:
        return obj_feat, obj_feat
    return np.where(senses.seen, obj_feat, 0.0), np.where(senses.felt, obj_feat, 0.0)


def proximity_of(worlds: WorldBatch, view_radius: int) -> NDArray[np.float64]:
    """(B, C, K) ``max(0, R − |c − o|₁)/R`` of each cell to each object, what reflexes smell (R the view
    radius); C-contiguous, so that it also reads as (B·C, K)."""
    r = view_radius
    return np.ascontiguousarray((np.maximum(0, r - worlds.manhattan) / r).transpose(0, 2, 1))
