// Copy buttons: a button with data-copy="ID" copies the text of element ID.
// Without JavaScript the buttons stay hidden and the text is selectable.
(function () {
  "use strict";
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.dataset.copy);
    if (!source || !navigator.clipboard) {
      return;
    }
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        button.textContent = "Copied";
      }, function () {
        button.textContent = "Select and copy the text";
      });
      setTimeout(function () { button.textContent = label; }, 2500);
    });
  });
})();
