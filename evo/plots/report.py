"""``evo report RUN_DIR``: one self-contained HTML file to watch a run (or a sweep) in a browser, offline
(docs/report.md; docs/architecture.md, "Figures")."""

from __future__ import annotations

import html
import json
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import to_hex

from evo.errors import EvoError
from evo.lineage import phylogeny
from evo.plots import replay
from evo.plots.lineage import GOAL_LABELS, _layout, read_lineage
from evo.plots.run import CLASS_COLOURS, CLASS_LABELS, NAMED_COLOURS, object_style
from evo.runs import files, owned, readback

#: at most this many members of the final population are in the page (the champion besides), chosen to
#: cover every behaviour class present (docs/report.md): each episode is a few hundred bytes, so the page
#: stays well under a megabyte of data for the shipped scenarios
SAMPLE = 40
#: the colour map of the inner-goal trait in every view (diverging, centred on zero)
TRAIT_CMAP = "RdBu_r"


def _sample(pop: dict[str, Any], champion_index: int, n: int = SAMPLE) -> list[int]:
    """Indices into the final population: the champion, then per behaviour class a share of ``n``
    proportional to its size (at least one per class present), best train fitness first, evenly spaced."""
    classes = pop["behaviour_classes"].astype(str)
    fitness = pop["train_fitness"]
    total = len(classes)
    chosen = {champion_index}
    for cls in sorted(set(classes.tolist())):
        members = np.flatnonzero(classes == cls)
        members = members[np.argsort(-fitness[members], kind="stable")]
        take = min(len(members), max(1, round(n * len(members) / total)))
        picks = members[np.unique(np.linspace(0, len(members) - 1, take).round().astype(int))]
        chosen.update(int(i) for i in picks)
    return sorted(chosen)


def _episode_json(ep: replay.Episode) -> dict[str, Any]:
    out: dict[str, Any] = {"cells": ep.cells.tolist(), "consumed": ep.consumed.tolist(),
                           "payoff": [round(float(x), 4) for x in ep.payoff], "target": ep.target.tolist()}
    if ep.true_payoff is not None:
        out["true"] = [round(float(x), 4) for x in ep.true_payoff]
    return out


def _shape(features: list[str]) -> tuple[str, str]:
    return object_style(features)


def _worlds_json(rep: replay.Replay) -> list[dict[str, Any]]:
    out = []
    for world in rep.worlds:
        objects = []
        for k, (cell, feat) in enumerate(zip(world.obj_cell, world.obj_feat, strict=True)):
            fs = [f for f, x in zip(rep.features, feat, strict=True) if x > 0]
            colour, marker = _shape(fs)
            objects.append({"cell": int(cell), "features": fs, "colour": colour, "marker": marker,
                            "parent": int(world.parent[k])})
        out.append({"name": world.name, "label": "train world" if world.name == "train"
                    else f"shift '{world.name}'", "height": world.height, "width": world.width,
                    "steps": world.steps, "walls": [int(x) for x in world.walls], "start": world.start,
                    "objects": objects})
    return out


def _curves(run: Path, summary: dict[str, Any]) -> dict[str, Any]:
    log = readback.read_log(run, summary)
    gen = log["gen"].astype(int).tolist()

    def series(key: str, label: str, colour: str, dash: str = "") -> dict[str, Any]:
        return {"label": label, "colour": colour, "dash": dash,
                "values": [round(float(v), 4) for v in log[key]]}

    fitness = [series("train_mean", "train: population mean", "#1971c2"),
               series("train_best", "train: best", "#1971c2", "3 3")]
    if "true_mean" in log:
        fitness.append(series("true_mean", "true objective: population mean", "#2b8a3e"))
    for c, name in zip(["#e03131", "#f08c00", "#9c36b5", "#2f9e44"], sorted(summary["shift"]), strict=False):
        fitness.append(series(f"shift.{name}.sample_mean", f"shift '{name}': sample mean", c))
        fitness.append(series(f"shift.{name}.elite", f"shift '{name}': best train agent", c, "3 3"))
    charts: list[dict[str, Any]] = [{"title": "fitness (mean payoff per episode − costs)", "series": fitness}]
    feats = summary["features"]
    if all(f"w.{f}" in log for f in feats):
        base = summary["base_objective"]
        charts.append({"title": "mean mesa-objective weight", "series": [
            series(f"w.{f}", f"w[{f}] (base objective pays {base.get(f, 0.0):g})",
                   NAMED_COLOURS.get(f, "#495057"), "" if f in NAMED_COLOURS else "5 3") for f in feats]})
    classes = [c for c in CLASS_COLOURS if f"behaviour_class.{c}" in log]
    if classes and summary["shift"]:
        charts.append({"title": "agent classes after the shift (fraction of the sampled agents)",
                       "range": [0, 1],
                       "series": [series(f"behaviour_class.{c}", CLASS_LABELS[c], CLASS_COLOURS[c])
                                  for c in classes]})
    return {"generation": gen, "charts": charts}


