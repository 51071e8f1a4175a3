// Progressive enhancement: results update as you type. Everything works
// without this file; it only fetches the same results page and swaps the
// results zone, whose status line is a live region for screen readers.
(function () {
  "use strict";
  var form = document.getElementById("recherche");
  var zone = document.getElementById("resultats-zone");
  if (!form || !zone || !window.fetch || !window.DOMParser) return;
  var timer = null;
  var controller = null;

  function params() {
    var data = new URLSearchParams(new FormData(form));
    Array.from(data.keys()).forEach(function (k) {
      if (!data.get(k)) data.delete(k);
    });
    return data;
  }

  function update() {
    var data = params();
    if (!data.get("q") && !data.get("near") && location.pathname === "/") {
      zone.innerHTML = "";
      return;
    }
    if (controller) controller.abort();
    controller = new AbortController();
    var query = data.toString();
    fetch("/recherche?" + query + "&live=1", { signal: controller.signal, headers: { Accept: "text/html" } })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("resultats-zone");
        if (!fresh) return;
        zone.innerHTML = fresh.innerHTML;
        // The resources beside the advisers follow the same words.
        var side = document.getElementById("ressources-zone");
        var freshSide = doc.getElementById("ressources-zone");
        if (side && freshSide) side.innerHTML = freshSide.innerHTML;
        if (location.pathname === "/recherche") {
          history.replaceState(null, "", "/recherche?" + query);
        }
      })
      .catch(function () { /* aborted or offline: the form still submits */ });
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(update, 180);
  }

  form.querySelectorAll("input[type=search], input[type=text]").forEach(function (input) {
    input.addEventListener("input", schedule);
  });
})();

// RGAA 13.1: the back office closes a session after 30 minutes without
// activity. Two minutes before, a warning is announced (role="alert") with
// the button that extends the session; extending goes through fetch so that
// nothing typed on the page is lost. Without JavaScript, the notice at the
// top of the page gives the deadline and the same button.
(function () {
  "use strict";
  var box = document.getElementById("session-info");
  var form = document.getElementById("session-extend");
  var alertZone = document.getElementById("session-alert");
  if (!box || !form || !alertZone || !window.fetch) return;
  var WARN_BEFORE = 120;
  var deadline = Date.now() + parseInt(box.getAttribute("data-idle-seconds") || "0", 10) * 1000;
  var warned = false;
  var timer = null;

  function say(text) {
    alertZone.textContent = "";
    var p = document.createElement("p");
    p.textContent = text;
    alertZone.appendChild(p);
  }

  function tick() {
    var left = Math.round((deadline - Date.now()) / 1000);
    if (left <= 0) {
      box.classList.add("session-warning");
      say("Votre session a expiré. Reconnectez-vous pour continuer ; ce que vous avez saisi sur cette page n'a pas été envoyé.");
      form.hidden = true;
      clearInterval(timer);
      return;
    }
    if (left <= WARN_BEFORE && !warned) {
      warned = true;
      box.classList.add("session-warning");
      say("Votre session va expirer dans " + Math.ceil(left / 60) + " minute" + (left > 60 ? "s" : "") +
        " faute d'activité. Activez « Prolonger la session » pour continuer.");
      var button = form.querySelector("button");
      if (button) button.focus();
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    fetch(form.action, { method: "POST", body: new URLSearchParams(new FormData(form)), credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok || r.url.indexOf("/connexion") !== -1) throw new Error("expired");
        deadline = Date.now() + 30 * 60 * 1000;
        warned = false;
        box.classList.remove("session-warning");
        say("Session prolongée de 30 minutes.");
      })
      .catch(function () {
        say("La session n'a pas pu être prolongée : elle a peut-être déjà expiré. Reconnectez-vous.");
      });
  });

  timer = setInterval(tick, 5000);
  tick();
})();
