// Draws every chart on the page from its JSON (see citylab/charts.py and templates/_chart.html).
// Progressive enhancement: without this file, or without plotly, each chart's table is there.
"use strict";

(function () {
  // Plotly lays text out in px; follow the page's text size (the "largest" setting doubles
  // the root font) so that chart labels grow with the rest of the page.
  function fontSize(el) {
    const px = parseFloat(getComputedStyle(el).fontSize) || 16;
    return Math.max(12, Math.round(px * 0.85));
  }

  function categoryCount(figure) {
    let n = 0;
    for (const trace of figure.data || []) {
      const cats = trace.orientation === "h" || trace.type === "heatmap" ? trace.y : null;
      if (Array.isArray(cats)) {
        n = Math.max(n, new Set(cats.filter((c) => c !== null)).size);
      }
    }
    return n;
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
    const size = fontSize(el);
    const layout = Object.assign({}, figure.layout);
    layout.font = Object.assign({}, layout.font, { size: size });
    const rows = categoryCount(figure);
    const height = Number(el.dataset.height) || Math.max(size * 20, rows * size * 2.6 + size * 8);
    layout.height = Math.round(height);
    layout.autosize = true;
    const config = { displayModeBar: false, responsive: true, displaylogo: false };
    window.Plotly.react(el, figure.data, layout, config).then(() => {
      // Plotly's SVG layers are decoration here: the role="img" container carries the name
      // and the table carries the numbers.
      for (const svg of el.querySelectorAll("svg")) {
        svg.setAttribute("aria-hidden", "true");
        svg.setAttribute("focusable", "false");
      }
    });
    el.dataset.drawn = "true";
  }

  function drawAll(root) {
    const scope = root && root.querySelectorAll ? root : document;
    if (scope.matches && scope.matches("[data-chart]")) {
      draw(scope);
    }
    for (const el of scope.querySelectorAll("[data-chart]")) {
      draw(el);
    }
  }

  document.addEventListener("DOMContentLoaded", () => drawAll(document));
  // htmx swaps in new charts (filters): draw what arrived.
  document.addEventListener("htmx:afterSettle", (event) => drawAll(event.detail.elt));
  window.CityLabCharts = { draw: draw, drawAll: drawAll };
})();
