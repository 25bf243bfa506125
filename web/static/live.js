// Live tally: with JavaScript, the tally on a proposal page refreshes by itself
// from server-sent events. Without it, the page works as it is (reload to update).
(function () {
  "use strict";
  var box = document.getElementById("tally");
  if (!box || !window.EventSource || !box.dataset.events) return;
  var source = new EventSource(box.dataset.events);
  source.addEventListener("tally", function (ev) {
    var t;
    try { t = JSON.parse(ev.data); } catch (e) { return; }
    box.querySelectorAll("[data-count]").forEach(function (el) {
      var key = el.getAttribute("data-count");
      if (key in t) el.textContent = String(t[key]);
    });
    if (!t.visible) return;
    var summary = box.querySelector("[data-summary]");
    if (summary && t.summary) {
      summary.textContent = t.summary;
    }
    var list = box.querySelector("[data-requirements]");
    if (list && t.requirements) {
      list.textContent = "";
      t.requirements.forEach(function (sentence) {
        var li = document.createElement("li");
        li.textContent = sentence;
        li.className = / — met$/.test(sentence) ? "met" : "missed";
        list.appendChild(li);
      });
    }
  });
})();