def report_data(run: str | Path) -> dict[str, Any]:
    """Everything the page shows, as JSON-ready data (read from the run directory only)."""
    run = Path(run)
    rep = replay.load(run)
    summary = rep.summary
    pop = readback.read_population(run, summary)
    feats = rep.features
    champ_index = int(summary["champion"]["index"])
    picks = _sample(pop, champ_index)
    lineage_note = None
    people: dict[int, dict[str, Any]] = {}
    genomes: dict[int, np.ndarray] = {}
    lod: list[int] = []
    tree_json: list[dict[str, Any]] = []
    trait_label: str = "train fitness"
    col = "fitness"
    phy = None
    if (summary.get("lineage") or {}).get("mode", "off") != "off":  # a lineage.csv must be there
        phy, summary = read_lineage(run)
        info = summary["lineage"]
        col = str((info.get("trait") or {}).get("column") or "fitness")
        trait_label = str((info.get("trait") or {}).get("label") or col)
    else:
        lineage_note = "this run has no lineage.csv (evolution.lineage = \"off\"): no lineage views"
    ids = pop["ids"].astype(int)
    for i in picks:
        pid = int(ids[i])
        genomes[pid] = pop["genomes"][i]
        people[pid] = {"id": pid, "roles": ["champion" if i == champ_index else "sample"],
                       "fitness": float(pop["train_fitness"][i]),
                       "behaviour": str(pop["behaviour_classes"][i])}
    champ_id = int(ids[champ_index])
    if phy is not None:
        lod = phylogeny.line_of_descent(phy, champ_id)
        tree = phylogeny.collapsed_tree(phy, [int(ids[i]) for i in picks])
        x = _layout(tree)
        for n in tree.nodes:
            p = tree.parent[n]
            tree_json.append({"id": int(n), "x": x[n], "parent": None if p is None else int(p),
                              "hidden": int(tree.hidden.get(n, 0))})
        for i in [*lod, *tree.nodes]:
            k = phy.row[int(i)]
            entry = people.setdefault(int(i), {"id": int(i), "roles": []})
            if int(i) in lod and "ancestor" not in entry["roles"] and int(i) != champ_id:
                entry["roles"].append("ancestor")
            if int(i) not in genomes:
                genomes[int(i)] = phy.genomes[k]
        wcols = [f"w_{f}" for f in feats]
        for pid, entry in people.items():
            k = phy.row[pid]
            entry.setdefault("fitness", float(phy.columns["fitness"][k]))
            entry.setdefault("behaviour", str(phy.columns["behaviour_class"][k]) or None)
            entry["generation"] = int(phy.origin_time[k])
            entry["goal"] = str(phy.columns["goal_class"][k])
            entry["trait"] = float(phy.columns[col][k]) if col in phy.columns else entry["fitness"]
            if all(c in phy.columns for c in wcols):
                entry["w"] = [float(phy.columns[c][k]) for c in wcols]
    order = sorted(people)
    eps = rep.episodes(np.array([genomes[i] for i in order]))
    policy = rep.problem.decode(np.array([genomes[i] for i in order]))
    goal = policy.objective
    for n, pid in enumerate(order):
        entry = people[pid]
        if "w" not in entry and goal is not None:
            entry["w"] = [float(v) for v in goal[n]]
        entry["horizon"] = int(policy.horizon[n])
        entry["episodes"] = {name: _episode_json(ep) for name, ep in eps[n].items()}
        entry.setdefault("generation", None)  # without lineage.csv the birth generation is not known
        entry.setdefault("goal", None)
        entry.setdefault("trait", entry["fitness"])
    saved = replay.champion(rep)  # checks the saved paths against the re-simulated champion
    assert [e.cells.tolist() for e in saved.values()] == [people[champ_id]["episodes"][n]["cells"]
                                                         for n in saved]
    values = np.array([people[i]["trait"] for i in order], dtype=float)
    finite = values[np.isfinite(values)]
    span = float(np.abs(finite).max(initial=0.0)) or 1.0
    cmap = colormaps[TRAIT_CMAP]
    for pid in order:
        v = people[pid]["trait"]
        people[pid]["colour"] = to_hex(cmap(0.5 + 0.5 * v / span)) if np.isfinite(v) else "#adb5bd"
    base = summary["base_objective"]
    return {
        "scenario": summary["scenario"], "seed": summary["seed"], "generations": summary["generations"],
        "population": summary["population"], "agent_kind": summary["agent_kind"], "features": feats,
        "base": [float(base.get(f, 0.0)) for f in feats], "champion": champ_id, "lod": [int(i) for i in lod],
        "tree": tree_json, "individuals": [people[i] for i in order], "worlds": _worlds_json(rep),
        "trait": {"label": trait_label, "span": span,
                  "stops": [to_hex(cmap(t)) for t in np.linspace(0, 1, 11)]},
        "classColours": CLASS_COLOURS, "classLabels": CLASS_LABELS, "goalLabels": GOAL_LABELS,
        "sample": {"final": len(ids), "sampled": len(picks), "cap": SAMPLE, "ancestors": len(lod),
                   "tree_nodes": len(tree_json), "total": len(order)},
        "lineage_note": lineage_note, "curves": _curves(run, summary),
        "mrca": (summary.get("lineage") or {}).get("mrca"),
    }


