"""``evo report`` and ``evo animate`` without a browser (tests/plots/test_report_browser.py drives one):
the page is self-contained and holds who it says; the GIF has one frame per time step of the longest
episode shown; the re-simulated episodes agree with the run's saved ones and with the planner's rule;
bad input is one clear error line, a non-zero exit and no file left behind."""

from __future__ import annotations

import html
import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from evo import cli
from evo.api import load_run
from evo.lineage import phylogeny
from evo.plots import replay, report
from evo.plots.lineage import read_lineage
from evo.runs import readback


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.data: dict[str, str] = {}
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        self._in = a.get("id") if tag == "script" else None

    def handle_data(self, data: str) -> None:
        if self._in:
            self.data[self._in] = self.data.get(self._in, "") + data


@pytest.fixture(scope="module")
def page(red_door_run: Path) -> tuple[str, dict]:
    path = report.write_report(red_door_run)
    text = path.read_text(encoding="utf-8")
    parser = _Tags()
    parser.feed(text)
    return text, {"tags": parser.tags, "data": json.loads(parser.data["evo-data"])}


def test_the_page_fetches_nothing(page: tuple[str, dict]) -> None:
    text, parsed = page
    tags = parsed["tags"]
    assert [t for t, _ in tags if t in ("link", "img", "iframe", "object", "embed", "base")] == []
    for tag, attrs in tags:
        for key in ("src", "href", "data", "srcset", "action"):
            assert attrs.get(key) is None, (tag, key, attrs[key])
    # no URL in the page but the SVG namespace name (which is never fetched)
    assert set(text.replace("http://www.w3.org/2000/svg", "").split("://")[1:]) == set()
    assert "import(" not in text and "fetch(" not in text and "XMLHttpRequest" not in text


def test_the_page_holds_the_champion_a_covering_sample_and_the_line_of_descent(
        page: tuple[str, dict], red_door_run: Path) -> None:
    data = page[1]["data"]
    summary = readback.read_summary(red_door_run)
    pop = readback.read_population(red_door_run, summary)
    people = {p["id"]: p for p in data["individuals"]}
    champ = people[data["champion"]]
    assert data["champion"] == summary["lineage"]["champion"]["id"]
    assert champ["w"] == pytest.approx(list(summary["champion"]["objective"].values()))
    sampled = [p for p in data["individuals"] if "sample" in p["roles"] or p["id"] == data["champion"]]
    assert len(sampled) == data["sample"]["sampled"] <= report.SAMPLE + 1
    assert {p["behaviour"] for p in sampled} == set(pop["behaviour_classes"].tolist())
    phy, _ = read_lineage(red_door_run)
    assert data["lod"] == phylogeny.line_of_descent(phy, data["champion"])
    assert set(data["lod"]) <= set(people)
    assert {n["id"] for n in data["tree"]} <= set(people)
    worlds = [w["name"] for w in data["worlds"]]
    assert worlds == ["train", *summary["shift"]]
    for p in data["individuals"]:
        assert sorted(p["episodes"]) == sorted(worlds)
        assert abs(p["trait"]) <= data["trait"]["span"] + 1e-12  # one scale holds every individual
    saved = readback.read_episodes(red_door_run, summary)
    for name in worlds:
        ep = champ["episodes"][name]
        assert ep["cells"] == saved[f"{name}.path"][: int(saved[f"{name}.steps"]) + 1].tolist()
        assert ep["payoff"][-1] == pytest.approx(float(saved[f"{name}.payoff"]), abs=1e-4)


def test_a_red_door_page_is_small(page: tuple[str, dict]) -> None:
    assert len(page[0].encode()) <= 5_000_000


def test_replayed_episodes_follow_the_planner_and_consume_where_they_stand(red_door_run: Path) -> None:
    rep = replay.load(red_door_run)
    pop = readback.read_population(red_door_run, rep.summary)
    eps = rep.episodes(pop["genomes"][:12])
    checked = 0
    for agent in eps:
        for world in rep.worlds:
            ep = agent[world.name]
            dist = world.batch().dist[0]
            for t, k in enumerate(ep.target.tolist()):
                if k >= 0:  # every step with a target goes one step closer to it
                    assert dist[k, ep.cells[t + 1]] == dist[k, ep.cells[t]] - 1
                    checked += 1
            for k, t in enumerate(ep.consumed.tolist()):
                if t >= 0:
                    assert ep.cells[t] == world.obj_cell[k]
                    assert t == int(np.argmax(ep.cells == world.obj_cell[k]))  # the first visit
            # the running payoff: step costs so far plus the payoff of every object consumed so far
            values = rep.problem.base.object_values(world.obj_feat[None])[0]
            t = np.arange(ep.steps + 1)
            got = ((ep.consumed[None, :] >= 0) & (ep.consumed[None, :] <= t[:, None])) @ values
            assert ep.payoff == pytest.approx(got - rep.problem.base.step_cost * t, abs=1e-9)
    assert checked > 0


def test_the_gif_has_one_frame_per_time_step_of_the_longest_episode(
        red_door_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["animate", str(red_door_run)]) == 0
    path = red_door_run / "figures" / "champion.gif"
    assert str(path) in capsys.readouterr().out
    summary = readback.read_summary(red_door_run)
    saved = readback.read_episodes(red_door_run, summary)
    longest = max(int(saved[f"{n}.steps"]) for n in saved["names"].tolist())
    with Image.open(path) as im:
        assert im.format == "GIF" and im.n_frames == longest + 1
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]


