"""Goodhart figures from a sweep directory: proxy and true fitness against optimization power (horizon;
best-of-n against sqrt(KL)), drawn by ``evo analyze horizon|best-of-n`` (docs/architecture.md,
"Figures")."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from evo.analysis import goodhart, stats
from evo.config.names import percent, terminal
from evo.errors import EvoError
from evo.plots.figure import subplots
from evo.sweeps.index import read_index

PROXY, TRUE = "#1971c2", "#2b8a3e"


def _by_value(rows: Sequence[Mapping[str, Any]], key: str, column: str, where: str | Path
              ) -> dict[float, list[float]]:
    out: dict[float, list[float]] = {}
    for r in rows:
        if r["status"] == "done" and r.get(column) is not None:
            v = r[key]
            if isinstance(v, bool) or not isinstance(v, int | float) or not np.isfinite(v):
                raise EvoError(f"{where}: run {r['run_id']!r}: expected a number for '{key}', got {v!r:.60}")
            out.setdefault(float(v), []).append(float(r[column]))
    return dict(sorted(out.items()))


def _usage(rows: Sequence[Mapping[str, Any]], column: str) -> dict[str, int]:
    """How many runs an analysis used (done, with a value in ``column``) and why the others were not."""
    done = [r for r in rows if r["status"] == "done"]
    return {"planned": len(rows), "used": sum(r.get(column) is not None for r in done),
            "no_value": sum(r.get(column) is None for r in done),
            "pending": sum(r["status"] == "pending" for r in rows),
            "failed": sum(r["status"] == "failed" for r in rows)}


def usage_line(usage: Mapping[str, int], what: str = "a true-objective fitness") -> str:
    """``used 8 of 10 planned runs; left out: 1 pending, 1 failed``."""
    why = [f"{usage[k]} {label}" for k, label in (("pending", "pending"), ("failed", "failed"),
                                                   ("no_value", f"done without {what}")) if usage[k]]
    return f"used {usage['used']} of {usage['planned']} planned runs" + (
        "; left out: " + ", ".join(why) if why else "")


def _swept(sweep_dir: str | Path, key: str, what: str) -> tuple[dict[str, Any], dict[float, list[float]],
                                                                dict[float, list[float]]]:
    """The sweep's meta and, per value of ``key``, the proxy and true fitness of its finished runs; a clear
    :class:`EvoError` when the sweep does not vary ``key``, has no true objective, or has < 2 values done."""
    meta, rows = read_index(sweep_dir)
    if key not in meta["params"]:
        raise EvoError(f"{sweep_dir}: {what} needs a sweep over '{key}'; this one varies "
                       + (", ".join(meta["params"]) or "nothing"))
    proxy = _by_value(rows, key, "train_fitness", sweep_dir)
    true = _by_value(rows, key, "true_fitness", sweep_dir)
    meta = {**meta, "usage": _usage(rows, "true_fitness")}
    if not true:
        raise EvoError(f"{sweep_dir}: no finished run has a true-objective fitness: "
                       f"{what} compares the proxy with a [true_objective], and the base scenario has none "
                       "(or no run is done yet)")
    if len(true) < 2:
        raise EvoError(f"{sweep_dir}: {what} needs finished runs at two or more values of '{key}', "
                       f"found {len(true)}")
    return meta, proxy, true


def _band(ax: Any, x: np.ndarray, groups: Mapping[float, list[float]], xs_of: Any, colour: str, label: str
          ) -> np.ndarray:
    est = [stats.mean_interval(v) for v in groups.values()]  # fitness: no known range, Student t
    mean = np.array([e.mean for e in est])
    ax.fill_between(x, [e.lo for e in est], [e.hi for e in est], color=colour, alpha=0.2, lw=0)
    ax.plot(x, mean, color=colour, lw=2, marker="o", ms=4, label=label)
    for k, vals in groups.items():
        ax.scatter(np.full(len(vals), xs_of(k)), vals, s=7, color=colour, alpha=0.35, lw=0)
    return mean


def horizon_numbers(sweep_dir: str | Path) -> dict[str, Any]:
    """Per horizon: proxy and true means; and the :class:`evo.analysis.goodhart.Transition` of true
    fitness."""
    meta, proxy, true = _swept(sweep_dir, "agent.horizon", "the horizon analysis")
    x = np.array(list(true))
    t_mean = np.array([np.mean(v) for v in true.values()])
    p_mean = np.array([np.mean(v) for v in proxy.values()])
    return {"horizon": x, "proxy": proxy, "true": true, "proxy_mean": p_mean, "true_mean": t_mean,
            "transition": goodhart.phase_transition(x, t_mean),
            "seeds": min(len(v) for v in true.values()), "name": meta["name"], "usage": meta["usage"]}


def _lost_phrase(tr: goodhart.Transition, x: Sequence[float]) -> str:
    """What became of the gain in true fitness from the first horizon to the peak, in words."""
    if np.isnan(tr.lost):  # no gain: the peak is at the first horizon (or true fitness is flat)
        return (f"true fitness never rose above its value at horizon {x[0]:g}, so there is no gain to lose "
                f"(its peak is the first horizon)")
    if tr.lost > 1:
        return f"by horizon {x[-1]:g} true fitness is below its value at horizon {x[0]:g}"
    if tr.lost <= 0:
        return f"none of the gain lost by horizon {x[-1]:g}"
    return f"{percent(tr.lost)} of the gain lost by horizon {x[-1]:g}"


def horizon_sweep_figure(nums: Mapping[str, Any]) -> Figure:
    """Proxy and true fitness against the planning horizon, the phase transition marked (``nums``: from
    :func:`horizon_numbers`)."""
    x, tr = nums["horizon"], nums["transition"]
    fig, ax = subplots(figsize=(8, 5))
    _band(ax, x, nums["proxy"], lambda k: k, PROXY, "proxy = base objective (what selection sees)")
    _band(ax, x, nums["true"], lambda k: k, TRUE, "true objective (what the designers want)")
    ax.axvline(tr.threshold, color="black", lw=1, ls="--")
    ax.annotate(f"threshold: true fitness peaks at horizon {tr.threshold:g} ({tr.peak:.2f});\n"
                f"90 % of its fall within {tr.width:g} horizon steps; sharpest fall {tr.drop:.2f}\n"
                f"({tr.steepness:.2f} per horizon step) to horizon {tr.drop_at:g};\n"
                + _lost_phrase(tr, x),
                xy=(tr.threshold, tr.peak), xytext=(0.38, 0.52), textcoords="axes fraction", fontsize=8,
                arrowprops={"arrowstyle": "->", "lw": 0.8})
    ax.axhline(0, color="black", lw=0.5)
    ax.set_xlabel("planning horizon (path steps the mesa-optimizer searches) — optimization power")
    ax.set_ylabel("fitness of the final population (mean payoff per episode)")
    ax.set_title(f"{nums['name']}: proxy keeps rising, true fitness peaks at horizon {tr.threshold:g} then "
                 f"falls\nmean over {nums['seeds']} seeds, 95 % t-band, dots = seeds", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    return fig


def best_of_n_numbers(sweep_dir: str | Path) -> dict[str, Any]:
    """Per n: d = sqrt(KL), proxy and true values; the Gao fit of true − mean true at n = 1 on every seed."""
    meta, proxy, true = _swept(sweep_dir, "evolution.selection.fraction", "the best-of-n analysis")
    fractions = sorted(true, reverse=True)  # n ascending
    n = np.array([1.0 / f for f in fractions])
    d = np.sqrt(goodhart.best_of_n_kl(np.rint(n)))
    base = float(np.mean(true[1.0])) if 1.0 in true else float(np.mean(true[fractions[0]]))
    dd = np.concatenate([np.full(len(true[f]), di) for f, di in zip(fractions, d, strict=True)])
    yy = np.concatenate([np.array(true[f]) - base for f in fractions])
    fit = goodhart.fit_gao(dd, yy)
    means = np.array([np.mean(true[f]) for f in fractions]) - base
    fit_means = goodhart.fit_gao(d, means)
    return {"n": n, "d": d, "fractions": fractions, "proxy": {f: proxy[f] for f in fractions},
            "true": {f: true[f] for f in fractions}, "baseline": base, "fit": fit, "fit_means": fit_means,
            "seeds": min(len(v) for v in true.values()), "name": meta["name"], "usage": meta["usage"]}


def best_of_n_figure(nums: Mapping[str, Any]) -> Figure:
    """Proxy and true fitness of the selected population against d = sqrt(KL) of best-of-n, with the fit
    (``nums``: from :func:`best_of_n_numbers`)."""
    d, fit, base = nums["d"], nums["fit"], nums["baseline"]
    dmap = dict(zip(nums["fractions"], d, strict=True))
    fig, ax = subplots(figsize=(8, 5))
    _band(ax, d, nums["proxy"], lambda f: dmap[f], PROXY, "proxy = base objective (selected on)")
    _band(ax, d, nums["true"], lambda f: dmap[f], TRUE, "true objective")
    grid = np.linspace(0, d[-1], 100)
    ax.plot(grid, base + fit(grid), color="black", lw=1.2, ls="--",
            label=f"fit: true = {base:.2f} + d({fit.alpha:.2f} − {fit.beta:.2f}·d), "
                  f"R² = {fit.r2:.2f} (all seeds)")
    for di, ni in zip(d, nums["n"], strict=True):
        ax.annotate(f"n={ni:g}", (di, ax.get_ylim()[0]), textcoords="offset points", xytext=(0, 3),
                    ha="center", fontsize=7, color="grey")
    ax.set_xlabel("d = sqrt(KL), KL = log n − (n−1)/n nats (truncation keeping the best 1 of n)")
    ax.set_ylabel("fitness of the selected population (mean payoff per episode)")
    ax.set_title(f"{nums['name']}: best-of-n on the proxy; true fitness rises then falls (Gao et al. 2022)\n"
                 f"mean over {nums['seeds']} seeds, 95 % t-band, dots = seeds; fit peaks at d = "
                 f"{fit.peak_d:.2f}", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    return fig


def horizon_report(nums: Mapping[str, Any]) -> dict[str, Any]:
    """What ``evo analyze horizon`` prints, as data: a ``title`` line, ``rows`` (one per horizon: horizon,
    seeds, proxy_mean, true_mean; also the CSV rows) and ``notes`` (the threshold line)."""
    tr = nums["transition"]
    rows = []
    for h, p, t in zip(nums["horizon"], nums["proxy_mean"], nums["true_mean"], strict=True):
        rows.append({"horizon": float(h), "seeds": len(nums["true"][float(h)]), "proxy_mean": float(p),
                     "true_mean": float(t)})
    notes = [f"threshold (peak of true fitness): horizon {tr.threshold:g}, true {tr.peak:.3f}; 90 % of "
             f"its fall within {tr.width:g} horizon steps; sharpest "
             f"fall {tr.drop:.3f} to horizon {tr.drop_at:g} ({tr.steepness:.3f} per horizon step); "
             + _lost_phrase(tr, nums["horizon"])]
    return {"title": terminal(f"{nums['name']}: proxy and true fitness of the final population, mean over "
                              "seeds; " + usage_line(nums["usage"])), "rows": rows, "notes": notes}


def best_of_n_report(nums: Mapping[str, Any]) -> dict[str, Any]:
    """What ``evo analyze best-of-n`` prints, as data: a ``title`` line, ``rows`` (one per n: n, d, seeds,
    proxy_mean, true_mean; also the CSV rows) and ``notes`` (both fits)."""
    rows = []
    for ni, di, f in zip(nums["n"], nums["d"], nums["fractions"], strict=True):
        p, t = float(np.mean(nums["proxy"][f])), float(np.mean(nums["true"][f]))
        rows.append({"n": float(ni), "d": float(di), "seeds": len(nums["true"][f]), "proxy_mean": p,
                     "true_mean": t})
    notes = [f"fit true − true(n=1) = d(α − βd) on {label}: α = {fit.alpha:.3f}, β = {fit.beta:.3f}, "
             f"R² = {fit.r2:.3f}, peak at d = {fit.peak_d:.3f}"
             for label, fit in (("all seeds", nums["fit"]), ("cell means", nums["fit_means"]))]
    return {"title": terminal(f"{nums['name']}: best-of-n (truncation keeping 1 of n), mean over seeds; "
                              + usage_line(nums["usage"])), "rows": rows, "notes": notes}


#: ``evo analyze NAME``: how each Goodhart analysis reads a sweep, reports it, and draws it.
ANALYSES: dict[str, tuple[Callable[[str | Path], dict[str, Any]],
                          Callable[[Mapping[str, Any]], dict[str, Any]],
                          Callable[[Mapping[str, Any]], Figure]]] = {
    "horizon": (horizon_numbers, horizon_report, horizon_sweep_figure),
    "best-of-n": (best_of_n_numbers, best_of_n_report, best_of_n_figure),
}
