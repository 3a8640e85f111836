"""What a scenario file can say, as frozen dataclasses, and the documented bounds of every value
(:data:`LIMITS`). Standard library only: the world generator, the agents and the operators read these types
without importing the validator (:mod:`evo.runs.scenarios`), which builds and checks them.

Defaults live in the dataclass fields and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

#: The documented bounds of a scenario (inclusive), one table for the validator and its messages. They are
#: generous for research and exist so that no valid scenario hangs, overflows or exhausts memory:
#:
#: - ``population`` .. ``checkpoint_every``, ``offspring``, ``shift_sample``: counts per run; a run is
#:   refused anyway when its :func:`memory_estimate` exceeds ``memory_bytes``.
#: - ``side``: a grid side (``size`` and a layout's rows and columns), at least 3; 64 × 64 = 4096 cells.
#: - ``steps``, ``horizon``, ``view_radius``: well above the longest path of the largest grid (4096 cells);
#:   ``lifetime``: episodes of one life (a learner's), at most as many as a generation's worlds anyway.
#: - ``count``: objects of one group (no grid has more cells); ``variants``: alternatives of one group;
#:   ``features``: names in the vocabulary; ``shifts``: shift distributions (each is drawn and evaluated
#:   every generation).
#: - ``operator_count``: an integer operator parameter (the tournament size: every generation draws
#:   population × size aspirants, in Python).
#: - ``magnitude``: |x| of every number that is not a count (payoffs, step costs, costs, init_sigma,
#:   thresholds, operator parameters such as sigma and alpha): sums and products over a run stay far below
#:   the float range, so nothing written (summary.json) ever meets inf.
#: - ``int64``: every integer of a scenario fits a signed 64-bit integer (numpy's int64).
#: - ``nesting``: tables and arrays nested deeper than this are refused before anything walks them (a
#:   scenario needs 9 levels).
#: - ``memory_bytes``: the cap on :func:`memory_estimate`, 8 GiB.
#:
#: Files read (scenario and sweep files, and every file read back from a run directory) are bounded too, so
#: that no file, however crafted, makes a command parse unbounded input or allocate more than it should:
#:
#: - ``toml_bytes``: a scenario or sweep file, 1 MiB, checked before parsing (the largest legitimate
#:   scenario, 101 worlds each with a 64 × 64 layout, is about 0.5 MB; a sweep's ``[[cells]]`` list holds
#:   some 20 000 cells in 1 MiB, a grid any number).
#: - ``string_chars``: every string of a scenario or sweep file (description, names, labels, layout rows,
#:   keys), 10 000 characters (a description of a few paragraphs; names are shorter anyway).
#: - ``json_bytes``: summary.json and checkpoint.json, 256 MiB (a learner's summary with a life of 10 000
#:   episodes holds a learned value per age and feature); ``meta_bytes``: meta.json, 1 MiB (a few keys).
#: - ``csv_bytes``: log.csv, lineage.csv, lineage_founders.csv, 1 GiB (a log of 10^6 generations).
#: - ``npz_members``: members of one NPZ, 4096 (champion_episodes.npz holds 13 per world, 101 worlds).
#: - ``npz_bytes``: array data an NPZ may hold beyond what its reader expects from summary.json or the
#:   scenario (population × genome length, worlds × cells, …), 64 MiB.
LIMITS: dict[str, int | float] = {
    "population": 1_000_000,
    "generations": 1_000_000,
    "worlds_per_generation": 100_000,
    "eval_worlds": 100_000,
    "shift_sample": 1_000_000,
    "offspring": 1_000_000,
    "elitism": 1_000_000,
    "checkpoint_every": 1_000_000,
    "side": 64,
    "steps": 100_000,
    "horizon": 10_000,
    "view_radius": 10_000,
    "lifetime": 10_000,
    "count": 4_096,
    "variants": 1_000,
    "features": 1_000,
    "shifts": 100,
    "operator_count": 1_000,
    "magnitude": 1e6,
    "int64": 2**63 - 1,
    "nesting": 16,
    "memory_bytes": 8 * 2**30,
    "toml_bytes": 2**20,
    "string_chars": 10_000,
    "json_bytes": 256 * 2**20,
    "meta_bytes": 2**20,
    "csv_bytes": 2**30,
    "npz_members": 4_096,
    "npz_bytes": 64 * 2**20,
}

#: the smallest grid side (a walled border around one free cell)
MIN_SIDE = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class Variant:
    """One alternative of an object group: the features an object has when this variant is drawn
    (distinct names)."""

    p: float
    features: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ObjectGroup:
    """``count`` objects per world (1 ≤ count ≤ ``LIMITS["count"]``). Either ``features`` (feature ->
    independent probability of being present) or ``variants`` (at most ``LIMITS["variants"]`` mutually
    exclusive feature sets with probabilities summing to 1). ``variant_per``: how often a variant is drawn:
    once per ``object`` (the default), once per ``world`` or once per ``lifetime`` (shared by the episodes
    of one life; see :mod:`evo.core.lifetimes`). The groups of one distribution drawn per world (or per
    lifetime) share one draw: each takes its variant of the same index, so "this season the ripe fruit is
    yellow and the unripe one red" can be said (they list equally many variants with equal ``p``).
    ``spawns`` (a feature name or a list of them):
    consuming one of these objects releases a new object with exactly those features on a free cell near it
    (a tipped bin spills trash; see :mod:`evo.core.worlds`). ``zone`` (a lowercase letter, fixed layouts
    only): the objects lie on the layout's cells marked with that letter."""

    count: int = 1
    features: dict[str, float] = field(default_factory=dict)
    variants: tuple[Variant, ...] = ()
    variant_per: Literal["object", "world", "lifetime"] = "object"
    spawns: tuple[str, ...] | str = ()
    zone: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.spawns, str):
            object.__setattr__(self, "spawns", (self.spawns,))


