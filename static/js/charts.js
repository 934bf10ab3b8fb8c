// Draws every chart on the page from its JSON (see citylab/charts.py and templates/_chart.html).
// Progressive enhancement: without this file, or without plotly, each chart's table is there.
"use strict";

(function () {
  // Plotly lays text out in px. Follow the page's text size (the "largest" setting doubles the
  // root font): no chart text is smaller than the text around it.
  function baseSize(el) {
    return parseFloat(getComputedStyle(el).fontSize) || 16;
  }

  // Every font object in the figure ("font", "textfont", "tickfont", ...) at least `size`.
  function raiseFonts(node, size, key) {
    if (Array.isArray(node)) {
      node.forEach((item) => raiseFonts(item, size, key));
    } else if (node && typeof node === "object") {
      if (key && /font$/i.test(key)) {
        node.size = Math.max(Number(node.size) || 0, size);
      }
      for (const [k, v] of Object.entries(node)) {
        if (v && typeof v === "object") {
          raiseFonts(v, size, k);
        }
      }
    }
  }

  // Long category names wrap (plotly breaks lines only at <br>) so that a narrow screen in
  // large text keeps room for the plot itself.
  function wrap(text, width) {
    if (typeof text !== "string" || text.length <= width) {
      return text;
    }
    const lines = [];
    let line = "";
    for (const word of text.split(" ")) {
      if (line && (line + " " + word).length > width) {
        lines.push(line);
        line = word;
      } else {
        line = line ? line + " " + word : word;
      }
    }
    lines.push(line);
    return lines.join("<br>");
  }

  function wrapCategories(figure, width) {
    const map = (values) => (Array.isArray(values) ? values.map((v) => wrap(v, width)) : values);
    for (const [axis, key] of [["yaxis", "y"], ["xaxis", "x"]]) {
      const a = figure.layout[axis];
      if (!a || a.type !== "category") {
        continue;
      }
      for (const trace of figure.data) {
        trace[key] = map(trace[key]);
      }
      if (Array.isArray(a.categoryarray)) {
        a.categoryarray = map(a.categoryarray);
      }
    }
  }

  // Lines of category labels down the y axis (a wrapped label counts each of its lines).
  function rowCount(figure) {
    const axis = figure.layout.yaxis || {};
    let labels = Array.isArray(axis.categoryarray) ? axis.categoryarray : null;
    if (!labels) {
      const heat = figure.data.find((t) => t.type === "heatmap");
      labels = heat && Array.isArray(heat.y) ? heat.y : [];
    }
    return labels.reduce((sum, label) => sum + Math.max(String(label).split("<br>").length, 1.6), 0);
  }

  function draw(el) {
    if (typeof window.Plotly === "undefined") {
      return;
    }
    const source = document.getElementById(el.dataset.chart);
    if (!source) {
      return;
    }
    const figure = JSON.parse(source.textContent);
    const size = baseSize(el);
    const width = el.clientWidth || 320;
    el.dataset.width = String(width);
    figure.layout = Object.assign({}, figure.layout);
    figure.layout.font = Object.assign({}, figure.layout.font, { size: size });
    raiseFonts(figure, size, "");
    // On a narrow box in large text, labels beside the rows would leave the plot a sliver:
    // each row's label goes above its row instead, across the whole width.
    const yAxis = figure.layout.yaxis || {};
    const above = width < size * 24 && yAxis.type === "category" && !figure.data.some((t) => t.type === "heatmap");
    wrapCategories(figure, Math.max(10, Math.floor((width * (above ? 0.8 : 0.42)) / (size * 0.55))));
    if (above) {
      figure.layout.yaxis = Object.assign({}, figure.layout.yaxis, { showticklabels: false });
      figure.layout.annotations = (figure.layout.annotations || []).concat(
        (figure.layout.yaxis.categoryarray || []).map((label) => ({
          xref: "paper", x: 0, xanchor: "left", yref: "y", y: label, yanchor: "bottom", yshift: size * 0.35,
          text: label, showarrow: false, align: "left", font: { size: size, color: "#1b1b1b" }, bgcolor: "rgba(255,255,255,0.85)",
        })),
      );
    }
    // Axis titles wrap to the box; value axes keep level labels, fewer of them when narrow.
    const perLine = Math.max(12, Math.floor((width * (above ? 0.8 : 0.5)) / (size * 0.6)));
    for (const axis of ["xaxis", "yaxis"]) {
      const a = (figure.layout[axis] = Object.assign({}, figure.layout[axis]));
      if (a.title && a.title.text) {
        a.title = Object.assign({}, a.title, { text: wrap(a.title.text, perLine) });
      }
      if (a.type !== "category") {
        a.tickangle = 0;
        a.nticks = Math.max(3, Math.floor(width / (size * 5)));
      }
    }
    const narrow = width < size * 24;
    const heatmap = figure.data.find((t) => t.type === "heatmap");
    if (heatmap && narrow) {
      // Every cell prints its value, so the colour scale can go and give the cells the room.
      heatmap.showscale = false;
      const longest = Math.max(...(heatmap.y || [""]).map((label) => String(label).length));
      figure.layout.yaxis = Object.assign({}, figure.layout.yaxis, { title: { text: "" }, automargin: false });
      figure.layout.margin = Object.assign({}, figure.layout.margin, { l: Math.round(longest * size * 0.62 + 12) });
    }
    for (const axis of ["xaxis", "yaxis"]) {
      if (figure.layout[axis] && figure.layout[axis].type === "category" && narrow) {
        figure.layout[axis] = Object.assign({}, figure.layout[axis], { tickangle: 0 });
      }
    }
    // The legend sits at the top of the figure, in rows packed as plotly packs them; the plot
    // starts below it (and below the first row's label when labels sit above the rows).
    let legendRows = 0;
    if (figure.layout.showlegend !== false) {
      let used = Infinity;
      for (const trace of figure.data) {
        if (!trace.name || trace.showlegend === false) {
          continue;
        }
        const item = String(trace.name).length * size * 0.56 + size * 2.6;
        if (used + item > width - 10) {
          legendRows += 1;
          used = 0;
        }
        used += item;
      }
    }
    const legendHeight = legendRows * size * 1.45;
    if (legendRows) {
      figure.layout.legend = Object.assign({}, figure.layout.legend, { yref: "container", y: 1, yanchor: "top" });
    }
    const margin = Object.assign({}, figure.layout.margin);  // (l may be set above)
    margin.t = Math.round(legendHeight + (above ? size * 1.8 : size * 0.6));
    figure.layout.margin = margin;
    const rows = rowCount(figure) + (above ? (figure.layout.yaxis.categoryarray || []).length * 1.4 : 0);
    const fixed = Number(el.dataset.height);
    const height = fixed || Math.max(size * 16, rows * size * 1.5 + size * 6 + legendHeight);
    figure.layout.height = Math.round(height);
    // Plotly's layers are absolutely placed (charts.css): the box keeps their height itself.
    el.style.height = `${Math.round(height)}px`;
    figure.layout.autosize = true;
    const config = { displayModeBar: false, responsive: true, displaylogo: false };
    el.dataset.drawn = "pending";
    window.Plotly.react(el, figure.data, figure.layout, config).then(() => {
      // Plotly's SVG layers are decoration here: the role="img" container carries the name,
      // and the table beneath carries the numbers.
      for (const svg of el.querySelectorAll("svg")) {
        svg.setAttribute("aria-hidden", "true");
        svg.setAttribute("focusable", "false");
      }
      el.dataset.drawn = "true";
    });
  }

  function drawAll(selector) {
    for (const el of document.querySelectorAll(selector || "[data-chart]")) {
      draw(el);
    }
  }

  document.addEventListener("DOMContentLoaded", () => drawAll());
  // An htmx swap (the filters) brings in new, undrawn charts: draw those.
  document.addEventListener("htmx:afterSettle", () => drawAll("[data-chart]:not([data-drawn])"));
  // Labels, wrapping and heights depend on the box's width: lay the charts out again when it
  // changes (a phone turned sideways, a window resized), once the resizing settles.
  let resizing = null;
  window.addEventListener("resize", () => {
    const changed = [...document.querySelectorAll("[data-chart][data-drawn]")].filter(
      (el) => String(el.clientWidth) !== el.dataset.width,
    );
    for (const el of changed) {
      el.dataset.drawn = "pending";
    }
    clearTimeout(resizing);
    resizing = setTimeout(() => drawAll("[data-chart][data-drawn=pending]"), 150);
  });
  window.CityLabCharts = { draw: draw, drawAll: drawAll };
})();
