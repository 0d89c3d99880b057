/* Draws the report's charts as SVG from the JSON in #report-data: no network, no library.
   Every drawn value is an element of class "mark"; <html data-charts-drawn> counts the charts drawn. */
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";

  window.addEventListener("error", function (event) {
    var root = document.documentElement;
    var seen = root.getAttribute("data-chart-errors");
    root.setAttribute("data-chart-errors", (seen ? seen + " | " : "") + String(event.message));
  });

  function el(tag, attrs, parent, text) {
    var node = document.createElementNS(NS, tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, String(attrs[key])); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (parent) parent.appendChild(node);
    return node;
  }

  function niceStep(span, count) {
    var raw = span / Math.max(count, 1);
    var magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    var norm = raw / magnitude;
    return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * magnitude;
  }

  function ticks(lo, hi, count) {
    var step = niceStep(hi - lo, count);
    var out = [];
    for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toFixed(9));
    return out;
  }

  function tickText(v) { return Math.abs(v) >= 1000 ? v.toLocaleString("en-US") : String(+v.toFixed(2)); }

  function domainOf(chart, values) {
    if (chart.domain) return chart.domain.slice();
    var extra = (chart.target ? [chart.target.value] : []).concat(
      (chart.pace || []).filter(function (v) { return v !== null; }));
    var hi = Math.max.apply(null, values.concat(extra, [0])) * 1.12 || 1;
    var step = niceStep(hi, 5);
    return [0, Math.ceil(hi / step) * step];
  }

  function scale(v, dom, length) {
    return (Math.min(Math.max(v, dom[0]), dom[1]) - dom[0]) / (dom[1] - dom[0]) * length;
  }

  function clip(text, max) { return text.length > max ? text.slice(0, max - 1) + "…" : text; }

  function vertical(chart, svg) {
    var W = chart.width, m = { l: 54, r: 76, t: 34, b: 42 }, H = 320;
    var n = chart.categories.length;
    var heights = chart.kind === "stack"
      ? chart.categories.map(function (_, i) {
          return chart.series.reduce(function (sum, s) { return sum + (s.values[i] || 0); }, 0);
        })
      : chart.values.filter(function (v) { return v !== null; });
    var dom = domainOf(chart, heights);
    var pw = W - m.l - m.r, ph = H - m.t - m.b, band = pw / n;
    var y = function (v) { return m.t + ph - scale(v, dom, ph); };
    var cx = function (i) { return m.l + band * (i + 0.5); };
    var barWidth = Math.min(64, band * 0.56);
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    ticks(dom[0], dom[1], 5).forEach(function (t) {
      el("line", { x1: m.l, x2: W - m.r, y1: y(t), y2: y(t), "class": "grid" }, svg);
      el("text", { x: m.l - 8, y: y(t) + 4, "class": "tick", "text-anchor": "end" }, svg, tickText(t));
    });
    el("line", { x1: m.l, x2: W - m.r, y1: m.t + ph, y2: m.t + ph, "class": "axis" }, svg);
    el("line", { x1: m.l, x2: m.l, y1: m.t, y2: m.t + ph, "class": "axis" }, svg);
    el("text", { x: m.l - 8, y: m.t - 16, "class": "unit", "text-anchor": "end" }, svg, chart.unit);
    chart.categories.forEach(function (c, i) {
      el("text", { x: cx(i), y: H - m.b + 20, "class": "tick", "text-anchor": "middle" }, svg, c);
    });
    if (chart.target) {
      var ty = y(chart.target.value);
      el("line", { x1: m.l, x2: W - m.r + 4, y1: ty, y2: ty, "class": "target" }, svg);
      el("text", { x: W - m.r + 6, y: ty + 4, "class": "target-label" }, svg, chart.target.label);
    }
    if (chart.pace) {  // the target pro-rated to each point: a dashed line with a dot per point
      var pace = [];
      chart.pace.forEach(function (v, i) {
        if (v === null) return;
        pace.push(cx(i) + "," + y(v));
        el("circle", { cx: cx(i), cy: y(v), r: 3.5, "class": "pace-dot" }, svg);
      });
      el("polyline", { points: pace.join(" "), "class": "pace" }, svg);
      var last = chart.pace.length - 1;
      if (chart.pace[last] !== null) {
        el("text", { x: cx(last) + barWidth / 2 + 6, y: y(chart.pace[last]) + 4, "class": "pace-label" },
           svg, chart.pace_label);
      }
    }
    if (chart.kind === "line") {
      var points = [];
      chart.values.forEach(function (v, i) { if (v !== null) points.push(cx(i) + "," + y(v)); });
      el("polyline", { points: points.join(" "), "class": "line" }, svg);
    }
    chart.categories.forEach(function (c, i) {
      var top;
      if (chart.kind === "stack") {
        var base = 0;
        chart.series.forEach(function (s) {
          var v = s.values[i] || 0;
          if (v > 0) {
            var seg = el("rect", { x: cx(i) - barWidth / 2, y: y(base + v), width: barWidth,
              height: Math.max(y(base) - y(base + v), 1), fill: s.color, "class": "mark" }, svg);
            el("title", {}, seg, c + " " + s.name + ": " + v);
          }
          base += v;
        });
        top = y(base);
      } else {
        var v = chart.values[i];
        if (v === null) return;
        var mark = chart.kind === "line"
          ? el("circle", { cx: cx(i), cy: y(v), r: 6, fill: chart.colors[i], "class": "mark" }, svg)
          : el("rect", { x: cx(i) - barWidth / 2, y: y(v), width: barWidth, rx: 3,
              height: Math.max(y(dom[0]) - y(v), 1), fill: chart.colors[i], "class": "mark" }, svg);
        el("title", {}, mark, c + ": " + chart.labels[i]);
        top = y(v) - (chart.kind === "line" ? 6 : 0);
      }
      var label = el("text", { x: cx(i), y: top - 8, "class": "value", "text-anchor": "middle" },
                     svg, chart.labels[i]);
      if (chart.kind === "stack") label.style.fill = chart.colors[i];  // the share, coloured met / missed
    });
  }

  function horizontal(chart, svg) {
    var W = chart.width, n = chart.categories.length, row = 26;
    var m = { l: chart.label_width || 136, r: 78, t: 34, b: 30 }, H = m.t + m.b + row * n;
    var dom = domainOf(chart, chart.values.concat(chart.totals || []));
    var pw = W - m.l - m.r;
    var x = function (v) { return m.l + scale(v, dom, pw); };
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    ticks(dom[0], dom[1], 5).forEach(function (t) {
      el("line", { x1: x(t), x2: x(t), y1: m.t - 4, y2: H - m.b, "class": "grid" }, svg);
      el("text", { x: x(t), y: m.t - 10, "class": "tick", "text-anchor": "middle" }, svg, tickText(t));
    });
    el("text", { x: m.l - 20, y: m.t - 10, "class": "unit", "text-anchor": "end" }, svg, "单位 " + chart.unit);
    el("line", { x1: m.l, x2: m.l, y1: m.t - 4, y2: H - m.b, "class": "axis" }, svg);
    chart.categories.forEach(function (c, i) {
      var top = m.t + row * i, mid = top + row / 2, v = chart.values[i];
      var name = el("text", { x: m.l - 8, y: mid + 4, "class": "category", "text-anchor": "end" },
                    svg, clip(c, chart.label_chars || 9));
      el("title", {}, name, chart.tooltips ? chart.tooltips[i] : c);
      var end = v === null ? dom[0] : v;
      if (chart.totals && chart.totals[i] !== null) {
        el("rect", { x: m.l, y: top + row * 0.18, width: Math.max(x(chart.totals[i]) - m.l, 1),
          height: row * 0.64, rx: 3, "class": "mark-bg" }, svg);
        end = Math.max(end, chart.totals[i]);
      }
      if (v === null) return;
      var bar = el("rect", { x: m.l, y: top + row * 0.18, width: Math.max(x(v) - m.l, 1), height: row * 0.64,
        rx: 3, fill: chart.colors[i], "class": "mark" }, svg);
      el("title", {}, bar, chart.tooltips ? chart.tooltips[i] : c + ": " + chart.labels[i]);
      el("text", { x: x(end) + 6, y: mid + 4, "class": "value" }, svg, chart.labels[i]);
    });
    if (chart.target) {
      var tx = x(chart.target.value);
      el("line", { x1: tx, x2: tx, y1: m.t - 4, y2: H - m.b + 4, "class": "target" }, svg);
      el("text", { x: tx, y: H - m.b + 18, "class": "target-label", "text-anchor": "middle" },
         svg, chart.target.label);
    }
  }

  function legend(chart, holder) {
    if (!chart.legend || !chart.legend.length) return;
    var box = document.createElement("div");
    box.className = "legend";
    chart.legend.forEach(function (item) {
      var entry = document.createElement("span");
      var swatch = document.createElement("i");
      swatch.style.background = item.color;
      entry.appendChild(swatch);
      entry.appendChild(document.createTextNode(item.label));
      box.appendChild(entry);
    });
    holder.appendChild(box);
  }

  function draw(chart) {
    var figure = document.querySelector('[data-chart="' + chart.id + '"]');
    if (!figure) throw new Error("no container for chart " + chart.id);
    var holder = figure.querySelector(".chart-body");
    var svg = el("svg", { role: "img", "aria-label": chart.title_zh + " / " + chart.title_en,
      preserveAspectRatio: "xMidYMid meet" });
    var count = chart.kind === "stack" ? chart.categories.length
      : chart.values.filter(function (v) { return v !== null; }).length;
    if (!count) {
      svg.setAttribute("viewBox", "0 0 " + chart.width + " 100");
      el("text", { x: chart.width / 2, y: 56, "class": "empty", "text-anchor": "middle" },
         svg, "本季度暂无数据 / no data");
      holder.appendChild(svg);
      figure.setAttribute("data-marks", "0");
      return 0;
    }
    if (chart.kind === "hbars") horizontal(chart, svg); else vertical(chart, svg);
    holder.appendChild(svg);
    legend(chart, holder);
    var marks = svg.querySelectorAll(".mark").length;
    figure.setAttribute("data-marks", String(marks));
    return marks;
  }

  var data = JSON.parse(document.getElementById("report-data").textContent);
  var drawn = 0;
  data.charts.forEach(function (chart) { if (draw(chart) > 0) drawn += 1; });
  document.documentElement.setAttribute("data-charts-drawn", String(drawn));
})();
