/* Year over year: a stacked bar per year of advanced / average / backward organisations (Apache ECharts, served
   from our own static files), drawn from the figures the page carries. */
(function () {
  "use strict";
  const data = document.getElementById("yearly-data");
  const el = document.getElementById("chart-classes");
  if (!data || !el || !window.echarts) return;
  const d = JSON.parse(data.textContent);
  const COLORS = { advanced: "#2e7d32", average: "#f9a825", backward: "#c62828" };
  const chart = window.echarts.init(el, null, { renderer: "svg" });
  chart.setOption({
    animation: false,
    grid: { left: 40, right: 10, top: 30, bottom: 30 },
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    xAxis: { type: "category", data: d.years },
    yAxis: { type: "value", minInterval: 1 },
    series: d.series.map((s) => ({
      name: s.label, type: "bar", stack: "all", itemStyle: { color: COLORS[s.key] }, data: s.data,
    })),
  });
  window.addEventListener("resize", () => chart.resize());
})();
