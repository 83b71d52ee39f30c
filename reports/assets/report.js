// The page script of report.html: draws every <canvas data-chart="ID"> from
// the chart specifications the report embeds as JSON (#esbench-charts),
// with Chart.js inlined before it. Go shapes the data (reports/html.go,
// where it is tested); this only maps it onto Chart.js options.
(function () {
  "use strict";
  var specs = JSON.parse(document.getElementById("esbench-charts").textContent);
  var palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"];
  function pct(x) {
    var p = 100 * (1 - 1 / x);
    // x = 10^k is the percentile with k nines: 90%, 99%, 99.9%, ...
    return (p >= 99 ? p.toPrecision(Math.max(2, Math.round(Math.log10(x)))) : p.toFixed(0)) + "%";
  }
  function isPow10(v) {
    var e = Math.log10(v);
    return Math.abs(e - Math.round(e)) < 1e-9;
  }
  // is125 says whether v is 1, 2 or 5 times a power of ten: the ticks a log
  // axis labels, so each decade reads without crowding.
  function is125(v) {
    var m = v / Math.pow(10, Math.floor(Math.log10(v) + 1e-9));
    return [1, 2, 5].some(function (k) { return Math.abs(m - k) < 1e-6; });
  }
  function axis(type, label) {
    var a = { title: { display: true, text: label, font: { weight: "bold" } }, ticks: { maxRotation: 0 } };
    if (type === "percentile") {
      a.type = "logarithmic";
      a.min = 1;
      a.ticks = { autoSkip: false, maxRotation: 0, callback: function (v) { return isPow10(v) ? pct(v) : ""; } };
    } else {
      a.type = type;
      if (type === "logarithmic") {
        a.ticks = { autoSkip: false, maxRotation: 0, callback: function (v) { return v > 0 && is125(v) ? Number(v).toLocaleString("en-US", { maximumSignificantDigits: 3 }) : ""; } };
      }
    }
    return a;
  }
  function build(spec) {
    var datasets = spec.datasets.map(function (d, i) {
      var color = palette[i % palette.length];
      var ds = {
        label: d.label,
        data: d.points || d.values || [],
        borderColor: color,
        backgroundColor: spec.kind === "bar" && !d.type ? color + "cc" : color,
        borderWidth: 2,
        pointRadius: spec.kind === "scatter" && !d.type ? 4 : 0,
        pointHoverRadius: 4,
        spanGaps: true
      };
      if (d.type) { ds.type = d.type; }
      // Legend keys look like what they stand for: a box for bars, a dot
      // for scattered points, a (dashed) line for lines.
      var kind = d.type || spec.kind;
      ds.pointStyle = kind === "bar" ? "rect" : kind === "scatter" && !d.showLine ? "circle" : "line";
      if (d.dashed) { ds.borderDash = [6, 4]; }
      if (d.showLine) { ds.showLine = true; }
      return ds;
    });
    var options = {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      parsing: spec.kind === "bar" ? undefined : false,
      interaction: { mode: "nearest", intersect: false },
      plugins: { title: { display: true, text: spec.title, font: { size: 14 } }, legend: { position: "bottom", labels: { usePointStyle: true, pointStyleWidth: 28 } } },
      scales: { x: axis(spec.xScale, spec.xLabel), y: axis(spec.yScale, spec.yLabel) }
    };
    if (spec.xScale === "percentile") {
      options.plugins.tooltip = { callbacks: { title: function (items) { return items.length ? pct(items[0].parsed.x) : ""; } } };
    }
    if (spec.kind === "bar") { delete options.parsing; }
    var cfg = { type: spec.kind, data: { labels: spec.labels || undefined, datasets: datasets }, options: options };
    if (spec.windows) { cfg.plugins = [windowsPlugin(spec.windows)]; }
    return cfg;
  }
  // windowsPlugin shades the fault windows behind the lines, labelled, and
  // records on the canvas how many it drew (data-fault-windows), which the
  // browser test reads.
  function windowsPlugin(wins) {
    return {
      id: "faultWindows",
      beforeDatasetsDraw: function (chart) {
        var x = chart.scales.x, a = chart.chartArea, ctx = chart.ctx, n = 0;
        ctx.save();
        wins.forEach(function (w) {
          var l = Math.max(a.left, x.getPixelForValue(w.from)), r = Math.min(a.right, x.getPixelForValue(w.to));
          if (!(r > l)) { return; }
          ctx.fillStyle = "rgba(214, 39, 40, 0.13)";
          ctx.fillRect(l, a.top, r - l, a.bottom - a.top);
          ctx.fillStyle = "#8b1a1a";
          ctx.font = "11px system-ui, sans-serif";
          ctx.fillText(w.label, l + 3, a.top + 12);
          n++;
        });
        ctx.restore();
        chart.canvas.dataset.faultWindows = String(n);
      }
    };
  }
  var drawn = 0;
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var spec = specs[canvas.dataset.chart];
    if (!spec) { throw new Error("no chart data for " + canvas.dataset.chart); }
    new Chart(canvas, build(spec));
    drawn++;
  });
  document.body.dataset.chartsDrawn = String(drawn);
})();
