"""Every file the tool reads back is validated on read: a malformed run directory (the corpus in
tests/data/bad_results/), a crafted checkpoint whose digests were recomputed, names with dots or beyond
ASCII. Each failure is one line naming the file, the key and what was expected; never a traceback."""

from __future__ import annotations

import csv
import io
import json
import math
import random
import shutil
import traceback
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import crafted
import numpy as np
import pytest
from conftest import interrupted_run

from evo import api, cli
from evo.core import checks
from evo.errors import EvoError
from evo.lineage import formats, phylogeny
from evo.runs import checkpoint, readback
from evo.runs import files as results
from evo.runs import scenarios as scenario_mod

CORPUS_DIR = Path(__file__).resolve().parents[1] / "data" / "bad_results"
CORPUS = sorted(p.parent for p in CORPUS_DIR.glob("*/expected.txt") if p.parent.name != "sweeps")
CONTROL_FILES = {"expected.txt", "commands.txt", "edit.json", "note.txt"}


@pytest.fixture(scope="module")
def base_run(tmp_path_factory) -> Path:
    from conftest import TINY

    out = tmp_path_factory.mktemp("readback") / "run"
    api.run(scenario_mod.loads(TINY, source="tiny.toml"), seed=0, out=out, figures=False)
    return out


# --------------------------------------------------------------------------------------------------------
# the corpus


def _special(value: Any, run: Path) -> Any:
    if value == "$NaN":
        return math.nan
    if value == "$CHAMPION_ONLY":
        return [json.loads((run / "summary.json").read_text())["lineage"]["champion"]["id"]]
    return value


