"""Checkpoints: a run's exact position between two generations, as ``checkpoint-gNNNNN.npz`` plus
``checkpoint.json`` (never pickle); the JSON is the commit point, and a checkpoint that does not fit the
run is refused (docs/architecture.md, "Checkpoints")."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from evo.core import agents
from evo.core.checks import Int, Obj, Opt, Str
from evo.core.state import EvolutionState
from evo.errors import EvoError
from evo.evolution.log import Log
from evo.evolution.streams import STREAMS, Streams
from evo.lineage.store import LineageStore
from evo.runs import files, readback, scenarios

if TYPE_CHECKING:
    from evo.config.schema import Scenario

#: 2: the log rows moved from the JSON (one object per row, its keys repeated) into the NPZ (one table).
#: 3: worlds are drawn from per-world keyed streams and the selection and variation streams are numpy
#: generators (were ``random.Random``), results format 5: a checkpoint of format 1 or 2 holds states this
#: evo cannot continue, and is refused (:data:`_OLD`)
FORMAT = 3
#: formats this evo refuses, and why
_OLD = {1: "the log in the JSON, random.Random selection/variation streams, worlds drawn another way",
        2: "random.Random selection/variation streams, worlds drawn another way"}
JSON = "checkpoint.json"


def _npz_name(generation: int) -> str:
    return f"checkpoint-g{generation:05d}.npz"


def npz_path(run_dir: Path) -> Path:
    """The NPZ the current ``checkpoint.json`` names."""
    data = readback.read_json_object(run_dir / JSON)
    name = data.get("npz")
    if not isinstance(name, str) or "/" in name or not name.startswith("checkpoint-"):
        raise EvoError(f"{run_dir / JSON}: key 'npz': expected a checkpoint file name, got {name!r}")
    return run_dir / name


def _digest(path: Path) -> str:
    with open(path, "rb") as fh:  # streamed: a checkpoint of any size is hashed in a small buffer
        return hashlib.file_digest(fh, "sha256").hexdigest()


def scenario_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def save(run_dir: Path, state: EvolutionState, rows: Log, streams: Streams,
         store: LineageStore | None, scenario_text: str) -> None:
    """Write the checkpoint of the position *before* evaluating ``state.generation``."""
    log = rows.to_array()
    if not np.isfinite(log).all():  # as JSON did for format 1: a checkpoint holds what it can restore
        g, j = (int(x) for x in np.argwhere(~np.isfinite(log))[0])
        raise EvoError(f"{run_dir}: cannot checkpoint generation {state.generation}: log column "
                       f"{rows.header[j]!r} of generation {g} is {float(log[g, j])!r}, not a finite number")
    arrays: dict[str, Any] = {"genomes": state.genomes, "ids": state.ids, "parents": state.parents,
                              "log": log, "log_columns": np.array(rows.header, dtype=str),
                              "log_int_columns": np.array(rows.int_columns, dtype=bool)}
    if store is not None:
        arrays.update({f"lineage.{k}": v for k, v in store.to_arrays().items()})
    npz = run_dir / _npz_name(state.generation)
    files.write_npz(npz, arrays)
    files.write_json(run_dir / JSON, _sealed({
        "format": FORMAT,
        "generation": state.generation,
        "next_id": state.next_id,
        "seed": streams.seed,
        "streams": streams.snapshot(),
        "lineage_mode": None if store is None else store.mode,
        "npz": npz.name,
        "npz_sha256": _digest(npz),
        "scenario_sha256": scenario_digest(scenario_text),
    }))
    for old in run_dir.glob("checkpoint-g*.npz"):
        if old != npz:
            old.unlink(missing_ok=True)


def _payload_digest(payload: dict[str, Any]) -> str:
    body = {k: v for k, v in payload.items() if k != "digest"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode("utf-8")).hexdigest()


def _sealed(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload with a digest of its own content, so an edited checkpoint is refused, not trusted."""
    return {**payload, "digest": _payload_digest(payload)}


def exists(run_dir: Path) -> bool:
    return (run_dir / JSON).exists()


