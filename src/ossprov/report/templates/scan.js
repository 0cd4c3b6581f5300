(function () {
  "use strict";
  var boxes = Array.prototype.slice.call(document.querySelectorAll("#filters input[type=checkbox]"));
  var items = Array.prototype.slice.call(document.querySelectorAll("#packages .pkg"));
  var query = document.getElementById("q");
  var shown = document.getElementById("shown");
  var severity = document.getElementById("severity");
  var rule = document.getElementById("rule");
  var sort = document.getElementById("sort");
  var list = document.getElementById("packages");
  function num(el, name) { return Number(el.getAttribute(name)); }
  var orders = {
    status: function (a, b) { return num(a, "data-order") - num(b, "data-order") || num(b, "data-worst") - num(a, "data-worst"); },
    severity: function (a, b) { return num(b, "data-worst") - num(a, "data-worst") || num(a, "data-order") - num(b, "data-order"); },
    findings: function (a, b) { return num(b, "data-findings") - num(a, "data-findings"); },
    name: function () { return 0; }
  };
  function reorder() {
    items.sort(function (a, b) {
      return orders[sort.value](a, b) ||
        (a.getAttribute("data-name") < b.getAttribute("data-name") ? -1 : 1);
    });
    items.forEach(function (el) { list.appendChild(el); });
  }
  function apply() {
    var on = {};
    boxes.forEach(function (b) { on[b.value] = b.checked; });
    var text = query.value.trim().toLowerCase();
    var least = Number(severity.value);
    var wanted = rule.value ? " " + rule.value + " " : "";
    var n = 0;
    items.forEach(function (el) {
      var ok = on[el.getAttribute("data-category")] === true &&
        (!text || el.getAttribute("data-name").indexOf(text) !== -1) &&
        num(el, "data-worst") >= least &&
        (!wanted || el.getAttribute("data-rules").indexOf(wanted) !== -1);
      el.hidden = !ok;
      if (ok) { n += 1; }
    });
    shown.textContent = String(n);
  }
  boxes.forEach(function (b) { b.addEventListener("change", apply); });
  Array.prototype.forEach.call(document.querySelectorAll("[data-only]"), function (button) {
    button.addEventListener("click", function () {
      boxes.forEach(function (b) { b.checked = b.value === button.getAttribute("data-only"); });
      apply();
    });
  });
  document.getElementById("all").addEventListener("click", function () {
    boxes.forEach(function (b) { b.checked = true; });
    query.value = "";
    severity.value = "-1";
    rule.value = "";
    apply();
  });
  document.getElementById("expand").addEventListener("click", function () {
    items.forEach(function (el) { if (!el.hidden) { el.open = true; } });
  });
  document.getElementById("collapse").addEventListener("click", function () {
    items.forEach(function (el) { el.open = false; });
  });
  query.addEventListener("input", apply);
  severity.addEventListener("change", apply);
  rule.addEventListener("change", apply);
  sort.addEventListener("change", function () { reorder(); apply(); });
  apply();
})();
