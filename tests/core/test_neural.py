"""The neural kind (evo.core.agents.neural): its contract, hand-set networks in built worlds, and a
plain-Python oracle of the network's forward pass against the compiled episodes."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np
import pytest

import evo
from evo.core import agents
from evo.core.simulate import Costs, Payoffs, run_episodes
from evo.core.worlds import WorldBatch, build_batch
from evo.errors import ScenarioError
from evo.runs import scenarios as scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "red_door_neural.toml"
N, E, S, W, STAY = 0, 1, 2, 3, 4


def test_the_neural_kind_keeps_the_contract() -> None:
    evo.check_kind("neural")


def _run(genomes: np.ndarray, batch: WorldBatch, n_features: int, **values: int) -> tuple:
    cfg = agents.agent_config("neural", **values)
    policy = agents.decode(np.atleast_2d(genomes), cfg, n_features)
    objective = Payoffs(np.zeros(n_features), np.zeros(n_features, dtype=bool), 0.0)
    ep = run_episodes(policy, batch, objective, Costs(), record_paths=True)
    return ep, cfg


def _genes(cfg: evo.AgentConfig, n_features: int, **parts: np.ndarray) -> np.ndarray:
    """A genome of zeros but ``parts`` (by name, flattened row-major)."""
    layout = agents.genome_layout(cfg, n_features)
    g = np.zeros(agents.genome_length(cfg, n_features))
    for name, value in parts.items():
        a, b = layout[name]
        g[a:b] = np.ravel(value)
    return g


def test_a_network_that_always_goes_east_goes_east() -> None:
    """b_out favours E, nothing else set: the agent walks east along a row of an open 5×5 room and stops
    at the east wall."""
    cfg = agents.agent_config("neural")
    g = _genes(cfg, 2, b_out=np.array([0.0, 1.0, 0.0, 0.0, 0.0]))
    batch = build_batch(np.zeros((1, 25), dtype=bool), np.array([10]), np.array([[0]]), np.ones((1, 1, 2)),
                        5, 5, 6)
    ep, _ = _run(g, batch, 2)
    assert ep.paths[0, 0].tolist() == [10, 11, 12, 13, 14, 14, 14]


@pytest.mark.parametrize(("obj", "move"), [(7, N), (13, E), (17, S), (11, W)])
def test_a_network_goes_toward_a_red_object_in_its_window(obj: int, move: int) -> None:
    """Hidden unit m reads "red" on the window cell of move m (N, E, S, W), w_out copies unit m to logit
    m and stay has a small bias: the agent steps onto the red object beside it, and stays when the red
    object is out of its window (radius 1)."""
    cfg = agents.agent_config("neural", hidden=4)
    f, channels = 2, 3  # features red, blue; channels per window cell: wall, red, blue
    w_in = np.zeros((4, 9 * channels))
    for m, window_cell in enumerate((1, 5, 7, 3)):  # N, E, S, W of the 3×3 window, row-major
        w_in[m, window_cell * channels + 1] = 5.0
    w_out = np.zeros((5, 4))
    w_out[:4] = np.eye(4)
    g = _genes(cfg, f, w_in=w_in, w_out=w_out, b_out=np.array([0, 0, 0, 0, 0.1]))
    feats = np.array([[[1.0, 0.0], [0.0, 1.0]]])  # object 0 red, object 1 blue
    near = build_batch(np.zeros((1, 25), dtype=bool), np.array([12]), np.array([[obj, 0]]), feats, 5, 5, 4)
    ep, _ = _run(g, near, f, hidden=4)
    assert ep.paths[0, 0, 1] == obj and ep.reached[0, 0, 0]
    far = build_batch(np.zeros((1, 25), dtype=bool), np.array([12]), np.array([[0, obj]]), feats, 5, 5, 4)
    ep, _ = _run(g, far, f, hidden=4)
    assert ep.paths[0, 0].tolist() == [12] * 5  # only a blue object beside it: it stays


# ------------------------------------------------------------------------------------------------------
# a plain-Python oracle of the network


def _oracle_move(g: list[float], h: list[float], hidden: int, radius: int, n_features: int,
                 walls: list[bool], objects: dict[int, list[float]], height: int, width: int,
                 cell: int) -> tuple[int, list[float]]:
    """The move and the next hidden state of a network with genome ``g`` (the neural kind's module
    docstring), ``objects`` the remaining ones by cell (their seen features)."""
    x: list[float] = []
    row, col = divmod(cell, width)
    for dr in range(-radius, radius + 1):
        for dc in range(-radius, radius + 1):
            y, z = row + dr, col + dc
            wall = not (0 <= y < height and 0 <= z < width) or walls[y * width + z]
            x.append(1.0 if wall else 0.0)
            feats = objects.get(y * width + z) if not wall else None
            x.extend(feats if feats is not None else [0.0] * n_features)
    n_in = len(x)
    at = 0

    def take(n: int) -> list[float]:
        nonlocal at
        at += n
        return g[at - n:at]
    w_in, w_h, b_h = take(hidden * n_in), take(hidden * hidden), take(hidden)
    w_out, b_out = take(5 * hidden), take(5)
    new = []
    for i in range(hidden):
        s = b_h[i]
        for j in range(n_in):
            s = s + w_in[i * n_in + j] * x[j]
        for m in range(hidden):
            s = s + w_h[i * hidden + m] * h[m]
        new.append(math.tanh(s))
    logits = []
    for m in range(5):
        s = b_out[m]
        for i in range(hidden):
            s = s + w_out[m * hidden + i] * new[i]
        logits.append(s)
    return logits.index(max(logits)), new


def _world(rng: np.random.Generator, n_features: int) -> tuple:
    """A random small world: (walls, start, object cells, features, height, width) build_batch accepts."""
    while True:
        height, width = (int(v) for v in rng.integers(3, 7, size=2))
        walls = rng.random(height * width) < 0.2
        free = np.flatnonzero(~walls)
        if len(free) < 4:
            continue
        cells = rng.choice(free, size=3, replace=False)
        feats = rng.integers(0, 2, size=(1, 2, n_features)).astype(float)
        try:
            build_batch(walls[None], cells[:1], cells[None, 1:], feats, height, width, 12)
        except Exception:  # an object walled off: draw again
            continue
        return walls, int(cells[0]), cells[1:], feats[0], height, width


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_compiled_network_moves_as_the_oracle_on_random_worlds_and_genomes(seed: int) -> None:
    """Every step of every episode (random worlds, random genomes; half of them with two output rows
    equal, so logits tie) goes where the oracle's move leads."""
    rng = np.random.default_rng(seed)
    f, steps = 3, 12
    hidden, radius = int(rng.integers(1, 6)), int(rng.integers(1, 3))
    cfg = agents.agent_config("neural", hidden=hidden, radius=radius)
    worlds = [_world(rng, f) for _ in range(3)]
    genomes = rng.normal(0.0, 1.0, size=(6, agents.genome_length(cfg, f)))
    layout = agents.genome_layout(cfg, f)
    for p, (lo, hi) in enumerate([(0, 4), (1, 3), (0, 2)]):  # ties: a later output row equal to an earlier
        w_out = genomes[p, slice(*layout["w_out"])].reshape(5, hidden)
        b_out = genomes[p, slice(*layout["b_out"])]
        w_out[hi], b_out[hi] = w_out[lo], b_out[lo]
        genomes[p, slice(*layout["w_out"])] = w_out.ravel()
        genomes[p, slice(*layout["b_out"])] = b_out
    checked = 0
    for walls, start, cells, feats, height, width in worlds:
        batch = build_batch(walls[None], np.array([start]), cells[None], feats[None], height, width, steps)
        ep, _ = _run(genomes, batch, f, hidden=hidden, radius=radius)
        for p in range(genomes.shape[0]):
            g, h = genomes[p].tolist(), [0.0] * hidden
            cell, remaining = start, {int(c): feats[k].tolist() for k, c in enumerate(cells)}
            for t in range(steps):
                move, h = _oracle_move(g, h, hidden, radius, f, walls.tolist(), remaining, height, width,
                                       cell)
                row, col = divmod(cell, width)
                y, z = (row - 1, col) if move == N else (row, col + 1) if move == E else \
                    (row + 1, col) if move == S else (row, col - 1) if move == W else (row, col)
                if 0 <= y < height and 0 <= z < width and not walls[y * width + z]:
                    cell = y * width + z
                remaining.pop(cell, None)
                assert ep.paths[p, 0, t + 1] == cell, (seed, p, t)
                checked += 1
    assert checked == 3 * 6 * steps


