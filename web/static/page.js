// Small improvements for every page; each page works without them.
(function () {
  "use strict";

  // The browser's time zone goes in a cookie, so that the server shows times
  // on the member's clock until they choose a zone in their account.
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) {}
  // Zone names (such as Europe/Paris) are safe in a cookie as they are: the
  // server reads the value as written, and the check below finds it again.
  if (zone && /^[A-Za-z0-9_+\-\/]+$/.test(zone) && document.cookie.split("; ").indexOf("tz=" + zone) === -1) {
    document.cookie = "tz=" + zone + "; path=/; max-age=31536000; samesite=lax";
  }
  document.querySelectorAll("input[data-browser-zone]").forEach(function (input) {
    if (zone) input.placeholder = zone + " (your browser's)";
  });

  // Copy buttons: a button with data-copy="ID" copies the text (or, for a
  // field, the value) of element ID. Without JavaScript the buttons stay
  // hidden and the text is selectable.
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.dataset.copy);
    if (!source || !navigator.clipboard) return;
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = source.tagName === "INPUT" ? source.value : source.textContent.trim();
      navigator.clipboard.writeText(text).then(function () {
        button.textContent = "Copied";
      }, function () {
        if (source.select) source.select();
        button.textContent = "Select and copy the text";
      });
      setTimeout(function () { button.textContent = label; }, 2500);
    });
  });
})();
