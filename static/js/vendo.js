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

// Errors of an htmx form (an upload over the size limit, a refused file):
// htmx does not swap error responses, so the message goes into the form's
// [data-htmx-error] element and the progress bar is hidden again.
(function () {
  "use strict";
  function show(evt, text) {
    var elt = evt.detail && evt.detail.elt;
    var form = elt && elt.closest ? elt.closest("form") : null;
    var box = form && form.querySelector("[data-htmx-error]");
    if (!box) return;
    var bar = form.querySelector("progress[data-upload-progress]");
    if (bar) bar.hidden = true;
    box.textContent = text;
    box.hidden = false;
  }
  document.addEventListener("htmx:responseError", function (evt) {
    var text = "The request failed.";
    var xhr = evt.detail.xhr;
    if (xhr && xhr.responseText) {
      var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var note = doc.querySelector("[role=alert]");
      if (note && note.textContent.trim()) text = note.textContent.trim();
    }
    show(evt, text);
  });
  document.addEventListener("htmx:sendError", function (evt) {
    show(evt, "The upload did not reach the shop: the connection was closed (the file may be over the size limit). Nothing was saved.");
  });
  document.addEventListener("htmx:beforeRequest", function (evt) {
    var form = evt.detail.elt && evt.detail.elt.closest ? evt.detail.elt.closest("form") : null;
    var box = form && form.querySelector("[data-htmx-error]");
    if (box) box.hidden = true;
  });
})();