def _edit_json(path: Path, op: dict[str, Any], run: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    keys = op.get("set", op.get("delete"))
    node = data
    for k in keys[:-1]:
        node = node[k]
    if "set" in op:
        node[keys[-1]] = _special(op["value"], run)
    else:
        del node[keys[-1]]
    path.write_text(json.dumps(data), encoding="utf-8")


def _edit_csv(path: Path, op: dict[str, Any]) -> None:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    header, body = rows[0], rows[1:]
    if "drop_column" in op:
        j = header.index(op["drop_column"])
        rows = [[c for k, c in enumerate(r) if k != j] for r in rows]
        header, body = rows[0], rows[1:]
    elif "drop_row" in op:
        del body[op["drop_row"] - 1]
    elif "duplicate_row" in op:
        r = op["duplicate_row"] - 1
        body.insert(r + 1, list(body[r]))
    elif "truncate_row" in op:
        r = op["truncate_row"] - 1
        body[r] = body[r][: op["fields"]]
    elif "genome_genes" in op:
        j = header.index("genome")
        for r in body:
            genes = r[j].strip("[]").split(",")[: op["genome_genes"]]
            r[j] = "[" + ", ".join(g.strip() for g in genes) + "]"
    else:
        body[op["row"] - 1][header.index(op["column"])] = op["value"]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([header, *body])
    path.write_text(buf.getvalue(), encoding="utf-8")


def _write_lying_npz(path: Path, arrays: dict[str, np.ndarray], member: str, shape: list[int]) -> None:
    """An NPZ whose member ``member`` has a .npy header claiming ``shape`` over its real (small) data."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, a in arrays.items():
            buf = io.BytesIO()
            if name == member:
                np.lib.format.write_array_header_1_0(buf, {"descr": np.lib.format.dtype_to_descr(a.dtype),
                                                           "fortran_order": False, "shape": tuple(shape)})
                buf.write(a.tobytes())
            else:
                np.lib.format.write_array(buf, a, allow_pickle=False)
            zf.writestr(f"{name}.npy", buf.getvalue())


def _edit_npz(path: Path, op: dict[str, Any]) -> None:
    arrays = dict(np.load(path))
    m = op.get("member")
    if "drop" in op:
        del arrays[op["drop"]]
    elif "declare_shape" in op:
        _write_lying_npz(path, arrays, m, op["declare_shape"])
        return
    elif "rows" in op:
        arrays[m] = arrays[m][: op["rows"]]
    elif "at" in op:
        a = arrays[m].copy()
        value = a[0] if op["value"] == "$ROW0" else _special(op["value"], path)
        a[tuple(op["at"])] = value
        arrays[m] = a
    elif "value" in op:
        arrays[m] = np.array(op["value"], dtype=op.get("dtype"))
    else:
        arrays[m] = arrays[m].astype(op["dtype"])
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)  # numpy pickles an object array: exactly what a reader must refuse


def _prepare(case: Path, base: Path, tmp_path: Path) -> Path:
    run = tmp_path / "run"
    shutil.copytree(base, run)
    for f in case.iterdir():
        if f.name not in CONTROL_FILES:
            shutil.copyfile(f, run / f.name)
    edits = json.loads((case / "edit.json").read_text()) if (case / "edit.json").exists() else []
    for op in edits:
        path = run / op["file"]
        if "generate" in op:
            crafted.generate(path, op)
            continue
        editors = {".json": lambda p, o: _edit_json(p, o, run), ".csv": _edit_csv, ".npz": _edit_npz}
        editors[path.suffix](path, op)
    return run


def _figures(run: Path) -> int:
    """Every figure of the run, as the CLI would report an error (exit 2, one line)."""
    import sys

    try:
        api.RunResult.load(run).save_figures()
    except EvoError as exc:
        print(f"evo: error: {exc}", file=sys.stderr)
        return 2
    return 0


COMMANDS: dict[str, Callable[[Path], int]] = {
    "show": lambda run: cli.main(["show", str(run)]),
    "lineage": lambda run: cli.main(["lineage", str(run)]),
    "probe": lambda run: cli.main(["probe", str(run), "--no-figures", "--layouts", "1"]),
    "figures": _figures,
}


def test_corpus_is_large_and_small() -> None:
    assert len(CORPUS) >= 50
    for case in CORPUS:
        assert (case / "commands.txt").read_text().split(), case
        assert set((case / "commands.txt").read_text().split()) <= set(COMMANDS), case
        for f in case.iterdir():
            assert f.stat().st_size <= 4096, f


def test_the_untouched_run_passes_every_command(base_run: Path, tmp_path: Path, capsys) -> None:
    run = tmp_path / "run"
    shutil.copytree(base_run, run)
    for name, command in COMMANDS.items():
        assert command(run) == 0, (name, capsys.readouterr().err)
    capsys.readouterr()


def _outcome(name: str, run: Path, capsys) -> tuple[int | None, str]:
    capsys.readouterr()
    try:
        code = COMMANDS[name](run)
    except Exception:  # an escaped exception is the traceback the user would see
        return None, traceback.format_exc()
    return code, capsys.readouterr().err


@pytest.mark.parametrize("case", CORPUS, ids=lambda p: p.name)
def test_malformed_run_gives_one_line(case: Path, base_run: Path, tmp_path: Path, capsys) -> None:
    expected = (case / "expected.txt").read_text(encoding="utf-8").splitlines()[0].strip()
    run = _prepare(case, base_run, tmp_path)
    commands = (case / "commands.txt").read_text().split()
    for name in commands:
        code, err = _outcome(name, run, capsys)
        assert code is not None, f"evo {name}: a traceback instead of one line:\n{err}"
        assert code == 2, (name, code, err)
        assert "Traceback" not in err and err.count("\n") == 1, (name, err)
        assert err.startswith("evo: error: ") and expected in err, (name, expected, err)


# --------------------------------------------------------------------------------------------------------
# readers, directly


def test_deeply_nested_and_huge_json_are_one_error(tmp_path: Path) -> None:
    path = tmp_path / "summary.json"
    path.write_text("[" * 200_000 + "]" * 200_000)
    with pytest.raises(EvoError, match="not valid JSON"):
        readback.read_json_object(path)
    path.write_text('{"seed": ' + "9" * 5000 + "}")
    with pytest.raises(EvoError, match="not valid JSON"):
        readback.read_json_object(path)
    path.write_text('{"mean": 1e999}')  # parses as inf
    with pytest.raises(EvoError, match=r"key 'mean': expected a finite number, got inf"):
        checks.Obj({"mean": checks.Num()}).check(readback.read_json_object(path), path, "")
    (tmp_path / "dir.json").mkdir()
    with pytest.raises(EvoError, match="cannot be read"):
        readback.read_json_object(tmp_path / "dir.json")


def test_read_npz_never_allocates_what_a_header_claims(tmp_path: Path) -> None:
    path = tmp_path / "x.npz"
    _write_lying_npz(path, {"a": np.arange(4), "b": np.zeros((2, 3))}, "b", [10**9, 10**6])
    with pytest.raises(EvoError, match=r"member 'b.npy' declares shape \(1000000000, 1000000\)"):
        readback.read_npz(path)
    np.save(tmp_path / "plain.npy", np.arange(3))  # a .npy under an .npz name
    with pytest.raises(EvoError, match="not a readable NPZ"):
        readback.read_npz(tmp_path / "plain.npy")
    data = path.read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(EvoError, match="not a readable NPZ"):
        readback.read_npz(tmp_path / "cut.npz")


def test_read_npz_reads_what_numpy_writes(tmp_path: Path) -> None:
    arrays = {"f": np.asfortranarray(np.arange(12.0).reshape(3, 4)), "empty": np.zeros((0, 3)),
              "s": np.array(["blå", "q0.5"]), "big_endian": np.arange(3, dtype=">i4"), "scalar": np.array(7)}
    np.savez_compressed(tmp_path / "x.npz", **arrays)
    back = readback.read_npz(tmp_path / "x.npz")
    assert set(back) == set(arrays)
    for k, a in arrays.items():
        assert back[k].dtype == a.dtype and back[k].shape == a.shape and np.array_equal(back[k], a), k


def test_a_written_run_passes_every_reader(base_run: Path) -> None:
    summary = readback.read_summary(base_run)
    assert readback.read_meta(base_run, summary)["status"] == "done"
    assert set(readback.log_columns(summary)) <= set(readback.read_log(base_run, summary))
    assert readback.read_population(base_run, summary)["genomes"].shape == (24, 4)
    assert readback.read_episodes(base_run, summary)["names"].tolist() == ["train", "blue_doors"]
    assert readback.read_founders(base_run, summary)["generation"].max() == 5
    phy = formats.parse_csv((base_run / "lineage.csv").read_text(), "lineage.csv")
    phylogeny.check_against_summary(phy, summary)


def _learner_text() -> str:
    """The tiny scenario with learners: lives of 2 episodes, the door felt (not seen), gems hidden."""
    from conftest import TINY

    return TINY.replace('kind = "mesa"', 'kind = "learner"\nlifetime = 2').replace(
        'features = ["red", "blue", "door", "gem"]',
        'features = ["red", "blue", "door", "gem"]\nfelt = ["door"]\nhidden = ["gem"]')


@pytest.mark.parametrize("variant", ["reflex", "hybrid", "no shift", "mu_comma_lambda", "learner"])
def test_every_kind_of_run_reads_back_and_draws(variant: str, tmp_path: Path, capsys) -> None:
    """The validators accept everything the writers write: agents without a mesa-objective, hybrids, a
    scenario without a shift (no shift names at all), (μ, λ) replacement, learners (lives, senses)."""
    from conftest import TINY

    head, evolution = TINY.split("[evolution]")
    text = {"reflex": TINY.replace('kind = "mesa"', 'kind = "reflex"').replace(  # a reflex plans nothing
                "horizon = 8\ndiscount = 0.7\n", ""),
            "hybrid": TINY.replace('kind = "mesa"', 'kind = "hybrid"'),
            "no shift": head.split("[worlds.shift.blue_doors]")[0] + "[evolution]" + evolution,
            "mu_comma_lambda": TINY.replace("eval_worlds = 8", "eval_worlds = 8\n"
                                            'replacement = "mu_comma_lambda"\noffspring = 30'),
            "learner": _learner_text()}[variant]
    out = tmp_path / "run"
    result = api.run(scenario_mod.loads(text, source="tiny.toml"), seed=0, out=out, figures=True)
    made = set(result.save_figures())
    assert {"fitness.png", "champion.png", "lineage_tree.png"} <= made
    assert ({"lifetime_fitness.png", "lifetime_learned.png", "lifetime_genes.png"} <= made) == (
        variant == "learner")
    assert cli.main(["show", str(out)]) == 0 and cli.main(["lineage", str(out), "--no-figures"]) == 0
    assert readback.read_episodes(out, result.summary)["names"][0] == "train"
    capsys.readouterr()


def test_a_learner_run_records_its_life_and_the_probe_sees_it_at_birth_and_at_the_end(tmp_path: Path,
                                                                                     capsys) -> None:
    out = tmp_path / "run"
    result = api.run(scenario_mod.loads(_learner_text(), source="tiny.toml"), seed=1, out=out, figures=False)
    life = result.summary["lifetime"]
    assert life["length"] == 2 and life["seen_features"] == ["red", "blue"]
    assert len(life["shift"]["blue_doors"]["base_fitness_by_age"]) == 2
    assert [len(v) for v in life["champion"]["learned_values"].values()] == [3, 3]  # birth + 2 episodes
    assert set(life["genes"]) == {"learning_rate", "curiosity"}
    # the mesa-objective is the innate reward r: felt features only
    assert {f for f, v in result.summary["champion"]["objective"].items() if v != 0} <= {"door"}
    # the champion's learned values at birth are its instinct v0 (the genome's v0 part, seen features only)
    layout = result.summary["champion"]["genome_layout"]
    v0 = result.summary["champion"]["genome"][layout["v0"][0]:layout["v0"][1]]
    assert life["champion"]["learned_values"]["train"][0] == {"red": v0[0], "blue": v0[1]}
    assert readback.read_episodes(out, result.summary)["train.age"] == 2
    assert cli.main(["probe", str(out), "--no-figures", "--layouts", "1"]) == 0
    printed = capsys.readouterr().out
    assert "that was at birth; after a life of 2 episodes in 'train' worlds" in printed
    probe = readback.read_probes(out, readback.read_summary(out))["train"]
    assert probe["at"] == "birth" and probe["end_of_life"]["lifetime"] == 2


LIFETIME_DEFECTS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "an age missing": (lambda s: s["lifetime"]["train"]["base_fitness_by_age"].pop(),
                       "key 'lifetime.train.base_fitness_by_age': expected one number per age of life (2"),
    "a shift missing": (lambda s: s["lifetime"]["shift"].clear(),
                        "key 'lifetime.shift': expected one key per shift of key 'shift'"),
    "an unseen feature": (lambda s: s["lifetime"]["innate_values_mean"].update(door=0.0),
                          "key 'lifetime.innate_values_mean': expected one key per seen feature"),
    "a value missing": (lambda s: s["lifetime"]["champion"]["learned_values"]["train"].pop(),
                        "key 'lifetime.champion.learned_values.train': expected the values at birth and "
                        "after each of 2 episodes (3)"),
    "a foreign seen feature": (lambda s: s["lifetime"]["seen_features"].append("smell"),
                               "key 'lifetime.seen_features': expected distinct names of key 'features'"),
    "not a number": (lambda s: s["lifetime"]["genes"]["learning_rate"].update(mean="fast"),
                     "key 'lifetime.genes.learning_rate.mean': expected a finite number"),
}


@pytest.mark.parametrize("defect", list(LIFETIME_DEFECTS))
def test_a_malformed_lifetime_section_is_one_error(defect: str, tmp_path: Path) -> None:
    out = tmp_path / "run"
    api.run(scenario_mod.loads(_learner_text(), source="tiny.toml"), seed=0, out=out, figures=False)
    summary = json.loads((out / "summary.json").read_text())
    edit, message = LIFETIME_DEFECTS[defect]
    edit(summary)
    (out / "summary.json").write_text(json.dumps(summary))
    with pytest.raises(EvoError) as err:
        readback.read_summary(out)
    assert message in str(err.value), str(err.value)
    assert str(err.value).count("\n") == 0


# --------------------------------------------------------------------------------------------------------
# checkpoints edited with their digests recomputed


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory) -> Path:
    """A tiny run (12 generations, a checkpoint every 3) stopped before generation 4."""
    from conftest import TINY

    text = TINY.replace("generations = 6", "generations = 12\ncheckpoint_every = 3")
    out = tmp_path_factory.mktemp("checkpoint") / "cut"
    interrupted_run(scenario_mod.loads(text, source="tiny.toml"), 1, out, stop_at_question=4)
    return out


def _craft(src: Path, tmp_path: Path, arrays_edit: Callable[[dict[str, np.ndarray]], None] | None = None,
           json_edit: Callable[[dict[str, Any]], None] | None = None) -> Path:
    """A copy of the interrupted run whose checkpoint was edited and then sealed again: digests of the NPZ
    and of the JSON recomputed, as an attacker (or a careless script) would."""
    out = tmp_path / "cut"
    shutil.copytree(src, out)
    npz = checkpoint.npz_path(out)
    arrays = dict(np.load(npz))
    if arrays_edit is not None:
        arrays_edit(arrays)
    results.write_npz(npz, arrays)
    data = json.loads((out / checkpoint.JSON).read_text())
    data.pop("digest")
    if json_edit is not None:
        json_edit(data)
    data["npz_sha256"] = checkpoint._digest(npz)
    (out / checkpoint.JSON).write_text(json.dumps(checkpoint._sealed(data)))
    return out


def test_a_resealed_unchanged_checkpoint_resumes(interrupted: Path, tmp_path: Path) -> None:
    out = _craft(interrupted, tmp_path)
    result = api.resume(out, figures=False)
    assert result.population["genomes"].shape == (24, 4)


def _rows(n: int) -> Callable[[dict[str, np.ndarray]], None]:
    def edit(a: dict[str, np.ndarray]) -> None:
        for k in ("genomes", "ids", "parents"):
            a[k] = a[k][:n]
    return edit


def _set(member: str, index: Any, value: Any) -> Callable[[dict[str, np.ndarray]], None]:
    def edit(a: dict[str, np.ndarray]) -> None:
        v = a[member].copy()
        v[index] = value(a) if callable(value) else value
        a[member] = v
    return edit


def _dead_record(a: dict[str, np.ndarray]) -> int:
    dead = a["lineage.rec.id"][~a["lineage.rec.alive"]]
    return int(dead[dead < a["ids"][5]][0])


ARRAY_DEFECTS = {
    "three individuals": (_rows(3), r"member 'genomes': expected shape \(24, 4\) \(evolution.population "
                                    r"× the genome length of a mesa agent with 4 features\), got shape "
                                    r"\(3, 4\)"),
    "short genomes": (lambda a: a.update(genomes=a["genomes"][:, :3]),
                      r"member 'genomes': expected shape \(24, 4\).*got shape \(24, 3\)"),
    "nan gene": (_set("genomes", (4, 2), np.nan),
                 r"member 'genomes': expected finite numbers, got nan at index \(4, 2\)"),
    "duplicate ids": (_set("ids", 3, lambda a: a["ids"][2]), r"member 'ids': expected distinct ids"),
    "id beyond next_id": (_set("ids", 3, 10**6), r"member 'ids': expected values from 0 to \d+.*got 1000000"),
    "negative id": (_set("ids", 3, -4), r"member 'ids': expected values from 0"),
    "ids as floats": (lambda a: a.update(ids=a["ids"].astype(float)),
                      r"member 'ids': expected an array of ints, got an array of dtype float64"),
    "parent beyond next_id": (_set("parents", (5, 0), 10**6), r"member 'parents': expected values from -1"),
    "own parent": (_set("parents", (5, 0), lambda a: a["ids"][5]),
                   r"member 'parents', row 5: expected -1 \(no parent\) or the id of an older individual"),
    "parent not alive": (_set("parents", (5, 0), _dead_record),
                         r"member 'parents', row 5: expected parents alive in generation 3"),
    "elite with another genome": (_set("genomes", (0, 0), 123.0),
                                  r"member 'genomes', row 0: expected the genome the lineage store holds"),
    "missing member": (lambda a: a.pop("parents"),
                       r"member 'parents': expected an array of ints, got nothing"),
    "lineage member missing": (lambda a: a.pop("lineage.hist.means"),
                               r"member 'lineage.hist.means': expected an array of floats, got nothing"),
    "lineage duplicate id": (_set("lineage.rec.id", 1, lambda a: a["lineage.rec.id"][0]),
                             r"member 'lineage.rec.id': expected distinct ids"),
    "lineage cycle": (_set("lineage.rec.first", 0, lambda a: a["lineage.rec.id"][-1]),
                      r"member 'lineage.rec.first': expected -1 or the id of an older individual"),
    "lineage reference count": (_set("lineage.rec.tree_refs", 0, 17),
                                r"member 'lineage.rec.tree_refs': expected \d+ in row 0"),
    "lineage births": (_set("lineage.counters", 1, 0), r"member 'lineage.counters': expected \[last observed "
                       r"generation ≥ -1, births ≥ records"),
    "lineage last generation": (_set("lineage.counters", 0, 7), r"member 'lineage.rec.last_seen': expected "
                                r"the last observed generation \(7\)"),
    "lineage genome width": (lambda a: a.update({"lineage.rec.genome": a["lineage.rec.genome"][:, :2]}),
                             r"member 'lineage.rec.genome': expected shape \(\d+, 4\)"),
    "lineage unknown class": (_set("lineage.rec.goal", 0, "evil"),
                              r"member 'lineage.rec.goal': expected class names"),
    "lineage alive flag": (_set("lineage.rec.alive", 0, lambda a: not a["lineage.rec.alive"][0]),
                           r"member 'lineage.rec.alive'|member 'lineage.rec.last_seen'"),
    "lineage history": (_set("lineage.hist.generation", 1, 5), r"member 'lineage.hist.generation'"),
}


@pytest.mark.parametrize("defect", list(ARRAY_DEFECTS))
def test_crafted_checkpoint_arrays_are_refused(defect: str, interrupted: Path, tmp_path: Path) -> None:
    edit, message = ARRAY_DEFECTS[defect]
    out = _craft(interrupted, tmp_path, arrays_edit=edit)
    with pytest.raises(EvoError, match=message) as info:
        api.resume(out, figures=False)
    assert "\n" not in str(info.value) and "checkpoint-g" in str(info.value)


def _log_col(a: dict[str, np.ndarray], name: str) -> int:
    return a["log_columns"].tolist().index(name)


def _log_without(key: str) -> Callable[[dict[str, np.ndarray]], None]:
    def edit(a: dict[str, np.ndarray]) -> None:
        j = _log_col(a, key)
        a["log"] = np.delete(a["log"], j, axis=1)
        a["log_columns"] = np.delete(a["log_columns"], j)
        a["log_int_columns"] = np.delete(a["log_int_columns"], j)
    return edit


def _log_set(row: int, key: str, value: float) -> Callable[[dict[str, np.ndarray]], None]:
    def edit(a: dict[str, np.ndarray]) -> None:
        v = a["log"].copy()
        v[row, _log_col(a, key)] = value
        a["log"] = v
    return edit


LOG_DEFECTS = {
    "a log row missing": (lambda a: a.update(log=a["log"][:-1]),
                          r"the log: expected 4 rows \(one per generation before key 'generation'"),
    "a log column missing": (_log_without("train_mean"),
                             r"log column 'train_mean': expected a number in every row"),
    "a log row out of order": (_log_set(1, "gen", 3),
                               r"log row 1, column 'gen': expected generation 1, got 3"),
    "a fraction of a generation": (_log_set(1, "gen", 1.5),
                                   r"member 'log': expected integers in column 'gen'"),
    "a NaN in the log": (_log_set(1, "train_mean", math.nan),
                         r"member 'log': expected finite numbers, got nan at index \(1, \d+\)"),
    "log columns twice": (lambda a: a.update(log_columns=np.array(["gen"] * len(a["log_columns"]))),
                          r"member 'log_columns': expected distinct column names"),
    "log without its columns": (lambda a: a.pop("log_columns"),
                                r"member 'log_columns': expected an array of strs, got nothing"),
    "gen not an integer column": (_set("log_int_columns", 0, False),
                                  r"member 'log_int_columns': expected true for column 'gen' only"),
    "a float column called integer": (_set("log_int_columns", 3, True),
                                      r"member 'log_int_columns': expected true for column 'gen' only"),
    # caught when the resumed run records its first row, before any file is written
    "an extra log column": (lambda a: a.update(
        log=np.concatenate([a["log"], np.zeros((len(a["log"]), 1))], axis=1),
        log_columns=np.append(a["log_columns"], "extra"), log_int_columns=np.append(a["log_int_columns"],
                                                                                   False)),
                            r"checkpoint.json: the log it holds does not have the columns this run records"),
    "log columns reordered": (lambda a: a.update(log=a["log"][:, ::-1], log_columns=a["log_columns"][::-1],
                                                 log_int_columns=a["log_int_columns"][::-1]),
                              r"checkpoint.json: the log it holds does not have the columns"),
}


@pytest.mark.parametrize("defect", list(LOG_DEFECTS))
def test_crafted_checkpoint_log_is_refused(defect: str, interrupted: Path, tmp_path: Path) -> None:
    edit, message = LOG_DEFECTS[defect]
    out = _craft(interrupted, tmp_path, arrays_edit=edit)
    with pytest.raises(EvoError, match=message) as info:
        api.resume(out, figures=False)
    assert "\n" not in str(info.value) and "checkpoint" in str(info.value)
    assert not (out / "log.csv").exists() and json.loads((out / "meta.json").read_text())["status"] != "done"


def _random_streams(d: dict[str, Any]) -> None:
    """The streams as evo wrote them before checkpoint format 3: selection and variation were
    ``random.Random`` states (version, 625 words, cached Gaussian)."""
    for name in ("selection", "variation"):
        version, internal, gauss = random.Random(1).getstate()
        d["streams"][name] = {"random": [version, list(internal), gauss]}


@pytest.mark.parametrize("old", [1, 2])
def test_a_checkpoint_of_an_older_format_is_refused_not_misread(old: int, interrupted: Path,
                                                                 tmp_path: Path) -> None:
    """A checkpoint whose selection/variation streams are ``random.Random`` states (formats 1 and 2)
    cannot continue on numpy streams: one line naming the file and the format."""
    out = _craft(interrupted, tmp_path, json_edit=lambda d: (_random_streams(d), d.update(format=old)))
    with pytest.raises(EvoError) as info:
        api.resume(out, figures=False)
    message = str(info.value)
    assert "\n" not in message and str(out / checkpoint.JSON) in message
    assert f"key 'format': expected checkpoint format {checkpoint.FORMAT}, got format {old} (" in message
    assert "random.Random" in message and json.loads((out / "meta.json").read_text())["status"] != "done"


def test_old_streams_under_the_current_format_are_refused_as_corrupt(interrupted: Path,
                                                                      tmp_path: Path) -> None:
    out = _craft(interrupted, tmp_path, json_edit=_random_streams)
    with pytest.raises(EvoError, match=r"checkpoint.json: key 'streams': expected the state of every random "
                       r"stream, got a corrupt one \(KeyError"):
        api.resume(out, figures=False)


JSON_DEFECTS = {
    "generation past the end": (lambda d: d.update(generation=12),
                                r"key 'generation': expected a generation from 0 to 11"),
    "generation as text": (lambda d: d.update(generation="4"),
                           r"key 'generation': expected an integer ≥ 0, got '4'"),
    "next_id as text": (lambda d: d.update(next_id="x"), r"key 'next_id': expected an integer ≥ 0, got 'x'"),
    "next_id too small": (lambda d: d.update(next_id=5), r"member 'ids': expected values from 0 to 4"),
    "lineage mode": (lambda d: d.update(lineage_mode="full"),
                     r"key 'lineage_mode': expected 'pruned', got 'full'"),
    "streams": (lambda d: d["streams"]["init"].update(numpy={"bit_generator": "nope"}),
                r"key 'streams': expected the state of every random stream"),
    "a stream missing": (lambda d: d["streams"].pop("variation"),
                         r"key 'streams.variation': expected an object, got nothing"),
    "format": (lambda d: d.update(format=4), r"key 'format': expected checkpoint format 3, got 4"),
    "no format": (lambda d: d.pop("format"), r"key 'format': expected checkpoint format 3, got nothing"),
    "format as text": (lambda d: d.update(format="3"),
                       r"key 'format': expected checkpoint format 3, got '3'"),
}


@pytest.mark.parametrize("defect", list(JSON_DEFECTS))
def test_crafted_checkpoint_json_is_refused(defect: str, interrupted: Path, tmp_path: Path) -> None:
    edit, message = JSON_DEFECTS[defect]
    out = _craft(interrupted, tmp_path, json_edit=edit)
    with pytest.raises(EvoError, match=message) as info:
        api.resume(out, figures=False)
    assert "\n" not in str(info.value)


def test_crafted_checkpoint_is_one_line_from_the_cli(interrupted: Path, tmp_path: Path, capsys) -> None:
    out = _craft(interrupted, tmp_path, arrays_edit=_rows(3))
    assert cli.main(["run", "--resume", str(out), "--quiet", "--no-figures"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "member 'genomes'" in err, err


def test_checkpoint_of_a_run_without_lineage_is_validated_too(tmp_path: Path) -> None:
    from conftest import TINY

    text = TINY.replace("generations = 6", 'generations = 9\ncheckpoint_every = 3\nlineage = "off"')
    src = tmp_path / "src"
    interrupted_run(scenario_mod.loads(text, source="tiny.toml"), 2, src, stop_at_question=4)
    out = _craft(src, tmp_path / "a", arrays_edit=_rows(3))
    with pytest.raises(EvoError, match=r"member 'genomes': expected shape \(24, 4\)"):
        api.resume(out, figures=False)
    out = _craft(src, tmp_path / "b", json_edit=lambda d: d.update(lineage_mode="pruned"))
    with pytest.raises(EvoError, match=r"key 'lineage_mode': expected null \(evolution.lineage is 'off'\)"):
        api.resume(out, figures=False)


# --------------------------------------------------------------------------------------------------------
# names with dots and beyond ASCII


@pytest.mark.parametrize("shift", ["q0.5", "blå_dörrar", "门.v2"])
def test_shift_names_with_dots_and_unicode_draw_every_figure(shift: str, tmp_path: Path, capsys) -> None:
    """A shift named "q0.5" used to crash every figure (log columns were split on "."); names beyond ASCII
    go through every file, figure and command as well."""
    from conftest import TINY

    text = TINY.replace("[worlds.shift.blue_doors]", f'[worlds.shift."{shift}"]')
    s = scenario_mod.loads(text, source="tiny.toml")
    assert list(s.worlds.shift) == [shift]
    feature = "red"
    out = tmp_path / "run"
    api.run(s, seed=0, out=out, figures=True)
    from evo.plots.lineage import FIGURES as LINEAGE_FIGURES
    from evo.plots.run import FIGURES

    drawn = {p.name for p in (out / "figures").glob("*.png")}
    assert set(FIGURES) - {"horizon.png"} | set(LINEAGE_FIGURES) <= drawn
    log = readback.read_log(out, readback.read_summary(out))
    assert f"shift.{shift}.sample_mean" in log and f"w.{feature}" in log
    capsys.readouterr()
    assert cli.main(["show", str(out)]) == 0
    assert cli.main(["lineage", str(out), "--no-figures"]) == 0
    assert cli.main(["probe", str(out), "--world", shift, "--no-figures", "--layouts", "1"]) == 0
    assert shift in capsys.readouterr().out
    assert readback.read_probes(out, readback.read_summary(out))[shift]["features"][0] == feature