def test_the_api_writes_both(red_door_run: Path, tmp_path: Path) -> None:
    run = load_run(red_door_run)
    page = run.report(tmp_path / "r.html")
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    shown = run.show_report()._repr_html_()
    assert shown.startswith("<iframe srcdoc=") and "evo-data" in shown and "<script" not in shown
    assert html.unescape(shown.split('"')[1]) == (red_door_run / "report.html").read_text(encoding="utf-8")
    gif = run.animate(out=tmp_path / "c.gif")
    assert gif.read_bytes()[:6] == b"GIF89a"


def _one_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("evo: error: "), err
    return err[0]


@pytest.mark.parametrize("command", ["report", "animate"])
def test_not_a_run_directory_is_one_error_and_no_file(command: str, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([command, str(tmp_path / "nowhere")]) == 2
    assert "nowhere" in _one_error(capsys)
    (tmp_path / "empty").mkdir()
    assert cli.main([command, str(tmp_path / "empty")]) == 2
    assert "meta.json" in _one_error(capsys)
    assert list((tmp_path / "empty").iterdir()) == []  # no lock file left in a directory that is not evo's


@pytest.mark.parametrize("missing", ["champion_episodes.npz", "log.csv", "scenario.toml",
                                     "final_population.npz", "lineage.csv", "summary.json"])
def test_a_run_with_a_missing_file_is_one_error_naming_it_and_no_report(
        missing: str, red_door_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run"
    shutil.copytree(red_door_run, run)
    (run / "report.html").unlink(missing_ok=True)
    (run / missing).unlink()
    assert cli.main(["report", str(run)]) == 2
    assert missing in _one_error(capsys)
    assert not (run / "report.html").exists()
    assert not [p for p in run.iterdir() if p.name.startswith(".") and p.name != ".evo.lock"]


SWEEP = """
[sweep]
name = "tiny_sweep"
description = "two tournament sizes on the tiny scenario"
base = "tiny.toml"
seeds = 2

[fixed]
"evolution.generations" = 4

[grid]
"evolution.selection.size" = [1, 4]
"""


def test_a_sweep_report_links_every_cell_to_its_runs_reports(tmp_path: Path, tiny_text: str,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from evo.sweeps import index, runner

    (tmp_path / "tiny.toml").write_text(tiny_text)
    (tmp_path / "s.toml").write_text(SWEEP)
    out = tmp_path / "out"
    runner.run_sweep(tmp_path / "s.toml", out, backend="serial")
    assert cli.main(["report", str(out)]) == 0
    assert "report.html" in capsys.readouterr().out
    parser = _Tags()
    parser.feed((out / "report.html").read_text(encoding="utf-8"))
    links = [a["href"] for t, a in parser.tags if t == "a"]
    meta, rows = index.read_index(out)
    # one link per run, each to that run's own report, which exists and is a run page
    assert sorted(links) == sorted(f"{r['path']}/report.html" for r in rows)
    for link in links:
        assert (out / link).is_file() and "evo-data" in (out / link).read_text(encoding="utf-8")
    for tag, attrs in parser.tags:
        for key in ("src", "href", "xlink:href"):
            value = attrs.get(key)
            assert value is None or not value.startswith(("http:", "https:", "//")), (tag, value)
    assert [t for t, _ in parser.tags if t in ("link", "img", "script", "iframe")] == []
    cells = [r for t, r in parser.tags if t == "tr"]
    assert len(cells) == 1 + len(meta["cells"])


@pytest.mark.parametrize(("scenario", "overrides"), [
    ("goodhart_cleaning", {}),  # a true objective, and objects that spill others when consumed
    ("planning_emerges", {}),  # hybrid agents: reflexes and an evolved planning horizon
    ("red_door", {"evolution.lineage": "off"}),  # no lineage.csv: no lineage views, said so
])
def test_other_kinds_of_runs_report_and_animate(scenario: str, overrides: dict, tmp_path: Path) -> None:
    from evo.api import run

    out = tmp_path / scenario
    result = run(scenario, seed=1, out=out, figures=False,
                 overrides={"evolution.generations": 3, "evolution.population": 30, **overrides})
    page = result.report()  # the replay checks itself against the evaluator and the saved paths
    parser = _Tags()
    parser.feed(page.read_text(encoding="utf-8"))
    data = json.loads(parser.data["evo-data"])
    has_true = "true" in result.summary
    rep = replay.load(out)
    for p in data["individuals"]:
        for world in rep.worlds:
            ep = p["episodes"][world.name]
            assert ("true" in ep) == has_true
            for k, parent in enumerate(world.parent.tolist()):
                if parent >= 0 and ep["consumed"][k] >= 0:  # a spilled object is consumed after its release
                    assert 0 <= ep["consumed"][parent] < ep["consumed"][k]
    assert (data["lineage_note"] is None) == (overrides.get("evolution.lineage") != "off")
    assert (data["lod"] == []) == (overrides.get("evolution.lineage") == "off")
    gif = result.animate()
    with Image.open(gif) as im:
        champ = next(p for p in data["individuals"] if p["id"] == data["champion"])
        assert im.n_frames == max(len(champ["episodes"][w.name]["cells"]) for w in rep.worlds)


def test_mp4_without_ffmpeg_is_one_error_and_no_file(red_door_run: Path, tmp_path: Path, monkeypatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from evo.plots import animate

    monkeypatch.setattr(animate.shutil, "which", lambda name: None)
    assert cli.main(["animate", str(red_door_run), "--format", "mp4", "--out", str(tmp_path / "c.mp4")]) == 2
    assert "ffmpeg" in _one_error(capsys)
    assert list(tmp_path.iterdir()) == []
