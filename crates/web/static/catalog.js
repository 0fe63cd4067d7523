// Upload progress for the catalog's upload forms (form[data-progress]): sends the same
// multipart form with XMLHttpRequest so the browser can report upload progress, then shows
// the page the server answered with. Without this script the form posts normally.
(function () {
  "use strict";
  function enhance(form) {
    if (!window.XMLHttpRequest || !window.FormData) return;
    form.addEventListener("submit", function (ev) {
      var status = form.querySelector(".upload-status");
      var bar = form.querySelector("progress");
      var pct = form.querySelector(".pct");
      if (!status || !bar) return;
      ev.preventDefault();
      var button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      status.hidden = false;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) return;
        var p = Math.round((e.loaded / e.total) * 100);
        bar.value = p;
        if (pct) pct.textContent = p + "%";
      });
      xhr.addEventListener("load", function () {
        var target = xhr.responseURL || "";
        // A redirect after success: go to where the server sent us.
        if (xhr.status < 400 && target && target.split("#")[0] !== form.action.split("#")[0]) {
          window.location.assign(target);
          return;
        }
        // An error page or the form again with messages: show what the server said.
        document.open();
        document.write(xhr.responseText);
        document.close();
      });
      xhr.addEventListener("error", function () {
        if (button) button.disabled = false;
        status.hidden = true;
        form.submit();
      });
      xhr.send(new FormData(form));
    });
  }
  function all() { document.querySelectorAll("form[data-progress]").forEach(enhance); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all); else all();
})();
