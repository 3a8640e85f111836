"""The **neural** kind: an Elman recurrent network whose weights are the genome; no planner, no objective.

Input ``x`` (window cells row-major from the north-west, ``1 + F`` channels each): for every cell of the
egocentric ``(2R+1)²`` window (``R = agent.radius``), 1 if it is a wall or off the grid, then the seen
features of a remaining object on it (0 when none); a local view is what a maze policy needs and keeps the
genome small (rationale: docs/architecture.md, "Agent kinds"). The bias is ``b_h``. Each step
``h'_i = tanh(b_h_i + Σ_j w_in_ij·x_j + Σ_l w_h_il·h_l)`` and ``logit_m = b_out_m + Σ_i w_out_mi·h'_i``
(sums in that order); the move (N, E, S, W, stay) is the first argmax. ``h`` (``agent.hidden`` units) is
0 at each episode's start.
"""

from __future__ import annotations

import math
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit
from numpy.typing import NDArray

from evo.config.params import Param
from evo.core.agents.base import GenomeKind, Policy
from evo.core.step import Rule, View, register_rule
from evo.core.worlds import WorldBatch

if TYPE_CHECKING:
    from evo.config.schema import AgentConfig

#: the ``[agent]`` keys of the neural kind
NETWORK = MappingProxyType({
    "hidden": Param(type=int, default=8, low=1, high=64, doc="hidden units of the recurrent network"),
    "radius": Param(type=int, default=1, low=1, high=3,
                    doc="R: the network sees the (2R+1)×(2R+1) cells around the agent"),
})


def n_inputs(radius: int, n_features: int) -> int:
    """Inputs of a network that sees radius ``radius``: per window cell, a wall and the features."""
    return (2 * radius + 1) ** 2 * (1 + n_features)


def neural_parts(hidden: int, radius: int, n_features: int) -> dict[str, int]:
    """The network's genes, in genome order (each matrix row-major: ``w_in`` (H, inputs), ``w_h`` (H, H),
    ``w_out`` (5, H))."""
    n_in = n_inputs(radius, n_features)
    return {"w_in": hidden * n_in, "w_h": hidden * hidden, "b_h": hidden, "w_out": 5 * hidden, "b_out": 5}


class NeuralParams(NamedTuple):
    w_in: np.ndarray  # (P, H, inputs)
    w_h: np.ndarray  # (P, H, H)
    b_h: np.ndarray  # (P, H)
    w_out: np.ndarray  # (P, 5, H)
    b_out: np.ndarray  # (P, 5)
    radius: int


class NeuralState(NamedTuple):
    """One episode's scratch: the hidden state ``h`` (H,), the next one ``nh`` (H,) and the input ``x``."""

    h: np.ndarray
    nh: np.ndarray
    x: np.ndarray


@njit(cache=True, nogil=True)
def _begin(params: NeuralParams, state: NeuralState, a: int, unit: int, view: View, b: int) -> None:
    state.h[:] = 0.0


@njit(cache=True, nogil=True, inline="always")
def sense(params: NeuralParams, x: np.ndarray, view: View, b: int, cell: int, remaining: np.ndarray) -> None:
    """The network's input on ``cell`` of world ``b`` into ``x`` (module docstring)."""
    r, n_features = params.radius, view.seen.shape[2]
    row, col = cell // view.width, cell % view.width
    j = 0
    for dr in range(-r, r + 1):
        for dc in range(-r, r + 1):
            y, z = row + dr, col + dc
            inside = 0 <= y < view.height and 0 <= z < view.width
            there = y * view.width + z if inside else 0
            wall = not inside or view.walls[b, there]
            x[j] = 1.0 if wall else 0.0
            k = view.obj_at[b, there] if not wall else -1
            present = k >= 0 and remaining[max(k, 0)]
            for f in range(n_features):
                x[j + 1 + f] = view.seen[b, max(k, 0), f] if present else 0.0
            j += 1 + n_features


@njit(cache=True, nogil=True)
def _decide(params: NeuralParams, state: NeuralState, a: int, unit: int, view: View, b: int, cell: int,
            remaining: np.ndarray, t: int) -> int:
    h, nh, x = state.h, state.nh, state.x
    sense(params, x, view, b, cell, remaining)
    n_hidden, n_in = h.shape[0], x.shape[0]
    for i in range(n_hidden):
        s = params.b_h[a, i]
        for j in range(n_in):
            s = s + params.w_in[a, i, j] * x[j]
        for m in range(n_hidden):
            s = s + params.w_h[a, i, m] * h[m]
        nh[i] = math.tanh(s)
    move, best = 0, 0.0
    for m in range(5):
        s = params.b_out[a, m]
        for i in range(n_hidden):
            s = s + params.w_out[a, m, i] * nh[i]
        if m == 0 or s > best:
            move, best = m, s
    h[:] = nh
    return move


RULE = register_rule(Rule(NeuralParams, _decide, begin=_begin))


class Neural(GenomeKind):
    """The neural kind: genes ``w_in, w_h, b_h, w_out, b_out`` sized by ``agent.hidden`` and
    ``agent.radius``; horizon 0, no objective, no perception price unless the scenario sets one."""

    name = "neural"
    parameters = NETWORK

    def genome_layout(self, n_features: int, cfg: AgentConfig | None = None) -> dict[str, tuple[int, int]]:
        v = {k: p.default for k, p in NETWORK.items()} if cfg is None else self.values(cfg)
        layout, at = {}, 0
        for name, n in neural_parts(v["hidden"], v["radius"], n_features).items():
            layout[name] = (at, at + n)
            at += n
        return layout

    def decode(self, genomes: NDArray[np.float64], cfg: AgentConfig, n_features: int) -> Policy:
        return self.policy(genomes, cfg, n_features)

    def compiled(self, policy: Policy, worlds: WorldBatch, view: View) -> tuple[NeuralParams, NeuralState]:
        g, v = policy.genes, policy.values
        hidden, f = v["hidden"], worlds.obj_feat.shape[-1]
        n_in, p = n_inputs(v["radius"], f), g["b_h"].shape[0]

        def shaped(x: NDArray[np.float64], *shape: int) -> NDArray[np.float64]:
            return np.ascontiguousarray(np.asarray(x, dtype=np.float64).reshape(p, *shape))
        params = NeuralParams(shaped(g["w_in"], hidden, n_in), shaped(g["w_h"], hidden, hidden),
                              shaped(g["b_h"], hidden), shaped(g["w_out"], 5, hidden), shaped(g["b_out"], 5),
                              int(v["radius"]))
        return params, NeuralState(np.zeros(hidden), np.zeros(hidden), np.zeros(n_in))

    def perceives(self, policy: Policy) -> tuple[NDArray[np.float64], ...]:
        """Per feature, the summed ``|w_in|`` on its channels (every window cell, every hidden unit)."""
        w = np.abs(np.asarray(policy.genes["w_in"], dtype=np.float64))
        p, hidden = w.shape[0], policy.values["hidden"]
        cells = (2 * policy.values["radius"] + 1) ** 2
        w = w.reshape(p, hidden, cells, -1)
        return (w[..., 1:].sum(axis=(1, 2)),)


NEURAL = Neural()
