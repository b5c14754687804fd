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

  // The catalog's form sends only the fields that are set, so the address
  // htmx puts in the history reads /products?q=owl, not ?q=owl&sort=&tag=.
  document.addEventListener("htmx:configRequest", function (evt) {
    var form = evt.detail.elt.closest("form[data-drop-empty]");
    if (!form) return;
    var params = evt.detail.parameters;
    Object.keys(params).forEach(function (k) {
      if (params[k] === "") delete params[k];
    });
  });

  // Confirmation for dangerous actions on plain forms (htmx uses hx-confirm).
  document.addEventListener("submit", function (evt) {
    var msg = evt.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) evt.preventDefault();
  });

  // The phone menu (a <details>) closes on a click elsewhere or Escape.
  document.addEventListener("click", function (evt) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(evt.target)) menu.open = false;
    });
  });
  document.addEventListener("keydown", function (evt) {
    if (evt.key !== "Escape") return;
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      menu.open = false;
      menu.querySelector("summary").focus();
    });
  });

  // Copy buttons (licence keys): shown only where the script runs; without
  // it the key is plain text that selects with one click.
  document.querySelectorAll("[data-copy]").forEach(function (btn) {
    if (!navigator.clipboard) return;
    btn.hidden = false;
    btn.addEventListener("click", function () {
      navigator.clipboard.writeText(btn.getAttribute("data-copy")).then(function () {
        btn.textContent = "Copied";
        setTimeout(function () { btn.textContent = "Copy"; }, 2000);
      }, function () {
        btn.textContent = "Select and copy";
      });
    });
  });
  document.querySelectorAll("[data-print]").forEach(function (btn) {
    btn.hidden = false;
    btn.addEventListener("click", function () { window.print(); });
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
    if (!box) return false;
    var bar = form.querySelector("progress[data-upload-progress]");
    if (bar) bar.hidden = true;
    box.textContent = text;
    box.hidden = false;
    return true;
  }
  // toast shows a message at the top of the page for errors of requests
  // without a place of their own: an htmx error is never silent.
  var timer;
  function toast(text) {
    var box = document.getElementById("toast");
    if (!box) return;
    box.textContent = text;
    box.hidden = false;
    clearTimeout(timer);
    timer = setTimeout(function () { box.hidden = true; }, 8000);
  }
  // A refusal for a stale CSRF token (the visitor signed in or out in
  // another tab) carries the current token: put it everywhere the page
  // sends one, so the next try works.
  function refreshToken(xhr) {
    var token = xhr && xhr.getResponseHeader("X-CSRF-Token");
    if (!token) return;
    document.body.setAttribute("hx-headers", JSON.stringify({ "X-CSRF-Token": token }));
    document.querySelectorAll("input[name=_csrf]").forEach(function (input) { input.value = token; });
  }
  document.addEventListener("htmx:responseError", function (evt) {
    var text = "Something went wrong, so nothing was changed. Please try again.";
    var xhr = evt.detail.xhr;
    if (xhr && xhr.status === 403) refreshToken(xhr);
    if (xhr && xhr.responseText) {
      var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var note = doc.querySelector("[role=alert]");
      if (note && note.textContent.trim()) text = note.textContent.trim();
    }
    if (!show(evt, text)) toast(text);
  });
  document.addEventListener("htmx:sendError", function (evt) {
    var elt = evt.detail && evt.detail.elt;
    if (elt && elt.closest && elt.closest("form[hx-encoding]")) {
      show(evt, "The upload did not reach the shop: the connection was closed (the file may be over the size limit). Nothing was saved.");
    } else {
      toast("The shop could not be reached. Check your connection and try again.");
    }
  });
  document.addEventListener("htmx:beforeRequest", function (evt) {
    var form = evt.detail.elt && evt.detail.elt.closest ? evt.detail.elt.closest("form") : null;
    var box = form && form.querySelector("[data-htmx-error]");
    if (box) box.hidden = true;
  });
})();
