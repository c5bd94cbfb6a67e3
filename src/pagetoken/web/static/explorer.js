// The Graph API Explorer: app switching, legacy aliases, the request box (same-origin fetch), the countdown.
(function () {
  "use strict";

  var appSelect = document.getElementById("app-select");
  if (appSelect) {
    appSelect.addEventListener("change", function () {
      window.location.assign("/explorer?app=" + encodeURIComponent(appSelect.value));
    });
  }

  // Ticking a legacy name ticks what it expands to.
  document.querySelectorAll("input[data-expands]").forEach(function (alias) {
    alias.addEventListener("change", function () {
      if (!alias.checked) { return; }
      alias.dataset.expands.split(",").forEach(function (name) {
        var box = document.querySelector('input[name="permission"][value="' + name + '"]');
        if (box) { box.checked = true; }
      });
    });
  });

  // A token pasted into the box is the one every step posts back.
  var tokenBox = document.getElementById("token");
  if (tokenBox) {
    tokenBox.addEventListener("input", function () {
      document.querySelectorAll('form input[type="hidden"][name="token"]').forEach(function (field) {
        if (!field.closest("form[action='/explorer/debug']")) { field.value = tokenBox.value.trim(); }
      });
    });
  }

  function pairs(path, params) {
    var query = "";
    var at = path.indexOf("?");
    if (at >= 0) { query = path.slice(at + 1); path = path.slice(0, at); }
    var out = new URLSearchParams(query);
    params.replace(/&/g, "\n").split("\n").forEach(function (line) {
      line = line.trim();
      if (!line) { return; }
      var eq = line.indexOf("=");
      if (eq < 0) { out.append(line, ""); } else { out.append(line.slice(0, eq).trim(), line.slice(eq + 1).trim()); }
    });
    return { path: path.replace(/^\/+/, ""), params: out };
  }

  function show(status, ok, text, ms) {
    var box = document.getElementById("answer");
    var code = document.getElementById("answer-code");
    code.textContent = status;
    code.className = "code " + (ok ? "ok" : "bad");
    document.getElementById("answer-time").textContent = ms + " ms";
    document.getElementById("answer-body").textContent = text;
    box.hidden = false;
  }

  var form = document.getElementById("request-form");
  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var method = document.getElementById("req-method").value;
      var raw = document.getElementById("req-path").value.trim();
      if (raw.indexOf("://") >= 0 || raw.indexOf("//") === 0) {
        show("—", false, "The path is relative to the Graph, like me/accounts or 123?fields=name", 0);
        return;
      }
      var req = pairs(raw, document.getElementById("req-params").value);
      var token = document.getElementById("token").value.trim();
      var headers = { "Accept": "application/json" };
      if (token) { headers.Authorization = "Bearer " + token; }
      var url = "/v25.0/" + req.path;
      var init = { method: method, headers: headers, credentials: "omit", cache: "no-store" };
      if (method === "POST") {
        init.body = req.params;
      } else if (req.params.toString()) {
        url += "?" + req.params.toString();
      }
      var started = performance.now();
      var button = document.getElementById("req-submit");
      button.disabled = true;
      fetch(url, init).then(function (reply) {
        return reply.text().then(function (text) {
          var pretty = text;
          try { pretty = JSON.stringify(JSON.parse(text), null, 2); } catch (e) { /* not JSON: show as is */ }
          show(reply.status + " " + (reply.statusText || ""), reply.ok, pretty, Math.round(performance.now() - started));
        });
      }).catch(function (err) {
        show("—", false, "The request did not complete: " + err, Math.round(performance.now() - started));
      }).then(function () { button.disabled = false; });
    });
  }

  function human(s) {
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
    var m = Math.floor((s % 3600) / 60), sec = s % 60;
    if (d) { return d + (d === 1 ? " day " : " days ") + h + " h " + m + " min"; }
    if (h) { return h + " h " + m + " min " + sec + " s"; }
    return m + " min " + sec + " s";
  }

  var countdown = document.getElementById("countdown");
  if (countdown) {
    var deadline = Date.now() + Number(countdown.dataset.remaining) * 1000;
    var tick = function () {
      var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      countdown.textContent = left > 0 ? "in " + human(left) : "expired";
      countdown.classList.toggle("expired", left === 0);
      if (left > 0) { window.setTimeout(tick, 1000); }
    };
    tick();
  }
})();
