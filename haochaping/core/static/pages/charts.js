/* Draws every chart of the page rendered by the {% chart %} tag (core/templatetags/pages.py):
 * <div class="chart" data-chart="ID" data-height="320px"> + <script type="application/json" id="ID">.
 * No inline script anywhere (Content-Security-Policy script-src 'self'): the option is JSON data.
 * Needs vendor/echarts/echarts.min.js loaded first (pages/_chart_scripts.html, both deferred).
 *
 * window.haochapingCharts.update(id, option) merges new data into a drawn chart (notMerge: false,
 * so only what changed animates: no flicker when a page polls for fresh figures).
 * Plain ES2015, no build step. */
(function () {
  "use strict";

  var charts = {};
  var RESIZE_DELAY = 150;

  function readOption(id) {
    var data = document.getElementById(id);
    if (!data || data.type !== "application/json") return null;
    try {
      return JSON.parse(data.textContent);
    } catch (error) {
      if (window.console) window.console.error("chart " + id + ": invalid JSON option", error);
      return null;
    }
  }

  function draw(element) {
    var id = element.getAttribute("data-chart");
    if (charts[id]) return charts[id];
    var option = readOption(id);
    if (!option || !window.echarts) return null;
    // Setting a style property from a script is allowed by CSP (only style attributes in the
    // markup are not); the height must be known before ECharts measures the element.
    element.style.height = element.getAttribute("data-height") || "320px";
    // SVG: sharp at any zoom and device scale, text drawn with the page's CJK fonts.
    var chart = window.echarts.init(element, null, { renderer: "svg", locale: "ZH" });
    chart.setOption(option);
    element.classList.add("chart-drawn");
    charts[id] = chart;
    return chart;
  }

  function drawAll() {
    var elements = document.querySelectorAll("[data-chart]");
    if (elements.length && !window.echarts) {
      // The data tables stay readable; the vendor file is built by `make install` (npm ci).
      if (window.console) window.console.error("ECharts is not loaded: vendor/echarts/echarts.min.js missing");
      return;
    }
    for (var i = 0; i < elements.length; i++) draw(elements[i]);
  }

  var resizeTimer = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(function () {
      Object.keys(charts).forEach(function (id) {
        charts[id].resize();
      });
    }, RESIZE_DELAY);
  });

  window.haochapingCharts = {
    /** The ECharts instance of chart ``id`` (drawn on first ask), or null. */
    get: function (id) {
      if (charts[id]) return charts[id];
      var element = document.querySelector('[data-chart="' + id + '"]');
      return element ? draw(element) : null;
    },
    /** Merge ``option`` into chart ``id``; false when there is no such chart. */
    update: function (id, option) {
      var chart = this.get(id);
      if (!chart) return false;
      chart.setOption(option, { notMerge: false, lazyUpdate: true });
      return true;
    },
    /** Draw charts added to the page after it loaded. */
    drawAll: drawAll,
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
