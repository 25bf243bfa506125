// Live tally: with JavaScript, the tally and the table of votes on a proposal
// page refresh by themselves from server-sent events. Without it, the page
// works as it is (reload to update).
(function () {
  "use strict";
  var box = document.getElementById("tally");
  if (!box || !window.EventSource || !box.dataset.events) return;
  var source = new EventSource(box.dataset.events);

  function showCounts(t) {
    document.querySelectorAll("[data-count]").forEach(function (el) {
      var key = el.getAttribute("data-count");
      if (key in t) el.textContent = String(t[key]);
    });
  }

  function showPreview(t) {
    var summary = box.querySelector("[data-summary]");
    if (summary && t.summary) {
      summary.textContent = t.summary;
    }
    var list = box.querySelector("[data-requirements]");
    if (list && t.requirements) {
      list.textContent = "";
      t.requirements.forEach(function (req) {
        var li = document.createElement("li");
        li.textContent = req.sentence;
        li.className = req.met ? "met" : "missed";
        list.appendChild(li);
      });
    }
  }

  // The rows are built as text, never as markup: a reason is what a member typed.
  function showVotes(t) {
    var section = document.getElementById("votes");
    var body = section && section.querySelector("[data-votes]");
    if (!body) return;
    var votes = t.votes || [];
    body.textContent = "";
    votes.forEach(function (v) {
      var tr = document.createElement("tr");
      var who = document.createElement("th");
      who.scope = "row";
      who.textContent = v.member;
      var position = document.createElement("td");
      position.setAttribute("data-label", "Position");
      var badge = document.createElement("span");
      badge.className = "badge pos-" + v.position;
      badge.textContent = v.label;
      position.appendChild(badge);
      var reason = document.createElement("td");
      reason.setAttribute("data-label", "Reason");
      reason.textContent = v.reason;
      tr.appendChild(who);
      tr.appendChild(position);
      tr.appendChild(reason);
      body.appendChild(tr);
    });
    section.hidden = votes.length === 0;
  }

  source.addEventListener("tally", function (ev) {
    var t;
    try { t = JSON.parse(ev.data); } catch (e) { return; }
    showCounts(t);
    if (!t.visible) return;
    showPreview(t);
    showVotes(t);
  });
})();