@dataclass(frozen=True, slots=True, kw_only=True)
class WorldConfig:
    """A world distribution. ``layout`` (rows of ``#`` wall, ``.`` free, ``S`` start) fixes the walls and
    start; otherwise walls are drawn with ``wall_density`` inside a walled border of ``size``. Grid sides
    (``size``, and a layout's rows and columns) lie in 3..``LIMITS["side"]`` (64).
    ``resample = false`` draws one batch of worlds for the whole run (a fixed environment)."""

    size: tuple[int, int] = (9, 9)
    wall_density: float = 0.2
    layout: tuple[str, ...] = ()
    #: at most LIMITS["steps"] (100 000)
    steps: int = 30
    objects: tuple[ObjectGroup, ...] = ()
    resample: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Worlds:
    train: WorldConfig
    #: at most LIMITS["shifts"] (100) named shift distributions; the name ``train`` is reserved
    shift: dict[str, WorldConfig] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class ScenarioInfo:
    """``name`` becomes the results directory (:func:`evo.config.names.path_component`); ``description`` may
    hold newlines and tabs but no other control character; at most ``LIMITS["features"]`` (1000) features.

    Senses (docs/concepts.md §2): a feature listed in ``felt`` is perceived only when the object carrying
    it is consumed (taste, pain), never from a distance; one listed in ``hidden`` is never perceived (it
    only pays an objective, like nutrition no sense organ reports); every other feature is *seen*. With
    neither list every feature is seen, and a learner (``agent.kind = "learner"``) also feels every
    feature."""

    name: str = "unnamed"
    description: str = ""
    features: tuple[str, ...] = ()
    felt: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Objective:
    """What an episode pays: ``payoff[f]`` for each feature of each object reached, minus ``step_cost`` per
    step taken; reaching an object with a ``terminal`` feature ends the episode. Payoffs and the step cost
    are at most ``LIMITS["magnitude"]`` (1e6) in magnitude."""

    payoff: dict[str, float] = field(default_factory=dict)
    terminal: tuple[str, ...] = ()
    step_cost: float = 0.01


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentConfig:
    """The ``[agent]`` table (docs/concepts.md §3): ``kind``, the kind's own keys (``params``: each kind
    declares them, :class:`evo.config.params.Param`; the loader checks them and fills in their defaults,
    :func:`evo.runs.scenarios.check`) and the prices every kind pays (kind-independent: the evaluator
    charges them on what every Policy shows, :class:`evo.core.simulate.Costs`). ``planning_cost`` is
    charged per episode per unit of horizon; ``perception_cost[f]`` per unit of how strongly an agent
    perceives feature f (``|w_f|`` of its objective, then ``AgentKind.perceives``); ``complexity_cost``
    per unit of ||w||_1 (a readable objective); ``learning_cost`` per unit of a learning rate.
    ``init_sigma``: the spread of initial genes.
    Costs and ``init_sigma`` are at most ``LIMITS["magnitude"]`` (1e6)."""

    #: the name of a registered agent kind (:func:`evo.core.agents.agent_kind`): mesa, reflex, hybrid,
    #: learner or one registered with :func:`evo.register_agent_kind`; the validator checks it
    kind: str = "mesa"
    #: the kind's own keys (``horizon``, ``discount``, …), in the kind's declaration order once resolved
    params: dict[str, Any] = field(default_factory=dict)
    planning_cost: float = 0.0
    perception_cost: dict[str, float] = field(default_factory=dict)
    complexity_cost: float = 0.0
    init_sigma: float = 1.0
    learning_cost: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class OperatorConfig:
    """A registry name and its parameters, e.g. ``{ scheme = "tournament", size = 3 }``. Parameters are at
    most ``LIMITS["magnitude"]`` (1e6) in magnitude; integer ones (a tournament size) at most
    ``LIMITS["operator_count"]`` (1000)."""

    scheme: str
    params: tuple[tuple[str, float | int], ...] = ()

    def __post_init__(self) -> None:
        # one canonical order, so equal configurations compare equal whatever order they were written in
        object.__setattr__(self, "params", tuple(sorted(self.params)))

    def kwargs(self) -> dict[str, float | int]:
        return dict(self.params)


