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

  // Chart read-out: the figure carries its points (times and values) in data attributes and the
  // plot area's edges in the SVG's own units; the nearest point to the pointer is shown.
  function readout(figure) {
    var svg = figure.querySelector("svg");
    var times = (figure.getAttribute("data-times") || "").split(",").filter(Boolean);
    var values = (figure.getAttribute("data-values") || "").split("|");
    if (!svg || !times.length) return;
    var left = parseFloat(figure.getAttribute("data-left"));
    var right = parseFloat(figure.getAttribute("data-right"));
    var width = parseFloat(figure.getAttribute("data-width"));
    var tip = document.createElement("div");
    tip.className = "readout";
    tip.hidden = true;
    tip.setAttribute("role", "status");
    var line = document.createElement("div");
    line.className = "hoverline";
    line.hidden = true;
    figure.appendChild(line);
    figure.appendChild(tip);
    function show(clientX) {
      var box = svg.getBoundingClientRect();
      var scale = box.width / width;
      var x = (clientX - box.left) / scale;
      var share = (x - left) / (right - left);
      if (share < 0 || share > 1) { hide(); return; }
      var i = Math.round(share * (times.length - 1));
      var px = (left + (right - left) * (times.length > 1 ? i / (times.length - 1) : 0)) * scale;
      tip.textContent = times[i] + "  " + values[i];
      tip.style.left = px + "px";
      tip.style.top = "24px";
      line.style.left = px + "px";
      tip.hidden = false;
      line.hidden = false;
    }
    function hide() { tip.hidden = true; line.hidden = true; }
    svg.addEventListener("mousemove", function (e) { show(e.clientX); });
    svg.addEventListener("mouseleave", hide);
    // Keyboard: the figure is focusable; arrow keys step through the points.
    var at = -1;
    figure.addEventListener("keydown", function (e) {
      if (e.key !== "ArrowLeft" && e.key !== "ArrowRight") return;
      e.preventDefault();
      at = Math.max(0, Math.min(times.length - 1, at + (e.key === "ArrowRight" ? 1 : -1)));
      var box = svg.getBoundingClientRect();
      var scale = box.width / width;
      var x = left + (right - left) * (times.length > 1 ? at / (times.length - 1) : 0);
      show(box.left + x * scale);
    });
    figure.addEventListener("blur", hide);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-status-url]").forEach(watch);
    document.querySelectorAll("figure.chart").forEach(readout);
  });
})();
