// evo report: the page script (docs/report.md). Reads the inline JSON in #evo-data and draws on SVG;
// loads nothing. Vocabulary as the static figures (evo/plots/run.py, evo/plots/lineage.py).
"use strict";
(function () {
  const D = JSON.parse(document.getElementById("evo-data").textContent);
  const NS = "http://www.w3.org/2000/svg";
  const byId = new Map(D.individuals.map((p) => [p.id, p]));
  const GOAL_MARK = { robust: "o", pseudo: "^", misaligned: "s", "non-optimizer": "X" };
  const state = { sel: D.champion, t: 0, playing: false, timer: null, views: [] };

  function h(tag, attrs, parent, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function s(tag, attrs, parent, text) {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function fmt(x, d) { return (x >= 0 ? "+" : "") + x.toFixed(d === undefined ? 2 : d); }
  // a marker of matplotlib's vocabulary (o s D ^ P X * h) centred on (x, y), radius r
  function marker(m, x, y, r, attrs, parent) {
    const pts = (list) => list.map(([a, b]) => `${x + a * r},${y + b * r}`).join(" ");
    let e;
    if (m === "s") e = s("rect", { x: x - r * 0.85, y: y - r * 0.85, width: 1.7 * r, height: 1.7 * r }, parent);
    else if (m === "D") e = s("polygon", { points: pts([[0, -1.1], [0.8, 0], [0, 1.1], [-0.8, 0]]) }, parent);
    else if (m === "^") e = s("polygon", { points: pts([[0, -1.1], [1, 0.8], [-1, 0.8]]) }, parent);
    else if (m === "P") e = s("polygon", { points: pts([[-0.35, -1], [0.35, -1], [0.35, -0.35], [1, -0.35], [1, 0.35],
      [0.35, 0.35], [0.35, 1], [-0.35, 1], [-0.35, 0.35], [-1, 0.35], [-1, -0.35], [-0.35, -0.35]]) }, parent);
    else if (m === "X") e = s("polygon", { points: pts([[-1, -0.6], [-0.6, -1], [0, -0.4], [0.6, -1], [1, -0.6], [0.4, 0],
      [1, 0.6], [0.6, 1], [0, 0.4], [-0.6, 1], [-1, 0.6], [-0.4, 0]]) }, parent);
    else if (m === "*") {
      const p = [];
      for (let i = 0; i < 10; i++) {
        const a = -Math.PI / 2 + (i * Math.PI) / 5, q = i % 2 ? 0.45 : 1.15;
        p.push([q * Math.cos(a), q * Math.sin(a)]);
      }
      e = s("polygon", { points: pts(p) }, parent);
    } else if (m === "h") {
      const p = [];
      for (let i = 0; i < 6; i++) p.push([Math.cos(Math.PI / 6 + (i * Math.PI) / 3), Math.sin(Math.PI / 6 + (i * Math.PI) / 3)]);
      e = s("polygon", { points: pts(p) }, parent);
    } else e = s("circle", { cx: x, cy: y, r: r }, parent);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    return e;
  }
  function describe(p) {
    const w = p.w ? D.features.map((f, i) => `w[${f}] ${fmt(p.w[i])}`).join(", ") : "no mesa-objective";
    const roles = p.id === D.champion ? "the champion" : p.roles.length ? p.roles.map((r) =>
      r === "sample" ? "final population" : "ancestor of the champion").join(", ") : "a branch point of the phylogeny";
    const born = p.generation === null ? "in the final population" : `born in generation ${p.generation}`;
    return `#${p.id} (${roles}), ${born}; ${w}; goal class: ` +
      `${p.goal ? D.goalLabels[p.goal] || p.goal : "–"}; behaviour class: ` +
      `${p.behaviour ? D.classLabels[p.behaviour] || p.behaviour : "not evaluated under shift"}; ` +
      `train fitness ${fmt(p.fitness, 3)}; ${D.trait.label} = ${fmt(p.trait)}`;
  }

  // ---- page skeleton
  const body = document.body;
  h("h1", {}, body, `${D.scenario} (seed ${D.seed}): watch the evolved agents`);
  h("p", { class: "note" }, body, `${D.generations} generations, population ${D.population} (${D.agent_kind} agents). ` +
    `The page holds ${D.sample.total} individuals, each re-simulated from its genome in the run's saved worlds: ` +
    `the champion, a sample of ${D.sample.sampled} of the ${D.sample.final} agents of the final population ` +
    `(at most ${D.sample.cap} besides the champion, every behaviour class present included, best train fitness first), the ` +
    `champion's ${D.sample.ancestors} ancestors along its line of descent and the branch points of the ` +
    `sample's phylogeny (${D.sample.tree_nodes} nodes).`);
  const scale = h("p", { class: "note", id: "colour-scale" }, body);
  h("span", {}, scale, `One colour scale in every view: the inner-goal trait ${D.trait.label}, from ` +
    `${fmt(-D.trait.span)} (blue) through 0 (white) to ${fmt(D.trait.span)} (red) `);
  h("span", { class: "colourbar", style: `background: linear-gradient(to right, ${D.trait.stops.join(", ")})` }, scale);
  if (D.lineage_note) h("p", { class: "note" }, body, D.lineage_note);

  // ---- theatre
  h("h2", {}, body, "Episode theatre");
  const pick = h("div", { class: "controls" }, body);
  h("label", { for: "who" }, pick, "individual: ");
  const who = h("select", { id: "who" }, pick);
  const groups = [["champion", (p) => p.id === D.champion], ["final population (sample)", (p) => p.roles.includes("sample")],
    ["line of descent (ancestors)", (p) => p.roles.includes("ancestor")], ["phylogeny branch points", (p) => p.roles.length === 0]];
  for (const [label, test] of groups) {
    const members = D.individuals.filter(test).sort((a, b) => a.generation - b.generation || a.id - b.id);
    if (!members.length) continue;
    const og = h("optgroup", { label: label }, who);
    for (const p of members) h("option", { value: p.id }, og,
      `#${p.id}, gen ${p.generation === null ? "–" : p.generation}, ${p.behaviour || "–"}, ${D.trait.label} ${fmt(p.trait)}`);
  }
  who.addEventListener("change", () => select(Number(who.value)));
  const selected = h("div", { id: "selected", class: "note" }, body);
  const top = h("div", { class: "row" }, body);
  const barsBox = h("div", { class: "panel" }, top);
  h("div", { class: "note" }, barsBox, "objective: mesa-objective w (filled, in the individual's trait colour) against the base objective's payoff (dashed outline)");
  const bars = s("svg", { id: "bars", width: 400, height: 40 + 26 * D.features.length }, barsBox);
  const legend = h("div", { class: "panel legend" }, top);
  h("div", { class: "note" }, legend, "objects (as in the static figures); a consumed object vanishes");
  const seen = new Map();
  for (const w of D.worlds) for (const o of w.objects) seen.set(o.features.join("+") || "(none)", o);
  for (const [name, o] of seen) {
    const sp = h("span", {}, legend);
    const sv = s("svg", { width: 18, height: 18 }, sp);
    marker(o.marker, 9, 9, 6.5, { fill: o.colour, stroke: "#000" }, sv);
    h("span", {}, sp, name);
  }
  h("br", {}, legend);
  for (const [label, draw] of [["agent", (sv) => s("circle", { cx: 9, cy: 9, r: 6, fill: "#212529", stroke: "#fff" }, sv)],
    ["current target (the planner's choice)", (sv) => s("circle", { cx: 9, cy: 9, r: 7, fill: "none", stroke: "#f59f00", "stroke-width": 2.5 }, sv)],
    ["start", (sv) => s("circle", { cx: 9, cy: 9, r: 5, fill: "#fff", stroke: "#000", "stroke-width": 1.5 }, sv)]]) {
    const sp = h("span", {}, legend);
    draw(s("svg", { width: 18, height: 18 }, sp));
    h("span", {}, sp, label);
  }
  const ctl = h("div", { class: "controls" }, body);
  const play = h("button", { id: "play", type: "button" }, ctl, "▶ play");
  const prev = h("button", { id: "prev", type: "button" }, ctl, "◀ step");
  const next = h("button", { id: "next", type: "button" }, ctl, "step ▶");
  const slider = h("input", { id: "slider", type: "range", min: 0, max: 1, value: 0 }, ctl);
  const stepText = h("span", { id: "step" }, ctl, "step 0");
  h("label", { for: "speed" }, ctl, "speed");
  const speed = h("select", { id: "speed" }, ctl);
  for (const [v, l] of [[1000, "1 step/s"], [400, "2.5 steps/s"], [200, "5 steps/s"], [80, "12 steps/s"]])
    h("option", { value: v }, speed, l);
  speed.value = "400";
  const stage = h("div", { class: "row", id: "theatre" }, body);
  const CELL = 34;
  for (const w of D.worlds) {
    const box = h("div", { class: "panel world" }, stage);
    h("h3", {}, box, w.label);
    const sv = s("svg", { width: w.width * CELL, height: w.height * CELL, class: "grid" }, box);
    for (let c = 0; c < w.walls.length; c++) {
      const r = Math.floor(c / w.width), q = c % w.width;
      s("rect", { x: q * CELL, y: r * CELL, width: CELL, height: CELL, fill: w.walls[c] ? "#5c5f66" : "#fff", stroke: "#dee2e6" }, sv);
    }
    const xy = (cell) => [(cell % w.width + 0.5) * CELL, (Math.floor(cell / w.width) + 0.5) * CELL];
    const [sx, sy] = xy(w.start);
    s("circle", { cx: sx, cy: sy, r: CELL * 0.2, fill: "#fff", stroke: "#000", "stroke-width": 1.5 }, sv);
    const objs = w.objects.map((o) => {
      const [x, y] = xy(o.cell);
      const e = marker(o.marker, x, y, CELL * 0.32, { fill: o.colour, stroke: "#000", "stroke-width": 1 }, sv);
      s("title", {}, e, o.features.join("+"));
      return e;
    });
    const trail = s("polyline", { fill: "none", stroke: "#212529", "stroke-width": 2.5, "stroke-opacity": 0.55 }, sv);
    const ring = s("circle", { r: CELL * 0.47, fill: "none", stroke: "#f59f00", "stroke-width": 3 }, sv);
    const agent = s("circle", { r: CELL * 0.27, fill: "#212529", stroke: "#fff", "stroke-width": 2 }, sv);
    const pay = h("div", { class: "readout payoff" }, box);
    state.views.push({ w, objs, trail, ring, agent, pay, xy });
  }

  function length() {
    const p = byId.get(state.sel);
    return Math.max(...D.worlds.map((w) => p.episodes[w.name].cells.length - 1));
  }
  function frame() {
    const p = byId.get(state.sel);
    const T = length();
    state.t = Math.max(0, Math.min(state.t, T));
    slider.max = T;
    slider.value = state.t;
    stepText.textContent = `step ${state.t} / ${T}`;
    for (const v of state.views) {
      const ep = p.episodes[v.w.name];
      const steps = ep.cells.length - 1;
      const t = Math.min(state.t, steps);
      v.w.objects.forEach((o, k) => {
        const released = o.parent < 0 || (ep.consumed[o.parent] >= 0 && ep.consumed[o.parent] <= t);
        const gone = ep.consumed[k] >= 0 && ep.consumed[k] <= t;
        v.objs[k].setAttribute("visibility", released && !gone ? "visible" : "hidden");
      });
      v.trail.setAttribute("points", ep.cells.slice(0, t + 1).map((c) => v.xy(c).join(",")).join(" "));
      const [ax, ay] = v.xy(ep.cells[t]);
      v.agent.setAttribute("cx", ax);
      v.agent.setAttribute("cy", ay);
      const target = t < steps ? ep.target[t] : -1;
      if (target >= 0) {
        const [tx, ty] = v.xy(v.w.objects[target].cell);
        v.ring.setAttribute("cx", tx);
        v.ring.setAttribute("cy", ty);
        v.ring.setAttribute("visibility", "visible");
      } else v.ring.setAttribute("visibility", "hidden");
      let text = `step ${t} / ${steps}: payoff ${fmt(ep.payoff[t])}`;
      if (ep.true) text += `, true objective ${fmt(ep.true[t])}`;
      if (t >= steps && steps < T) text += " (episode ended)";
      const got = v.w.objects.map((o, k) => [ep.consumed[k], o.features.join("+")]).filter(([c]) => c >= 0 && c <= t)
        .sort((a, b) => a[0] - b[0]).map(([, n]) => n);
      text += "; reached: " + (got.length ? got.join(", ") : "nothing yet");
      v.pay.textContent = text;
    }
  }
  function drawBars(p) {
    while (bars.firstChild) bars.removeChild(bars.firstChild);
    const w = p.w || D.features.map(() => 0);
    const m = Math.max(1e-9, ...w.map(Math.abs), ...D.base.map(Math.abs));
    const x0 = 290, half = 100;
    s("line", { x1: x0, x2: x0, y1: 8, y2: 14 + 26 * D.features.length, stroke: "#495057" }, bars);
    D.features.forEach((f, i) => {
      const y = 14 + 26 * i;
      s("text", { x: 4, y: y + 13, "font-size": 12 }, bars, `${f}: w ${fmt(w[i])}, base ${fmt(D.base[i], 1)}`);
      const bw = (half * w[i]) / m;
      s("rect", { x: Math.min(x0, x0 + bw), y: y, width: Math.abs(bw), height: 10, fill: p.colour, stroke: "#343a40", class: "wbar" }, bars);
      const bb = (half * D.base[i]) / m;
      s("rect", { x: Math.min(x0, x0 + bb), y: y + 11, width: Math.abs(bb), height: 7, fill: "none", stroke: "#212529", "stroke-dasharray": "3 2" }, bars);
    });
    s("text", { x: x0, y: 30 + 26 * D.features.length, "font-size": 11, "text-anchor": "middle", fill: "#495057" }, bars,
      `0 (bars scaled to ±${m.toFixed(2)})`);
    bars.setAttribute("data-w", JSON.stringify(w));
  }
  function select(id) {
    if (!byId.has(id)) return;
    state.sel = id;
    const p = byId.get(id);
    who.value = String(id);
    selected.textContent = "selected: " + describe(p);
    selected.setAttribute("data-id", id);
    drawBars(p);
    for (const e of document.querySelectorAll(".node")) e.classList.toggle("selected", Number(e.getAttribute("data-id")) === id);
    for (const c of document.querySelectorAll(".cursor")) {
      if (p.generation === null) { c.setAttribute("visibility", "hidden"); continue; }
      c.setAttribute("visibility", "visible");
      c.setAttribute("x1", c.__x(p.generation));
      c.setAttribute("x2", c.__x(p.generation));
    }
    frame();
  }
  function stop() { state.playing = false; clearInterval(state.timer); play.textContent = "▶ play"; }
  function tick() { if (state.t >= length()) state.t = 0; else state.t += 1; frame(); }
  play.addEventListener("click", () => {
    if (state.playing) return stop();
    state.playing = true;
    play.textContent = "❚❚ pause";
    if (state.t >= length()) state.t = 0;
    state.timer = setInterval(tick, Number(speed.value));
  });
  speed.addEventListener("change", () => { if (state.playing) { clearInterval(state.timer); state.timer = setInterval(tick, Number(speed.value)); } });
  prev.addEventListener("click", () => { stop(); state.t -= 1; frame(); });
  next.addEventListener("click", () => { stop(); state.t += 1; frame(); });
  slider.addEventListener("input", () => { stop(); state.t = Number(slider.value); frame(); });

  // ---- lineage explorer
  const hover = h("div", { id: "hover" }, null, "hover over an individual to read it here");
  function node(p, x, y, r, parent) {
    const m = GOAL_MARK[p.goal] || "o";
    const e = marker(m, x, y, r, { fill: p.colour, stroke: "#343a40", "stroke-width": 0.8, class: "node", "data-id": p.id }, parent);
    s("title", {}, e, describe(p));
    e.addEventListener("mouseenter", () => { hover.textContent = describe(p); });
    e.addEventListener("click", () => select(p.id));
    return e;
  }
  function axis(sv, x0, y0, x1, y1, xl, yl) {
    s("line", { x1: x0, y1: y1, x2: x1, y2: y1, stroke: "#495057" }, sv);
    s("line", { x1: x0, y1: y0, x2: x0, y2: y1, stroke: "#495057" }, sv);
    s("text", { x: (x0 + x1) / 2, y: y1 + 30, "font-size": 12, "text-anchor": "middle" }, sv, xl);
    s("text", { x: 14, y: (y0 + y1) / 2, "font-size": 12, "text-anchor": "middle", transform: `rotate(-90 14 ${(y0 + y1) / 2})` }, sv, yl);
  }
  function ticks(sv, lo, hi, n, place, horizontal) {
    // round steps (1, 2 or 5 times a power of ten), about n of them
    const raw = (hi - lo) / n, p10 = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map((m) => m * p10).find((m) => m >= raw);
    const values = [];
    for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + 1e-9; v += step) values.push(Math.abs(v) < 1e-12 ? 0 : v);
    const digits = step >= 1 ? 0 : Math.ceil(-Math.log10(step) - 1e-9);
    for (const v of values) {
      const [x, y] = place(v);
      s("text", { x: horizontal ? x : x - 5, y: horizontal ? y + 14 : y + 4, "font-size": 10, "text-anchor": horizontal ? "middle" : "end", fill: "#495057" }, sv,
        v.toFixed(digits));
    }
  }
  if (D.lod.length) {
    h("h2", {}, body, "Lineage explorer");
    h("p", { class: "note" }, body, "Hover over an individual to read it; click it to watch it in the theatre above. Marker shape: " +
      "inner-goal class (● robust, ▲ pseudo-aligned, ■ misaligned, ✖ non-optimizer); colour: the trait, on the scale above.");
    body.appendChild(hover);
    const row = h("div", { class: "row" }, body);
    const G = Math.max(D.generations, 1);
    // line of descent: generation against the trait
    const box = h("div", { class: "panel" }, row);
    h("div", { class: "note" }, box, `the champion's line of descent (${D.lod.length} individuals, founder first)`);
    const W = 600, H = 360, L = 60, R = 12, T0 = 10, B = 40;
    const sv = s("svg", { id: "lod", width: W, height: H }, box);
    const span = D.trait.span;
    const X = (g) => L + ((W - L - R) * g) / G, Y = (v) => T0 + ((H - T0 - B) * (span - v)) / (2 * span);
    axis(sv, L, T0, W - R, H - B, "generation of birth", D.trait.label);
    ticks(sv, 0, G, 5, (g) => [X(g), H - B], true);
    ticks(sv, -span, span, 4, (v) => [L, Y(v)], false);
    s("line", { x1: L, x2: W - R, y1: Y(0), y2: Y(0), stroke: "#868e96", "stroke-dasharray": "2 3" }, sv);
    const lodP = D.lod.map((i) => byId.get(i));
    s("polyline", { points: lodP.map((p) => `${X(p.generation)},${Y(p.trait)}`).join(" "), fill: "none", stroke: "#343a40", "stroke-width": 1.2 }, sv);
    for (const p of lodP) node(p, X(p.generation), Y(p.trait), p.id === D.champion ? 8 : 5, sv);
    // phylogeny of the sample
    const tbox = h("div", { class: "panel" }, row);
    h("div", { class: "note" }, tbox, `phylogeny (first parents) of the sampled final population, unbranched chains collapsed; ` +
      `orange ring: the champion` + (D.mrca ? `; MRCA of the whole final population: #${D.mrca.id} (generation ${D.mrca.generation})` : ""));
    const nodes = new Map(D.tree.map((n) => [n.id, n]));
    const xs = D.tree.map((n) => n.x), xmax = Math.max(1, ...xs);
    const tv = s("svg", { id: "tree", width: W, height: H }, tbox);
    const branchGens = D.tree.filter((n) => n.parent !== null).map((n) => byId.get(n.id).generation);
    const first = branchGens.length ? Math.min(...branchGens) : 0;
    const gTop = first > 0.2 * G ? Math.max(0, Math.floor(first - 0.08 * (G - first) - 1)) : 0;
    const TX = (x) => L + ((W - L - R) * x) / xmax, TY = (g) => T0 + ((H - T0 - B) * (Math.max(g, gTop) - gTop)) / (G - gTop);
    axis(tv, L, T0, W - R, H - B, "sampled individuals (order has no meaning)", "generation of birth");
    ticks(tv, gTop, G, 5, (g) => [L, TY(g)], false);
    if (gTop > 0) for (const n of D.tree.filter((q) => q.parent === null)) {
      const r = byId.get(n.id);
      h("div", { class: "note" }, tbox, `top node: founder #${r.id} (generation ${r.generation}), drawn at the top ` +
        `of an axis that starts at generation ${gTop}: a single unbranched line joins it to the first branch point`);
    }
    for (const n of D.tree) {
      if (n.parent === null) continue;
      const p = nodes.get(n.parent), gp = byId.get(n.parent).generation, gn = byId.get(n.id).generation;
      s("polyline", { points: `${TX(p.x)},${TY(gp)} ${TX(n.x)},${TY(gp)} ${TX(n.x)},${TY(gn)}`, fill: "none", stroke: byId.get(n.id).colour === "#f7f7f7" ? "#adb5bd" : byId.get(n.id).colour, "stroke-width": 1.6 }, tv);
    }
    for (const n of D.tree) {
      const p = byId.get(n.id);
      if (p.id === D.champion) s("circle", { cx: TX(n.x), cy: TY(p.generation), r: 10, fill: "none", stroke: "#f59f00", "stroke-width": 3 }, tv);
      node(p, TX(n.x), TY(p.generation), 5.5, tv);
    }
  }

  // ---- curves
  h("h2", {}, body, "The run over generations");
  h("p", { class: "note" }, body, "Hover over a chart to read every curve at a generation; the dashed vertical line is the selected individual's generation of birth.");
  const crow = h("div", { class: "row" }, body);
  const gens = D.curves.generation;
  for (const chart of D.curves.charts) {
    const box = h("div", { class: "panel chart" }, crow);
    h("div", { class: "note" }, box, chart.title);
    const W = 600, H = 220, L = 50, R = 10, T0 = 8, B = 30;
    const sv = s("svg", { width: W, height: H }, box);
    const all = chart.series.flatMap((c) => c.values);
    let [lo, hi] = chart.range || [Math.min(...all), Math.max(...all)];
    if (hi - lo < 1e-9) { lo -= 0.5; hi += 0.5; }
    const g0 = gens[0], g1 = Math.max(gens[gens.length - 1], g0 + 1);
    const X = (g) => L + ((W - L - R) * (g - g0)) / (g1 - g0), Y = (v) => T0 + ((H - T0 - B) * (hi - v)) / (hi - lo);
    axis(sv, L, T0, W - R, H - B, "generation", "");
    ticks(sv, g0, g1, 5, (g) => [X(g), H - B], true);
    ticks(sv, lo, hi, 4, (v) => [L, Y(v)], false);
    if (lo < 0 && hi > 0) s("line", { x1: L, x2: W - R, y1: Y(0), y2: Y(0), stroke: "#adb5bd" }, sv);
    for (const c of chart.series)
      s("polyline", { points: c.values.map((v, i) => `${X(gens[i])},${Y(v)}`).join(" "), fill: "none", stroke: c.colour, "stroke-width": 1.8, "stroke-dasharray": c.dash || "none" }, sv);
    const cursor = s("line", { y1: T0, y2: H - B, stroke: "#212529", "stroke-dasharray": "4 3", class: "cursor" }, sv);
    cursor.__x = X;
    const hoverLine = s("line", { y1: T0, y2: H - B, stroke: "#868e96", visibility: "hidden" }, sv);
    const leg = h("div", { class: "legend" }, box);
    for (const c of chart.series) {
      const sp = h("span", {}, leg);
      const lv = s("svg", { width: 22, height: 10 }, sp);
      s("line", { x1: 0, x2: 22, y1: 5, y2: 5, stroke: c.colour, "stroke-width": 2.5, "stroke-dasharray": c.dash || "none" }, lv);
      h("span", {}, sp, c.label);
    }
    const read = h("div", { class: "readout" }, box);
    sv.addEventListener("mousemove", (ev) => {
      const rect = sv.getBoundingClientRect();
      const g = g0 + ((ev.clientX - rect.left - L) / (W - L - R)) * (g1 - g0);
      const i = Math.max(0, Math.min(gens.length - 1, Math.round(g - g0)));
      hoverLine.setAttribute("x1", X(gens[i]));
      hoverLine.setAttribute("x2", X(gens[i]));
      hoverLine.setAttribute("visibility", "visible");
      read.textContent = `generation ${gens[i]}: ` + chart.series.map((c) => `${c.label} ${c.values[i].toFixed(3)}`).join("; ");
    });
    sv.addEventListener("mouseleave", () => hoverLine.setAttribute("visibility", "hidden"));
  }
  select(D.champion);
})();
