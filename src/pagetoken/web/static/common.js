// Shared by the web tools: reveal and copy buttons for masked tokens and secrets.
(function () {
  "use strict";

  function flash(button, text) {
    var old = button.dataset.label || button.textContent;
    button.dataset.label = old;
    button.textContent = text;
    window.setTimeout(function () { button.textContent = old; }, 1400);
  }

  function copyText(text, button) {
    function fallback() {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "offscreen";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(area);
      flash(button, ok ? "Copied" : "Press Ctrl+C");
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { flash(button, "Copied"); }, fallback);
    } else {
      fallback();
    }
  }

  function valueOf(target) {
    if ("value" in target && target.tagName !== "BUTTON") { return target.value; }
    return target.dataset.secret || target.textContent;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-reveal], [data-copy]");
    if (!button) { return; }
    if (button.dataset.reveal) {
      var field = document.getElementById(button.dataset.reveal);
      if (!field) { return; }
      var hidden = field.type === "password";
      field.type = hidden ? "text" : "password";
      button.textContent = hidden ? "Hide" : "Reveal";
      button.setAttribute("aria-pressed", hidden ? "true" : "false");
    } else if (button.dataset.copy) {
      var source = document.getElementById(button.dataset.copy);
      if (source && valueOf(source)) { copyText(valueOf(source), button); }
    }
  });

  window.pagetoken = { copyText: copyText, flash: flash };
})();