@dataclass(frozen=True, slots=True, kw_only=True)
class EvolutionConfig:
    """Counts of a run, each bounded by its entry in :data:`LIMITS`; together they must keep
    :func:`memory_estimate` within ``LIMITS["memory_bytes"]`` (8 GiB)."""

    #: 2 .. LIMITS["population"] (1 000 000)
    population: int = 200
    #: 1 .. LIMITS["generations"] (1 000 000)
    generations: int = 100
    #: 1 .. LIMITS["worlds_per_generation"] (100 000)
    worlds_per_generation: int = 16
    # OperatorConfig is frozen: one shared default instance is safe (ruff's RUF009 sees this too)
    selection: OperatorConfig = OperatorConfig(scheme="tournament", params=(("size", 3),))
    mutation: OperatorConfig = OperatorConfig(scheme="gaussian", params=(("rate", 0.2), ("sigma", 0.2)))
    crossover: OperatorConfig = OperatorConfig(scheme="blend", params=(("alpha", 0.5), ("rate", 0.5)))
    #: 0 .. population − 1
    elitism: int = 2
    #: how the next population is made: a name in ``evo.evolution.replacement.REPLACEMENTS``.
    #: ``generational``: ``selection`` picks the parents of population − elitism children. ``mu_plus_lambda``
    #: /
    #: ``mu_comma_lambda`` (DEAP's eaMuPlusLambda, eaMuCommaLambda): ``offspring`` (λ) children of
    #: uniformly drawn parents are evaluated on the generation's worlds, then ``selection`` picks the
    #: population − elitism survivors among parents and children (+) or children only (,); the
    #: ``elitism`` best parents always survive.
    replacement: str = "generational"
    #: λ, children per generation with a μ,λ replacement; 0 means as many as the population;
    #: at most LIMITS["offspring"] (1 000 000)
    offspring: int = 0
    #: 0 .. LIMITS["shift_sample"] (1 000 000)
    shift_sample: int = 32
    #: 1 .. LIMITS["eval_worlds"] (100 000)
    eval_worlds: int = 64
    #: genealogy kept during the run (see :mod:`evo.lineage.store`): ``pruned`` keeps the live ancestry only
    lineage: Literal["pruned", "full", "off"] = "pruned"
    #: a resumable checkpoint every this many generations (0: never; a stop request still writes one);
    #: at most LIMITS["checkpoint_every"] (1 000 000)
    checkpoint_every: int = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class MetricsConfig:
    """Thresholds of the agent classes (see :mod:`evo.core.metrics`)."""

    robust_threshold: float = 0.8
    pseudo_threshold: float = 0.8
    reach_threshold: float = 0.5


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    scenario: ScenarioInfo
    base_objective: Objective
    #: what the designers really want (docs/concepts.md §1, Goodhart); never selected on. None: no true
    #: objective
    true_objective: Objective | None = None
    agent: AgentConfig
    worlds: Worlds
    evolution: EvolutionConfig
    metrics: MetricsConfig
    source: str = "<memory>"

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def features(self) -> tuple[str, ...]:
        return self.scenario.features