def _log_keys(s: Scenario) -> list[str]:
    """Columns every log row of the scenario has (:func:`evo.runs.readback.log_columns`)."""
    like = {"shift": dict.fromkeys(s.worlds.shift), "agent_kind": s.agent.kind, "features": list(s.features)}
    if s.true_objective is not None:
        like["true"] = {}
    return readback.log_columns(like)


_COMMON = {
    "generation": Int(0), "next_id": Int(0), "seed": Int(0),
    "streams": Obj({name: Obj({}) for name in STREAMS}),
    "lineage_mode": Opt(Str(("pruned", "full"))),
    "npz": Str(nonempty=True), "npz_sha256": Str(), "scenario_sha256": Str(),
}
_FIELDS = Obj(_COMMON)


def restore(run_dir: Path, streams: Streams, store: LineageStore | None, scenario_text: str,
         scenario: Scenario
         ) -> tuple[EvolutionState, Log, LineageStore | None]:
    """Restore the position saved in ``run_dir``: sets ``streams`` in place; returns the population state,
    the log rows so far and the restored lineage store (``store`` is a fresh one of the right kind).

    Besides the digests, the restored state is validated against ``scenario`` (the run's, resolved), so
    that a checkpoint edited with its digests recomputed is refused rather than continued: population
    size ``evolution.population``, genomes of the agent's genome length, ids unique, non-negative and below
    ``next_id``, parents -1 (none) or older ids, ``0 ≤ generation < evolution.generations``, one log row
    per generation before it, the lineage store complete and continuing into this population. Anything
    else raises :class:`EvoError` naming the file and the key or member."""
    where = run_dir / JSON
    data = readback.read_json_object(where)
    try:
        digest_ok = data.get("digest") == _payload_digest(data)
    except (TypeError, ValueError, RecursionError):
        digest_ok = False
    if not digest_ok:
        raise EvoError(f"{where}: edited or corrupt (its content does not match its digest)")
    fmt = data.get("format")
    if isinstance(fmt, int) and not isinstance(fmt, bool) and fmt in _OLD:
        readback.fail(where, "key 'format'", f"checkpoint format {FORMAT}", readback.Said(
            f"format {fmt} ({_OLD[fmt]}: written by an older evo; start the run again)"))
    if fmt != FORMAT or isinstance(fmt, bool):
        readback.fail(where, "key 'format'", f"checkpoint format {FORMAT}",
                      data.get("format", readback.Said("nothing")))
    _FIELDS.check(data, where, "")
    if data["scenario_sha256"] != scenario_digest(scenario_text):
        raise EvoError(f"{where}: the checkpoint belongs to another scenario than "
                       f"{run_dir / 'scenario.toml'} (it was edited after the run started)")
    if data["seed"] != streams.seed:
        readback.fail(where, "key 'seed'", f"{streams.seed} (meta.json)", data["seed"])
    e = scenario.evolution
    generation, next_id = data["generation"], data["next_id"]
    if generation >= e.generations:
        readback.fail(where, "key 'generation'", f"a generation from 0 to {e.generations - 1} (the "
                      f"scenario's evolution.generations is {e.generations}; a checkpoint is written before "
                      "a generation is evaluated)", generation)
    npz = npz_path(run_dir)
    if not npz.exists() or data["npz_sha256"] != _digest(npz):
        raise EvoError(f"{npz}: missing or does not match {where} (a corrupt checkpoint)")
    # a resumed run is allowed the memory its scenario's runs need anyway, a crafted NPZ no more
    arrays = readback.read_npz(npz, scenarios.peak_memory(scenarios.memory_estimate(scenario)))
    rows = _log(npz, arrays)
    _check_log(npz, rows, generation, _log_keys(scenario))
    p = e.population
    g = agents.genome_length(scenario.agent, len(scenario.features))
    genomes = readback.check_array(npz, "genomes", arrays.get("genomes"), "float", (p, g),
                                   what="(evolution.population × the genome length of a "
                                   f"{scenario.agent.kind} agent with {len(scenario.features)} features)")
    per = "(one per individual: evolution.population)"
    ids = readback.check_array(npz, "ids", arrays.get("ids"), "int", (p,), lo=0, hi=next_id - 1,
                               what=per + f", below key 'next_id' ({next_id}) of {JSON}")
    if len(set(ids.tolist())) != p:
        readback.fail(npz, "member 'ids'", "distinct ids", readback.Said("an id twice"))
    parents = readback.check_array(npz, "parents", arrays.get("parents"), "int", (p, 2), lo=-1,
                                   hi=next_id - 1, what=per)
    older = (parents < ids[:, None]) | (parents == -1)
    if not older.all():
        bad = int(np.flatnonzero(~older.all(axis=1))[0])
        readback.fail(npz, f"member 'parents', row {bad}",
                      f"-1 (no parent) or the id of an older individual (below {int(ids[bad])})",
                      parents[bad].tolist())
    mode = data["lineage_mode"]
    if mode != (None if store is None else store.mode):
        readback.fail(where, "key 'lineage_mode'",
                      repr(store.mode) if store is not None else "null (evolution.lineage is 'off')", mode)
    if store is not None:
        lineage = {k.removeprefix("lineage."): v for k, v in arrays.items() if k.startswith("lineage.")}
        store = LineageStore.from_arrays(store.spec, store.mode, lineage, str(npz), "lineage.")
        store.check_position(generation, ids, parents, genomes, str(npz), "lineage.")
    try:
        streams.restore(data["streams"])
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError) as exc:
        raise EvoError(f"{where}: key 'streams': expected the state of every random stream, got a corrupt "
                       f"one ({type(exc).__name__}: {str(exc)[:100]})") from None
    return EvolutionState(generation, genomes, ids, parents, next_id), rows, store


