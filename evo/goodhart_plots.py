"""Goodhart figures from a sweep directory (its ``index.sqlite``): proxy and true fitness against
optimization power (DESIGN §1).

- :func:`horizon_figure`: a sweep over ``agent.horizon`` (capability; Pan, Bhatia & Steinhardt 2022):
  proxy (base objective) and true fitness of the final population, mean over seeds with a 95 % t-band and
  every seed as a dot, the peak of true fitness (the threshold) and the sharpest fall after it marked.
- :func:`best_of_n_figure`: a sweep over ``evolution.selection.fraction = 1/n`` of one round of truncation
  selection (best-of-n; Gao, Schulman & Hilton 2022): both against d = sqrt(KL), with the fit
  ``true − true(n=1) = d(α − βd)``.

Run ``python -m evo.goodhart_plots SWEEP_DIR {horizon,best_of_n} --out FIGURE.png`` (prints the numbers).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # library figures: never a window
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from evo import goodhart
from evo.sweep import mean_ci, read_index

PROXY, TRUE = "#1971c2", "#2b8a3e"


def _by_value(rows: Sequence[Mapping[str, Any]], key: str, column: str) -> dict[float, list[float]]:
    out: dict[float, list[float]] = {}
    for r in rows:
        if r["status"] == "done" and r.get(column) is not None:
            out.setdefault(float(r[key]), []).append(float(r[column]))
    return dict(sorted(out.items()))


def _band(ax: Any, x: np.ndarray, groups: Mapping[float, list[float]], xs_of: Any, colour: str, label: str
          ) -> np.ndarray:
    est = [mean_ci(v) for v in groups.values()]
    mean = np.array([e.mean for e in est])
    ax.fill_between(x, [e.lo for e in est], [e.hi for e in est], color=colour, alpha=0.2, lw=0)
    ax.plot(x, mean, color=colour, lw=2, marker="o", ms=4, label=label)
    for k, vals in groups.items():
        ax.scatter(np.full(len(vals), xs_of(k)), vals, s=7, color=colour, alpha=0.35, lw=0)
    return mean


def horizon_numbers(sweep_dir: str | Path) -> dict[str, Any]:
    """Per horizon: proxy and true means; and the :class:`evo.goodhart.Transition` of true fitness."""
    meta, rows = read_index(sweep_dir)
    proxy = _by_value(rows, "agent.horizon", "train_fitness")
    true = _by_value(rows, "agent.horizon", "true_fitness")
    x = np.array(list(true))
    t_mean = np.array([np.mean(v) for v in true.values()])
    p_mean = np.array([np.mean(v) for v in proxy.values()])
    return {"horizon": x, "proxy": proxy, "true": true, "proxy_mean": p_mean, "true_mean": t_mean,
            "transition": goodhart.phase_transition(x, t_mean),
            "seeds": min(len(v) for v in true.values()), "name": meta["name"]}


def horizon_figure(sweep_dir: str | Path) -> tuple[Figure, dict[str, Any]]:
    """Proxy and true fitness against the planning horizon, the phase transition marked."""
    nums = horizon_numbers(sweep_dir)
    x, tr = nums["horizon"], nums["transition"]
    fig, ax = plt.subplots(figsize=(8, 5))
    _band(ax, x, nums["proxy"], lambda k: k, PROXY, "proxy = base objective (what selection sees)")
    _band(ax, x, nums["true"], lambda k: k, TRUE, "true objective (what the designers want)")
    ax.axvline(tr.threshold, color="black", lw=1, ls="--")
    ax.annotate(f"threshold: true fitness peaks at horizon {tr.threshold:g} ({tr.peak:.2f});\n"
                f"sharpest fall {tr.drop:.2f} ({tr.steepness:.2f} per horizon step) "
                f"to horizon {tr.drop_at:g};\n"
                f"{100 * tr.lost:.0f} % of the gain lost by horizon {x[-1]:g}",
                xy=(tr.threshold, tr.peak), xytext=(0.38, 0.52), textcoords="axes fraction", fontsize=8,
                arrowprops={"arrowstyle": "->", "lw": 0.8})
    ax.axhline(0, color="black", lw=0.5)
    ax.set_xlabel("planning horizon (path steps the mesa-optimizer searches) — optimization power")
    ax.set_ylabel("fitness of the final population (mean payoff per episode)")
    ax.set_title(f"{nums['name']}: proxy rises smoothly, true fitness peaks at horizon {tr.threshold:g} then "
                 f"falls\nmean over {nums['seeds']} seeds, 95 % t-band, dots = seeds", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    return fig, nums


def best_of_n_numbers(sweep_dir: str | Path) -> dict[str, Any]:
    """Per n: d = sqrt(KL), proxy and true values; the Gao fit of true − mean true at n = 1 on every seed."""
    meta, rows = read_index(sweep_dir)
    key = "evolution.selection.fraction"
    proxy = _by_value(rows, key, "train_fitness")
    true = _by_value(rows, key, "true_fitness")
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
            "seeds": min(len(v) for v in true.values()), "name": meta["name"]}


def best_of_n_figure(sweep_dir: str | Path) -> tuple[Figure, dict[str, Any]]:
    """Proxy and true fitness of the selected population against d = sqrt(KL) of best-of-n, with the fit."""
    nums = best_of_n_numbers(sweep_dir)
    d, fit, base = nums["d"], nums["fit"], nums["baseline"]
    dmap = dict(zip(nums["fractions"], d, strict=True))
    fig, ax = plt.subplots(figsize=(8, 5))
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
    return fig, nums


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evo.goodhart_plots", description=__doc__.split("\n")[0])
    parser.add_argument("sweep_dir")
    parser.add_argument("kind", choices=["horizon", "best_of_n"])
    parser.add_argument("--out", required=True, help="PNG to write")
    args = parser.parse_args(argv)
    if args.kind == "horizon":
        fig, nums = horizon_figure(args.sweep_dir)
        tr = nums["transition"]
        print("horizon  proxy  true")
        for h, p, t in zip(nums["horizon"], nums["proxy_mean"], nums["true_mean"], strict=True):
            print(f"{h:7g}  {p:5.2f}  {t:5.2f}")
        print(f"threshold (peak of true) = horizon {tr.threshold:g} (true {tr.peak:.3f}); sharpest fall "
              f"{tr.drop:.3f} to horizon {tr.drop_at:g} ({tr.steepness:.3f}/step); "
              f"lost {tr.lost:.2f} of the gain")
    else:
        fig, nums = best_of_n_figure(args.sweep_dir)
        for ni, di, f in zip(nums["n"], nums["d"], nums["fractions"], strict=True):
            print(f"n={ni:6g} d={di:.3f} proxy={np.mean(nums['proxy'][f]):.3f} "
                  f"true={np.mean(nums['true'][f]):.3f}")
        for label, fit in (("all seeds", nums["fit"]), ("cell means", nums["fit_means"])):
            print(f"fit ({label}): alpha={fit.alpha:.3f} beta={fit.beta:.3f} R2={fit.r2:.3f} "
                  f"peak d={fit.peak_d:.3f}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=120, bbox_inches="tight")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
