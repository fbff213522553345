// reports/history.html: draws the history store's runs by commit with uPlot (inlined beside this script).
// Every figure comes computed from hologram_lib (levels, p95s, intervals, change points); this script only lays
// them out and divides two runs' values for the compare table. Text from the store is set with textContent only.
(function () {
  "use strict";
  const DATA = JSON.parse(document.getElementById("history-data").textContent);
  const RUNS = DATA.runs;
  const COLORS = ["#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#ad1457", "#5d4037", "#455a64"];
  const CHANGE_COLOR = "#6a1b9a";
  const KIND_ORDER = { "wall-clock": 0, counted: 1, other: 2 };
  const state = { branch: 0, order: [], position: new Map(), charts: [], syncing: false, hovered: null };

  const byId = (id) => document.getElementById(id);
  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }
  const short = (commit) => (commit ? commit.slice(0, 8) : "no commit");
  function fmt(value) {
    if (value === null || value === undefined) return "—";
    const magnitude = Math.abs(value);
    if (magnitude >= 1e6) return value.toExponential(3);
    return String(Number(value.toPrecision(4)));
  }
  function axisFmt(value) {
    const magnitude = Math.abs(value);
    for (const [size, suffix] of [[1e9, "G"], [1e6, "M"], [1e4, "k"]]) {
      if (magnitude >= size) return `${Number((value / size).toPrecision(4))}${suffix}`;
    }
    return String(Number(value.toPrecision(4)));
  }
  const verdict = (green) => (green === true ? "pass" : green === false ? "fail" : "unknown");
  const branchName = (run) => DATA.branches[RUNS.branch[run]];
  const machineName = (run) => (RUNS.machine[run] === null ? "unknown machine" : DATA.machines[RUNS.machine[run]]);
  const runLabel = (run) =>
    `${RUNS.at[run]} · ${short(RUNS.commit[run])} · ${branchName(run)} · ${RUNS.id[run]} · ${machineName(run)}`;
  const color = (machine) => COLORS[machine % COLORS.length];

  // ---- the x axis: one slot per run of the chosen branch, in commit order -------------------------------------
  function chooseBranch(index) {
    state.branch = index;
    state.order = [];
    state.position = new Map();
    for (let run = 0; run < RUNS.id.length; run++) {
      if (RUNS.branch[run] === index) {
        state.position.set(run, state.order.length);
        state.order.push(run);
      }
    }
    state.xmin = -0.5;
    state.xmax = state.order.length - 0.5;
  }

  function axisLabels(u, splits) {
    return splits.map((x) => {
      const run = state.order[Math.round(x)];
      if (run === undefined || Math.abs(x - Math.round(x)) > 1e-9) return "";
      return `${RUNS.at[run].slice(0, 10)}\n${short(RUNS.commit[run])}`;
    });
  }

  function showRange() {
    const first = Math.max(0, Math.ceil(state.xmin));
    const last = Math.min(state.order.length - 1, Math.floor(state.xmax));
    const range = byId("range");
    const charts = byId("charts");
    charts.dataset.xMin = String(Math.round(state.xmin * 100) / 100);
    charts.dataset.xMax = String(Math.round(state.xmax * 100) / 100);
    if (last < first) {
      range.textContent = "no run in view";
      return;
    }
    const a = state.order[first];
    const b = state.order[last];
    range.textContent =
      `showing ${last - first + 1} of ${state.order.length} runs: ${short(RUNS.commit[a])} (${RUNS.at[a]})` +
      ` … ${short(RUNS.commit[b])} (${RUNS.at[b]})`;
  }

  function setRange(min, max, source) {
    const lo = -0.5;
    const hi = state.order.length - 0.5;
    let width = Math.min(Math.max(max - min, 2), hi - lo);
    min = Math.max(lo, Math.min(min, hi - width));
    state.xmin = min;
    state.xmax = min + width;
    state.syncing = true;
    for (const chart of state.charts) {
      if (chart !== source) chart.setScale("x", { min: state.xmin, max: state.xmax });
    }
    state.syncing = false;
    showRange();
  }

  // ---- one chart -------------------------------------------------------------------------------------------------
  function seriesData(metric) {
    const machines = [];
    for (const run of state.order) {
      const machine = RUNS.machine[run] ?? -1;
      if ((metric.level[run] !== null || metric.p95[run] !== null) && !machines.includes(machine)) {
        machines.push(machine);
      }
    }
    const xs = state.order.map((_, i) => i);
    const columns = [xs];
    const series = [{}];
    const bands = [];
    for (const machine of machines) {
      const pick = (values) => state.order.map((run) => ((RUNS.machine[run] ?? -1) === machine ? values[run] : null));
      const stroke = color(Math.max(machine, 0));
      const base = columns.length;
      columns.push(pick(metric.level), pick(metric.p95), pick(metric.high), pick(metric.low));
      series.push(
        { label: "median", stroke, width: 1.5, spanGaps: true, points: { size: 5, fill: stroke } },
        { label: "p95", stroke, width: 1, dash: [5, 4], spanGaps: true, points: { show: false } },
        { label: "high", stroke: "transparent", width: 0, spanGaps: true, points: { show: false } },
        { label: "low", stroke: "transparent", width: 0, spanGaps: true, points: { show: false } },
      );
      bands.push({ series: [base + 2, base + 3], fill: stroke + "26" });
    }
    return { columns, series, bands, machines };
  }

  function drawChanges(u, metric) {
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    ctx.save();
    ctx.font = `${Math.round(10 * devicePixelRatio)}px system-ui, sans-serif`;
    for (const change of metric.changes) {
      if (change.branch !== DATA.branches[state.branch] || !state.position.has(change.run)) continue;
      const x = u.valToPos(state.position.get(change.run) - 0.5, "x", true);
      if (x < left || x > left + width) continue;
      ctx.strokeStyle = CHANGE_COLOR;
      ctx.fillStyle = CHANGE_COLOR;
      ctx.lineWidth = 1.5 * devicePixelRatio;
      ctx.setLineDash([3 * devicePixelRatio, 3 * devicePixelRatio]);
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
      ctx.fillText(`×${fmt(change.ratio)}`, x + 3 * devicePixelRatio, top + 12 * devicePixelRatio);
    }
    ctx.restore();
  }

  function tooltipText(metric, run) {
    const interval = metric.interval[run];
    const lines = [
      `commit ${RUNS.commit[run] ? RUNS.commit[run].slice(0, 12) : "not recorded"} · ${RUNS.at[run]} UTC`,
      ...(RUNS.subject && RUNS.subject[run] ? [`“${RUNS.subject[run]}”`] : []),
      `branch ${branchName(run)} · run ${RUNS.id[run]}`,
      `machine ${machineName(run)}${RUNS.runner[run] ? ` (runner ${RUNS.runner[run]})` : ""}`,
      `verdict ${verdict(RUNS.green[run])}${RUNS.profile[run] ? ` (profile ${RUNS.profile[run]})` : ""}`,
      `${metric.key}: median ${fmt(metric.level[run])} · p95 ${fmt(metric.p95[run])} ${metric.unit}`,
      interval === null
        ? "interval: not recorded for this run"
        : `${DATA.intervals[interval]}: ${fmt(metric.low[run])} – ${fmt(metric.high[run])} ${metric.unit}`,
    ];
    return lines.join("\n");
  }

  function showTooltip(u, metric) {
    const tip = byId("tooltip");
    const idx = u.cursor.idx;
    if (state.hovered !== u || idx === null || idx === undefined || u.cursor.left < 0) {
      if (state.hovered === u || state.hovered === null) tip.hidden = true;
      return;
    }
    const run = state.order[idx];
    tip.textContent = tooltipText(metric, run);
    tip.dataset.run = RUNS.id[run];
    tip.hidden = false;
    const box = u.over.getBoundingClientRect();
    const left = window.scrollX + box.left + u.cursor.left + 14;
    tip.style.left = `${Math.min(left, window.scrollX + document.documentElement.clientWidth - 430)}px`;
    tip.style.top = `${window.scrollY + box.top + u.cursor.top + 14}px`;
  }

  function wheel(u, event) {
    event.preventDefault();
    const span = state.xmax - state.xmin;
    if (event.shiftKey || Math.abs(event.deltaX) > Math.abs(event.deltaY)) {
      const step = Math.sign(event.deltaX || event.deltaY) * span * 0.15;
      setRange(state.xmin + step, state.xmax + step, null);
      return;
    }
    const at = u.posToVal(event.clientX - u.over.getBoundingClientRect().left, "x");
    const factor = event.deltaY < 0 ? 0.75 : 1 / 0.75;
    setRange(at - (at - state.xmin) * factor, at + (state.xmax - at) * factor, null);
  }

  function makeChart(box, metric) {
    const { columns, series, bands, machines } = seriesData(metric);
    if (!machines.length) {
      box.append(el("div", `no run of ${DATA.branches[state.branch]} measured ${metric.key}`, "nodata"));
      return null;
    }
    const opts = {
      width: Math.max(340, box.clientWidth - 10),
      height: 230,
      legend: { show: false },
      scales: { x: { time: false } },
      axes: [
        { space: 90, size: 42, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000], values: axisLabels },
        { label: metric.unit, size: 64, labelSize: 20, values: (u, splits) => splits.map(axisFmt) },
      ],
      series,
      bands,
      cursor: { drag: { x: true, y: false, setScale: true }, points: { size: 8 }, sync: { key: "history" } },
      hooks: {
        setCursor: [(u) => showTooltip(u, metric)],
        setScale: [
          (u, key) => {
            if (key === "x" && !state.syncing) setRange(u.scales.x.min, u.scales.x.max, u);
          },
        ],
        draw: [(u) => drawChanges(u, metric)],
      },
    };
    state.syncing = true; // uPlot sets its own initial range while it is built: not a zoom to share
    const chart = new uPlot(opts, columns, box);
    chart.setScale("x", { min: state.xmin, max: state.xmax });
    state.syncing = false;
    chart.root.dataset.metric = metric.key;
    chart.over.addEventListener("mouseenter", () => (state.hovered = chart));
    chart.over.addEventListener("mouseleave", () => {
      state.hovered = null;
      byId("tooltip").hidden = true;
    });
    chart.over.addEventListener("wheel", (event) => wheel(chart, event), { passive: false });
    let down = null;
    chart.over.addEventListener("mousedown", (event) => (down = [event.clientX, event.clientY]));
    chart.over.addEventListener("click", (event) => {
      const moved = down && Math.hypot(event.clientX - down[0], event.clientY - down[1]) > 3;
      if (moved || chart.cursor.idx === null || chart.cursor.idx === undefined) return;
      pick(event.shiftKey ? "run-a" : "run-b", state.order[chart.cursor.idx]);
    });
    return chart;
  }

  function changeList(metric) {
    const list = el("ul", null, "changes");
    for (const change of metric.changes) {
      if (change.branch !== DATA.branches[state.branch]) continue;
      const run = change.run;
      list.append(
        el(
          "li",
          `change at ${short(RUNS.commit[run])}${RUNS.subject && RUNS.subject[run] ? ` “${RUNS.subject[run]}”` : ""}` +
            ` (${RUNS.at[run]}, run ${RUNS.id[run]}) on ${DATA.machines[change.machine]}:` +
            ` ×${fmt(change.ratio)} (${fmt(change.before)} → ${fmt(change.after)} ${metric.unit}), p=${fmt(change.p)}`,
        ),
      );
    }
    return list;
  }

  // ---- the page: metrics grouped by what they measure, wall-clock beside counted --------------------------------
  function drawAll() {
    for (const chart of state.charts) chart.destroy();
    state.charts = [];
    const holder = byId("charts");
    holder.replaceChildren();
    const groups = new Map();
    const boxes = [];
    for (const metric of DATA.metrics) {
      if (!groups.has(metric.base)) groups.set(metric.base, []);
      groups.get(metric.base).push(metric);
    }
    for (const [base, metrics] of [...groups].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
      const row = el("section", null, "metric-row");
      row.append(el("h3", base));
      metrics.sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || (a.unit < b.unit ? -1 : 1));
      holder.append(row);
      for (const metric of metrics) {
        const box = el("div", null, "chart-box");
        box.dataset.metric = metric.key;
        box.append(el("div", `${metric.key} · ${metric.kind} (${metric.unit || "no unit"})`, "kind"));
        row.append(box);
        boxes.push([box, metric]);
      }
    }
    // Charts only once every box is laid out: a box measured alone in its row is wider than it ends up.
    for (const [box, metric] of boxes) {
      const chart = makeChart(box, metric);
      if (chart) state.charts.push(chart);
      box.append(changeList(metric));
    }
    legend();
    showRange();
  }

  function legend() {
    const holder = byId("legend");
    holder.replaceChildren();
    const seen = new Set(state.order.map((run) => RUNS.machine[run] ?? -1));
    for (const machine of seen) {
      const item = el("span");
      const swatch = el("span", null, "swatch");
      swatch.style.background = color(Math.max(machine, 0));
      item.append(swatch, el("span", machine < 0 ? "unknown machine" : DATA.machines[machine]));
      holder.append(item);
    }
    holder.append(el("span", "solid: median (per-process centre) · dashed: p95 · band: interval · dotted: change point"));
  }

  // ---- compare two runs: both values and their ratio, per metric --------------------------------------------------
  function pick(selectId, run) {
    byId(selectId).value = String(run);
    compare();
  }

  function compare() {
    const a = Number(byId("run-a").value);
    const b = Number(byId("run-b").value);
    const headers = ["metric", "unit", "A median", "B median", "B ÷ A", "A p95", "B p95", "p95 B ÷ A"];
    const table = el("table");
    const head = el("tr");
    for (const text of headers) head.append(el("th", text));
    table.append(el("thead"));
    table.tHead.append(head);
    const body = el("tbody");
    const ratio = (x, y) => (x === null || y === null || x === 0 ? "—" : `×${(y / x).toFixed(3)}`);
    for (const metric of DATA.metrics) {
      if (metric.level[a] === null && metric.level[b] === null && metric.p95[a] === null && metric.p95[b] === null) {
        continue;
      }
      const row = el("tr");
      row.dataset.metric = metric.key;
      for (const text of [
        metric.key, metric.unit, fmt(metric.level[a]), fmt(metric.level[b]), ratio(metric.level[a], metric.level[b]),
        fmt(metric.p95[a]), fmt(metric.p95[b]), ratio(metric.p95[a], metric.p95[b]),
      ]) {
        row.append(el("td", text));
      }
      body.append(row);
    }
    table.append(body);
    byId("compare").replaceChildren(table);
    byId("compare-note").textContent =
      `A: ${runLabel(a)} (${verdict(RUNS.green[a])})\nB: ${runLabel(b)} (${verdict(RUNS.green[b])})\n` +
      "Ratios only: whether a difference is more than noise is the verdict's drift test, not this table's.";
  }

  function fillSelects() {
    for (const id of ["run-a", "run-b"]) {
      const select = byId(id);
      select.replaceChildren();
      for (let run = RUNS.id.length - 1; run >= 0; run--) {
        const option = el("option", runLabel(run));
        option.value = String(run);
        select.append(option);
      }
      select.addEventListener("change", compare);
    }
    const last = state.order.length ? state.order[state.order.length - 1] : RUNS.id.length - 1;
    const before = state.order.length > 1 ? state.order[state.order.length - 2] : last;
    byId("run-a").value = String(before);
    byId("run-b").value = String(last);
    compare();
  }

  // ---- start -------------------------------------------------------------------------------------------------------
  function start() {
    const summary = byId("summary");
    if (!RUNS.id.length) {
      summary.textContent = `No runs to show (${DATA.empty || "the store is empty"}): store ${DATA.store}, made ${DATA.made}.`;
      for (const id of ["controls", "compare-title", "compare-controls"]) byId(id).hidden = true;
      document.body.dataset.ready = "empty";
      return;
    }
    const shown = DATA.total > RUNS.id.length ? `the newest ${RUNS.id.length} of ${DATA.total}` : `${RUNS.id.length}`;
    summary.textContent =
      `${shown} runs · ${DATA.metrics.length} metrics · ${DATA.branches.length} branch(es) · ` +
      `${DATA.machines.length} machine(s) · store ${DATA.store} · made ${DATA.made}`;
    const branch = byId("branch");
    DATA.branches.forEach((name, index) => {
      const count = RUNS.branch.filter((b) => b === index).length;
      const option = el("option", `${name} (${count} runs)`);
      option.value = String(index);
      branch.append(option);
    });
    branch.addEventListener("change", () => {
      chooseBranch(Number(branch.value));
      drawAll();
    });
    const zoom = (factor) => {
      const mid = (state.xmin + state.xmax) / 2;
      const half = ((state.xmax - state.xmin) / 2) * factor;
      setRange(mid - half, mid + half, null);
    };
    const pan = (share) => {
      const step = (state.xmax - state.xmin) * share;
      setRange(state.xmin + step, state.xmax + step, null);
    };
    byId("zoom-in").addEventListener("click", () => zoom(0.5));
    byId("zoom-out").addEventListener("click", () => zoom(2));
    byId("pan-left").addEventListener("click", () => pan(-0.25));
    byId("pan-right").addEventListener("click", () => pan(0.25));
    byId("zoom-reset").addEventListener("click", () => setRange(-0.5, state.order.length - 0.5, null));
    let resizing = 0;
    window.addEventListener("resize", () => {
      clearTimeout(resizing);
      resizing = setTimeout(() => {
        for (const chart of state.charts) {
          chart.setSize({ width: Math.max(340, chart.root.parentElement.clientWidth - 10), height: 230 });
        }
      }, 150);
    });
    chooseBranch(0);
    drawAll();
    fillSelects();
    document.body.dataset.ready = "yes";
  }

  start();
})();
