// Small improvements for every page; each page works without them.
(function () {
  "use strict";

  // The browser's time zone goes in a cookie, so that the server shows times
  // on the member's clock until they choose a zone in their account.
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) {}
  if (zone && document.cookie.indexOf("tz=" + zone) === -1) {
    document.cookie = "tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; samesite=lax";
  }
  document.querySelectorAll("input[data-browser-zone]").forEach(function (input) {
    if (zone) input.placeholder = zone + " (your browser's)";
  });

  // Copy buttons next to what people paste elsewhere: a handle, a link.
  document.querySelectorAll("[data-copy]").forEach(function (el) {
    if (!navigator.clipboard) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "small secondary copy-button";
    button.textContent = "Copy";
    button.setAttribute("aria-label", el.getAttribute("data-copy") || "Copy");
    button.addEventListener("click", function () {
      var text = el.value !== undefined && el.tagName === "INPUT" ? el.value : el.textContent.trim();
      navigator.clipboard.writeText(text).then(function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy"; }, 2000);
      }, function () {
        if (el.select) el.select();
        button.textContent = "Select and copy";
      });
    });
    el.insertAdjacentElement("afterend", button);
  });
})();