def _log(npz: Path, arrays: dict[str, Any]) -> Log:
    header = readback.check_array(npz, "log_columns", arrays.get("log_columns"), "str", (None,))
    ints = readback.check_array(npz, "log_int_columns", arrays.get("log_int_columns"), "bool",
                                (len(header),), what="(one per member 'log_columns')")
    values = readback.check_array(npz, "log", arrays.get("log"), "float", (None, len(header)),
                                  what="(rows × member 'log_columns')")
    if len(set(header.tolist())) != len(header):
        readback.fail(npz, "member 'log_columns'", "distinct column names", readback.Said("a name twice"))
    if ints.tolist() != [c == "gen" for c in header.tolist()]:
        readback.fail(npz, "member 'log_int_columns'", "true for column 'gen' only (the one integer column)",
                      readback.Said(f"true for {[str(c) for c in header[ints]]}"))
    at = np.flatnonzero(ints & (values != np.round(values)).any(axis=0))
    if at.size:
        readback.fail(npz, "member 'log'", f"integers in column {str(header[at[0]])!r} (member "
                      "'log_int_columns' says so)", readback.Said("a fraction"))
    return Log.from_array(header.tolist(), ints.tolist(), values)


def _check_log(where: Path, rows: Log, generation: int, keys: list[str]) -> None:
    """One row per generation before ``generation``, numbered from 0, with every column ``keys`` names."""
    if len(rows) != generation:
        readback.fail(where, "the log", f"{generation} rows (one per generation before key 'generation' of "
                      f"{JSON})", readback.Said(f"{len(rows)} rows"))
    if not generation:
        return
    missing = [c for c in keys if c not in rows.header]
    if missing:
        readback.fail(where, f"log column {missing[0]!r}", "a number in every row (every log row has it)",
                      readback.Said("nothing (it is missing)"))
    gens = rows.column("gen")
    wrong = np.flatnonzero(gens != np.arange(generation))
    if wrong.size:
        k = int(wrong[0])
        readback.fail(where, f"log row {k}, column 'gen'", f"generation {k}", int(gens[k]))


def remove(run_dir: Path) -> None:
    (run_dir / JSON).unlink(missing_ok=True)
    for npz in run_dir.glob("checkpoint-g*.npz"):
        npz.unlink(missing_ok=True)
