// Vendo's small scripts. No inline script anywhere: the Content-Security-
// Policy forbids it, so behaviour lives here and reads data- attributes.
(function () {
  "use strict";

  // Upload progress: htmx fires htmx:xhr:progress on the form while it sends.
  document.addEventListener("htmx:xhr:progress", function (evt) {
    var form = evt.target.closest("form");
    if (!form) return;
    var bar = form.querySelector("progress[data-upload-progress]");
    if (bar && evt.detail.lengthComputable) {
      bar.hidden = false;
      bar.value = Math.round((evt.detail.loaded / evt.detail.total) * 100);
    }
  });

  // Confirmation for dangerous actions on plain forms (htmx uses hx-confirm).
  document.addEventListener("submit", function (evt) {
    var msg = evt.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) evt.preventDefault();
  });

  if ("serviceWorker" in navigator && window.location.protocol !== "file:") {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js").catch(function () {});
    });
  }
})();
