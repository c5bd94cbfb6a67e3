// The App Dashboard: reveal a secret in place (the form posts normally when scripts are off).
(function () {
  "use strict";

  document.querySelectorAll("form.reveal-secret").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var target = document.getElementById(form.dataset.target);
      fetch(form.action, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: { "Accept": "application/json" }
      }).then(function (reply) {
        if (!reply.ok) { throw new Error("HTTP " + reply.status); }
        return reply.json();
      }).then(function (data) {
        target.textContent = data.secret;
        target.classList.remove("masked");
        var copy = form.parentNode.querySelector(".copy-secret");
        if (copy) { copy.hidden = false; }
        form.remove();
      }).catch(function () { form.submit(); });
    });
  });

  var focus = document.querySelector(".app-card.focus");
  if (focus && focus.previousElementSibling && focus.previousElementSibling.classList.contains("app-card")) {
    focus.scrollIntoView({ block: "start" });
  }
})();
