(function () {
  "use strict";
  var boxes = Array.prototype.slice.call(document.querySelectorAll("#filters input[type=checkbox]"));
  var items = Array.prototype.slice.call(document.querySelectorAll("#packages .pkg"));
  var query = document.getElementById("q");
  var shown = document.getElementById("shown");
  function apply() {
    var on = {};
    boxes.forEach(function (b) { on[b.value] = b.checked; });
    var text = query.value.trim().toLowerCase();
    var n = 0;
    items.forEach(function (el) {
      var ok = on[el.getAttribute("data-category")] === true &&
        (!text || el.getAttribute("data-name").indexOf(text) !== -1);
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
    apply();
  });
  document.getElementById("expand").addEventListener("click", function () {
    items.forEach(function (el) { if (!el.hidden) { el.open = true; } });
  });
  document.getElementById("collapse").addEventListener("click", function () {
    items.forEach(function (el) { el.open = false; });
  });
  query.addEventListener("input", apply);
  apply();
})();
