// cdnexport console: live export progress and chart read-outs. No dependencies.
"use strict";

(function () {
  // Live progress: poll the list's status URL while any task is unfinished; update the progress
  // bars in place and reload once a task changes state (to show its rows, size and link).
  function watch(container) {
    var url = container.getAttribute("data-status-url");
    function unfinished() {
      return container.querySelectorAll('tr[data-status="created"], tr[data-status="waiting"], tr[data-status="running"]').length;
    }
    if (!url || !unfinished()) return;
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          if (!data.signedIn) { window.location.reload(); return; }
          var seen = {};
          var changed = false;
          data.tasks.forEach(function (task) {
            seen[task.id] = true;
            var row = container.querySelector('tr[data-task-id="' + task.id + '"]');
            if (!row) { changed = true; return; }
            if (row.getAttribute("data-status") !== task.status) { changed = true; return; }
            var bar = row.querySelector("progress");
            var pct = row.querySelector(".pct");
            if (bar) { bar.value = task.progress; bar.textContent = task.progress + "%"; }
            if (pct) pct.textContent = task.progress + "%";
          });
          container.querySelectorAll('tr[data-status="created"], tr[data-status="waiting"], tr[data-status="running"]').forEach(function (row) {
            if (!seen[row.getAttribute("data-task-id")]) changed = true;
          });
          if (changed) { window.location.reload(); return; }
          window.setTimeout(poll, 1500);
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    }
    window.setTimeout(poll, 1000);
  }

  // Chart read-out: the figure carries the chart's buckets (first start, step, count), the
  // values to read out ("index:value", bucket order) and the plot's edges in the SVG's units.
  var UNITS = {
    bandwidth: [[1e12, "Tbps"], [1e9, "Gbps"], [1e6, "Mbps"], [1e3, "Kbps"], [1, "bps"]],
    traffic: [[1099511627776, "TB"], [1073741824, "GB"], [1048576, "MB"], [1024, "KB"], [1, "B"]]
  };
  function shown(unit, value) {
    var scales = UNITS[unit];
    if (!scales) return Math.round(value).toLocaleString("en-US");
    for (var i = 0; i < scales.length; i++) {
      if (Math.abs(value) >= scales[i][0]) return (value / scales[i][0]).toPrecision(3) + " " + scales[i][1];
    }
    return "0 " + scales[scales.length - 1][1];
  }
  function stamp(epoch) {
    return new Date(epoch * 1000).toISOString().slice(0, 16).replace("T", " ") + " UTC";
  }
  function readout(figure) {
    var svg = figure.querySelector("svg");
    var data = (figure.getAttribute("data-points") || "").split(",").filter(Boolean);
    if (!svg || !data.length) return;
    var index = [], value = [];
    data.forEach(function (pair) {
      var parts = pair.split(":");
      index.push(parseInt(parts[0], 10));
      value.push(parseFloat(parts[1]));
    });
    var first = parseInt(figure.getAttribute("data-first"), 10);
    var step = parseInt(figure.getAttribute("data-step"), 10);
    var count = parseInt(figure.getAttribute("data-count"), 10);
    var unit = figure.getAttribute("data-unit");
    var left = parseFloat(figure.getAttribute("data-left"));
    var right = parseFloat(figure.getAttribute("data-right"));
    var width = parseFloat(figure.getAttribute("data-width"));
    var tip = document.createElement("div");
    tip.className = "readout";
    tip.hidden = true;
    tip.setAttribute("aria-live", "polite");
    var line = document.createElement("div");
    line.className = "hoverline";
    line.hidden = true;
    figure.appendChild(line);
    figure.appendChild(tip);
    var at = 0;
    function nearest(bucket) {
      var lo = 0, hi = index.length - 1;
      while (lo < hi) {
        var mid = (lo + hi) >> 1;
        if (index[mid] < bucket) lo = mid + 1; else hi = mid;
      }
      if (lo > 0 && Math.abs(index[lo - 1] - bucket) <= Math.abs(index[lo] - bucket)) lo -= 1;
      return lo;
    }
    function place(k) {
      at = k;
      var box = svg.getBoundingClientRect();
      var frame = figure.getBoundingClientRect();
      var scale = box.width / width;
      var x = (left + (index[k] + 0.5) * (right - left) / count) * scale + (box.left - frame.left);
      tip.textContent = stamp(first + index[k] * step) + "  " + shown(unit, value[k]);
      tip.style.left = x + "px";
      tip.style.top = "48px";
      line.style.left = x + "px";
      tip.hidden = false;
      line.hidden = false;
    }
    function hide() { tip.hidden = true; line.hidden = true; }
    svg.addEventListener("mousemove", function (e) {
      var box = svg.getBoundingClientRect();
      var x = (e.clientX - box.left) / (box.width / width);
      var share = (x - left) / (right - left);
      if (share < 0 || share > 1) { hide(); return; }
      place(nearest(Math.min(count - 1, Math.floor(share * count))));
    });
    svg.addEventListener("mouseleave", hide);
    // Keyboard: the figure takes focus; the arrow keys step through the points.
    figure.addEventListener("keydown", function (e) {
      if (e.key !== "ArrowLeft" && e.key !== "ArrowRight") return;
      e.preventDefault();
      place(Math.max(0, Math.min(index.length - 1, at + (e.key === "ArrowRight" ? 1 : -1))));
    });
    figure.addEventListener("focus", function () { place(at); });
    figure.addEventListener("blur", hide);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-status-url]").forEach(watch);
    document.querySelectorAll("figure.chart").forEach(readout);
  });
})();