def test_episodes_are_deterministic() -> None:
    rng = np.random.default_rng(4)
    cfg = agents.agent_config("neural")
    walls, start, cells, feats, height, width = _world(rng, 2)
    batch = build_batch(walls[None], np.array([start]), cells[None], feats[None], height, width, 10)
    genomes = rng.normal(size=(5, agents.genome_length(cfg, 2)))
    first, _ = _run(genomes, batch, 2)
    second, _ = _run(genomes.copy(), batch, 2)
    assert np.array_equal(first.paths, second.paths) and np.array_equal(first.payoff, second.payoff)


def test_perception_strength_is_the_summed_input_weights_per_feature() -> None:
    cfg = agents.agent_config("neural", hidden=2)
    g = np.arange(agents.genome_length(cfg, 2), dtype=float) - 30.0
    policy = agents.decode(g[None], cfg, 2)
    w_in = np.abs(g[slice(*agents.genome_layout(cfg, 2)["w_in"])]).reshape(2, 9, 3)
    expected = [[w_in[:, :, 1].sum(), w_in[:, :, 2].sum()]]
    assert np.allclose(agents.agent_kind("neural").perceives(policy)[0], expected)
    assert policy.objective is None


@pytest.mark.parametrize(("key", "value"), [("hidden", 0), ("hidden", 65), ("radius", 4), ("radius", "one")])
def test_a_bad_agent_key_is_one_line(key: str, value: object) -> None:
    raw = tomllib.loads(SCENARIO.read_text(encoding="utf-8"))
    with pytest.raises(ScenarioError) as info:
        scenario.with_overrides(raw, str(SCENARIO), {f"agent.{key}": value})
    message = str(info.value)
    assert "\n" not in message and f"agent.{key}" in message and str(SCENARIO) in message