def _asset(name: str) -> str:
    return resources.files("evo.plots").joinpath(name).read_text(encoding="utf-8")


def report_html(run: str | Path) -> str:
    """The page as one string: the data as inline JSON (``<`` escaped so no ``</script>`` can end it),
    the style and the script inline."""
    data = report_data(run)
    payload = json.dumps(data, allow_nan=False, separators=(",", ":")).replace("<", "\\u003c")
    title = html.escape(f"evo report: {data['scenario']} (seed {data['seed']})")
    return (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<style>\n{_asset('report.css')}</style>\n</head>\n<body>\n"
            f"<script id=\"evo-data\" type=\"application/json\">{payload}</script>\n"
            f"<script>\n{_asset('report.js')}</script>\n</body>\n</html>\n")


def write_report(run: str | Path, out: str | Path | None = None, force: bool = False) -> Path:
    """Write ``RUN/report.html`` (or ``out``: a new file, or an existing one with ``force``) atomically,
    holding the run's lock: everything is built before the file is opened, so bad input leaves no file
    behind; returns its path."""
    run = Path(run)
    if not run.is_dir():
        raise EvoError(f"{run}: not a directory (expected a run directory made by `evo run`)")
    if out is not None:
        with owned.user_file(out, force) as path:
            files.write_text(path, report_html(run))
        return path
    with owned.claim(run, owned.RUN) as d:
        files.write_text(d.file("report.html"), report_html(run))
    return run / "report.html"


# --------------------------------------------------------------------------------------------------------
# a sweep


def _svg(fig: Any) -> str:
    """A Figure as inline SVG markup (text kept as text; no external reference)."""
    import io

    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _fmt_estimate(e: Any, column: str) -> str:
    spec = "{:.1f}" if column.startswith("gens") else "{:+.3f}" if "fitness" in column else "{:.3f}"
    if e.n == 0:
        return "–"
    if e.lo != e.lo:  # one value: no interval
        return f"{spec.format(e.mean)} (n={e.n})"
    return f"{spec.format(e.mean)} [{spec.format(e.lo)}, {spec.format(e.hi)}]"


