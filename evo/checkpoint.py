"""Checkpoints: a run's exact position between two generations, saved as NPZ + JSON (never pickle).

``checkpoint-gNNNNN.npz`` holds the arrays (population genomes, ids, parents; the lineage store);
``checkpoint.json`` holds the rest (generation, next id, every random stream's state, the log rows so far),
the name and SHA-256 of its NPZ and the SHA-256 of the resolved scenario. Both are written atomically (temp
file, fsync, rename), the new NPZ under a new name first: the JSON is the commit point, so a kill between
the two leaves the previous JSON and the NPZ it names intact. Older NPZs are removed after the commit. A JSON
whose digests do not match is refused. Loading restores the streams
and the store so that the run continues exactly as if it had never stopped.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from evo import lineage as lineage_mod
from evo import results
from evo.errors import EvoError
from evo.evolution import EvolutionState, Streams

FORMAT = 1
JSON = "checkpoint.json"


def _npz_name(generation: int) -> str:
    return f"checkpoint-g{generation:05d}.npz"


def npz_path(run_dir: Path) -> Path:
    """The NPZ the current ``checkpoint.json`` names."""
    data = results.read_json(run_dir / JSON)
    name = data.get("npz") if isinstance(data, dict) else None
    if not isinstance(name, str) or "/" in name or not name.startswith("checkpoint-"):
        raise EvoError(f"{run_dir / JSON}: key 'npz': expected a checkpoint file name, got {name!r}")
    return run_dir / name


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def scenario_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def save(run_dir: Path, state: EvolutionState, rows: list[dict[str, float]], streams: Streams,
         store: lineage_mod.LineageStore | None, scenario_text: str) -> None:
    """Write the checkpoint of the position *before* evaluating ``state.generation``."""
    arrays: dict[str, Any] = {"genomes": state.genomes, "ids": state.ids, "parents": state.parents}
    if store is not None:
        arrays.update({f"lineage.{k}": v for k, v in store.to_arrays().items()})
    npz = run_dir / _npz_name(state.generation)
    results.write_npz(npz, arrays)
    results.write_json(run_dir / JSON, _sealed({
        "format": FORMAT,
        "generation": state.generation,
        "next_id": state.next_id,
        "seed": streams.seed,
        "streams": streams.snapshot(),
        "log": rows,
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


def load(run_dir: Path, streams: Streams, store: lineage_mod.LineageStore | None, scenario_text: str
         ) -> tuple[EvolutionState, list[dict[str, float]], lineage_mod.LineageStore | None]:
    """Restore the position saved in ``run_dir``: sets ``streams`` in place; returns the population state,
    the log rows so far and the restored lineage store (``store`` is a fresh one of the right kind)."""
    where = run_dir / JSON
    data = results.read_json(where)
    try:
        if not isinstance(data, dict) or data.get("digest") != _payload_digest(data):
            raise EvoError(f"{where}: edited or corrupt (its content does not match its digest)")
        if data.get("format") != FORMAT:
            raise EvoError(f"{where}: key 'format': expected {FORMAT}, got {data.get('format')!r}")
        if data["scenario_sha256"] != scenario_digest(scenario_text):
            raise EvoError(f"{where}: the checkpoint belongs to another scenario than "
                           f"{run_dir / 'scenario.toml'} (it was edited after the run started)")
        if data["seed"] != streams.seed:
            raise EvoError(f"{where}: key 'seed': expected {streams.seed} (meta.json), got {data['seed']!r}")
        npz = npz_path(run_dir)
        if not npz.exists() or data["npz_sha256"] != _digest(npz):
            raise EvoError(f"{npz}: missing or does not match {where} (a corrupt checkpoint)")
        arrays = results.read_npz(npz)
        generation, next_id = int(data["generation"]), int(data["next_id"])
        genomes = np.asarray(arrays["genomes"], dtype=np.float64)
        ids = np.asarray(arrays["ids"], dtype=np.int64)
        parents = np.asarray(arrays["parents"], dtype=np.int64)
        if genomes.ndim != 2 or ids.shape != (genomes.shape[0],) or parents.shape != (genomes.shape[0], 2):
            raise EvoError(f"{npz}: population arrays of inconsistent shapes")
        rows = [dict(r) for r in data["log"]]
        if len(rows) != generation or any(not isinstance(r, dict) for r in rows):
            raise EvoError(f"{where}: key 'log': expected {generation} rows, got {len(rows)}")
        streams.restore(data["streams"])
        if store is not None:
            if data.get("lineage_mode") != store.mode:
                raise EvoError(f"{where}: key 'lineage_mode': expected {store.mode!r}, "
                               f"got {data.get('lineage_mode')!r}")
            lineage = {k.removeprefix("lineage."): v for k, v in arrays.items() if k.startswith("lineage.")}
            store = lineage_mod.LineageStore.from_arrays(store.spec, store.mode, lineage)
    except EvoError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise EvoError(f"{where}: a corrupt checkpoint ({type(exc).__name__}: {exc})") from None
    return EvolutionState(generation, genomes, ids, parents, next_id), rows, store


def remove(run_dir: Path) -> None:
    (run_dir / JSON).unlink(missing_ok=True)
    for npz in run_dir.glob("checkpoint-g*.npz"):
        npz.unlink(missing_ok=True)
