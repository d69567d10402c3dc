/* The cycle dashboard: draws the charts (Apache ECharts, served from our own static files) from the figures the
   page carries, and redraws them when the cycle's websocket says an assessment moved. */
(function () {
  "use strict";
  const root = document.getElementById("dashboard");
  if (!root || !window.echarts) return;
  const RAG = { red: "#c62828", yellow: "#f9a825", green: "#2e7d32", "": "#90a4ae" };
  const charts = {};

  function chart(id) {
    const el = document.getElementById(id);
    if (!el) return null;
    if (!charts[id]) el.innerHTML = "";
    if (!charts[id]) charts[id] = window.echarts.init(el, null, { renderer: "svg" });
    return charts[id];
  }

  function draw(d) {
    const stages = chart("chart-stages");
    if (stages) stages.setOption({
      animation: false,
      grid: { left: 40, right: 10, top: 10, bottom: 60 },
      tooltip: {},
      xAxis: { type: "category", data: d.stages.map((s) => s.label), axisLabel: { interval: 0, rotate: 30 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", data: d.stages.map((s) => ({ value: s.n, itemStyle: { color: RAG[s.rag] } })) }],
    });
    const ratingsEl = document.getElementById("chart-ratings");
    const anyRated = d.ratings.some((r) => r.n > 0);
    if (ratingsEl && !anyRated) {
      if (charts["chart-ratings"]) { charts["chart-ratings"].dispose(); delete charts["chart-ratings"]; }
      ratingsEl.innerHTML = "";
      const note = document.createElement("p");
      note.className = "empty-chart";
      note.textContent = ratingsEl.dataset.empty;
      ratingsEl.appendChild(note);
    }
    const ratings = anyRated ? chart("chart-ratings") : null;
    if (ratings) ratings.setOption({
      animation: false,
      tooltip: { trigger: "item" },
      color: ["#2e7d32", "#7cb342", "#f9a825", "#c62828"],
      series: [{ type: "pie", radius: ["35%", "70%"], data: d.ratings.map((r) => ({ name: r.label, value: r.n })) }],
    });
    const sectors = chart("chart-sectors");
    if (sectors) {
      const labels = d.sectors.map((s) => s.label);
      const part = (key, name, color) => ({
        name, type: "bar", stack: "all", itemStyle: { color }, data: d.sectors.map((s) => s[key]),
      });
      sectors.setOption({
        animation: false,
        grid: { left: 40, right: 10, top: 30, bottom: 30 },
        tooltip: { trigger: "axis" },
        legend: { top: 0 },
        xAxis: { type: "category", data: labels },
        yAxis: { type: "value", minInterval: 1 },
        series: [
          part("red", root.dataset.labelRed || "red", RAG.red),
          part("yellow", root.dataset.labelYellow || "yellow", RAG.yellow),
          part("green", root.dataset.labelGreen || "green", RAG.green),
          part("closed", root.dataset.labelClosed || "closed", RAG[""]),
        ],
      });
    }
    const figures = {
      total: d.total,
      "rag.red": d.rag.red,
      "rag.yellow": d.rag.yellow,
      "rag.green": d.rag.green,
      "rectification.open": d.rectification.open,
      "rectification.overdue": d.rectification.overdue,
      "rectification.verified": d.rectification.verified,
      "spot_checks.percent": d.spot_checks.percent,
      "spot_checks.inspected": d.spot_checks.inspected,
    };
    d.stages.forEach((s) => { figures["stage." + s.stage] = s.n; });
    root.querySelectorAll("[data-figure]").forEach((el) => {
      const value = figures[el.dataset.figure];
      if (value !== undefined) el.textContent = value;
    });
    root.dataset.drawn = String(Date.now());
  }

  draw(JSON.parse(document.getElementById("dashboard-data").textContent));
  window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.resize()));

  let pending = null;
  function refresh() {
    clearTimeout(pending);  // several assessments saved in one step: redraw once
    pending = setTimeout(() => {
      fetch(root.dataset.json, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then((r) => (r.ok ? r.json() : null))
        .then((d) => { if (d) { draw(d); root.dataset.updated = String(Date.now()); } });
    }, 300);
  }

  if (!("WebSocket" in window)) return;
  let delay = 1000;
  function connect() {
    const socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + root.dataset.ws);
    socket.onopen = () => { delay = 1000; root.dataset.live = "1"; };
    socket.onmessage = refresh;
    socket.onclose = (event) => {
      root.dataset.live = "";
      if (event.code === 4403) return;  // not allowed: do not retry
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
})();