def sweep_html(sweep_dir: str | Path, run_pages: dict[str, Path]) -> str:
    """The sweep's page: the comparison table of :func:`evo.sweeps.estimates.report` (mean [95 % interval]
    over seeds per cell), each cell linking to its runs' report pages (``run_pages``: run id → its
    report.html), and the sweep's comparison figures (:mod:`evo.plots.sweep`) inline as SVG."""
    from evo.plots import sweep
    from evo.sweeps import estimates
    from evo.sweeps.index import read_index

    sweep_dir = Path(sweep_dir)
    rep = estimates.report(sweep_dir)
    meta, rows = read_index(sweep_dir)
    esc = html.escape
    head = "".join(f"<th>{esc(c['head'])}</th>" for c in rep["columns"])
    body = []
    for cell_meta, cell in zip(meta["cells"], rep["cells"], strict=True):
        links = []
        for r in rows:
            if r["cell"] != cell_meta["index"]:
                continue
            page = run_pages.get(r["run_id"])
            if page is not None:
                rel = page.relative_to(sweep_dir).as_posix()
                links.append(f"<a href=\"{esc(rel)}\">seed {int(r['seed'])}</a>")
            else:
                links.append(f"<span class=\"note\">seed {int(r['seed'])}: {esc(str(r['status']))}</span>")
        values = "".join(f"<td>{esc(_fmt_estimate(cell['values'][c['key']], c['key']))}</td>"
                         for c in rep["columns"])
        body.append(f"<tr><td>{esc(cell['label'])}</td><td>{cell['runs']}</td>{values}"
                    f"<td class=\"runs\">{' '.join(links)}</td></tr>")
    figures = []
    if any(r["status"] == "done" for r in rows):
        figures.append(_svg(sweep.summary_figure(sweep_dir)))
    notes = "".join(f"<p class=\"note\">{esc(n)}</p>" for n in rep["notes"])
    runs = rep["runs"]
    title = esc(f"evo report: sweep {rep['name']}")
    return (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n"
            f"<style>\n{_asset('report.css')}table {{ border-collapse: collapse; font-size: 13px; }}\n"
            "td, th { border: 1px solid #dee2e6; padding: 3px 8px; text-align: left; }\n"
            ".figure svg { max-width: 100%; height: auto; }\n</style>\n</head>\n<body>\n"
            f"<h1>sweep {esc(rep['name'])}</h1>\n<p class=\"note\">base scenario {esc(str(rep['base']))}; "
            f"{runs['done']} of {runs['planned']} runs done ({runs['pending']} pending, {runs['failed']} "
            "failed); mean [95 % interval] over seeds. Each seed links to that run's own report (written "
            "beside the run by the same command).</p>\n"
            f"<table id=\"cells\"><thead><tr><th>cell</th><th>runs</th>{head}<th>run reports</th></tr>"
            "</thead>"
            f"<tbody>{''.join(body)}</tbody></table>\n{notes}\n<h2>The sweep's comparison figures</h2>\n"
            + "".join(f"<div class=\"figure\">{f}</div>\n" for f in figures) + "</body>\n</html>\n")


def write_sweep_report(sweep_dir: str | Path) -> tuple[Path, list[Path]]:
    """Write every done run's report.html, then ``SWEEP_DIR/report.html`` linking to them (atomically;
    all built before anything is written over); returns the sweep page and the run pages."""
    from evo.sweeps.index import read_index

    sweep_dir = Path(sweep_dir)
    with owned.claim(sweep_dir, owned.SWEEP) as top:
        _, rows = read_index(sweep_dir)
        pages = {str(r["run_id"]): (sweep_dir / r["path"]) for r in rows if r["status"] == "done"}
        texts = {rid: report_html(run) for rid, run in pages.items()}
        page = sweep_html(sweep_dir, {rid: run / "report.html" for rid, run in pages.items()})
        written = []
        for rid, run in pages.items():
            with owned.claim(run, owned.RUN) as d:
                files.write_text(d.file("report.html"), texts[rid])
            written.append(run / "report.html")
        files.write_text(top.file("report.html"), page)
    return sweep_dir / "report.html", written


def write_any(path: str | Path) -> tuple[Path, list[Path]]:
    """``evo report PATH``: a sweep directory (it holds index.sqlite) or a run directory."""
    path = Path(path)
    if (path / "index.sqlite").is_file():
        return write_sweep_report(path)
    return write_report(path), []
