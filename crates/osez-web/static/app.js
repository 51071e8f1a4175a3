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

// The resource editor: a live preview of the Markdown body, rendered by the
// server's own sanitising renderer (the same HTML the public page shows),
// and only the part of the form that the chosen type uses. Without this
// file the "Prévisualiser" button does the same in a round trip.
(function () {
  "use strict";
  var form = document.getElementById("editeur");
  if (!form || !window.fetch) return;
  var body = document.getElementById("body");
  var kind = document.getElementById("kind");
  var pane = document.getElementById("apercu");
  var problems = document.getElementById("apercu-problemes");
  var timer = null;
  var controller = null;

  function showParts() {
    Array.prototype.forEach.call(form.querySelectorAll(".kind-part"), function (part) {
      part.hidden = part.getAttribute("data-kind") !== kind.value;
    });
  }

  function list(items) {
    var ul = document.createElement("ul");
    items.forEach(function (text) {
      var li = document.createElement("li");
      li.textContent = text;
      ul.appendChild(li);
    });
    return ul;
  }

  function preview() {
    if (controller) controller.abort();
    controller = new AbortController();
    var data = new URLSearchParams();
    data.set("jeton", form.getAttribute("data-apercu-jeton"));
    data.set("kind", kind.value);
    data.set("body", body.value);
    fetch(form.getAttribute("data-apercu"), {
      method: "POST",
      body: data,
      signal: controller.signal,
      headers: { Accept: "application/json" },
      credentials: "same-origin"
    })
      .then(function (r) { return r.json(); })
      .then(function (answer) {
        problems.innerHTML = "";
        if (answer.error) {
          problems.appendChild(list([answer.error.message]));
          return;
        }
        // Sanitised by the server (ammonia): safe to insert as it is.
        pane.innerHTML = answer.html;
        if (answer.problems.length) {
          problems.className = "notice error";
          problems.appendChild(list(answer.problems));
        } else {
          problems.className = "";
        }
      })
      .catch(function () { /* aborted or offline: the button still works */ });
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(preview, 300);
  }

  body.addEventListener("input", schedule);
  kind.addEventListener("change", function () { showParts(); schedule(); });
  showParts();
  if (body.value) preview();
})();

// The replay: a transcript line places the video at its moment (without
// this file, the line's link opens the video there: a media fragment), and
// a search hit's link (#t-754) does the same on arrival.
(function () {
  "use strict";
  var video = document.getElementById("lecteur");
  if (!video) return;

  function seek(seconds, play) {
    var go = function () {
      video.currentTime = seconds;
      if (play) video.play().catch(function () { /* autoplay refused: the controls remain */ });
    };
    if (video.readyState >= 1) go();
    else video.addEventListener("loadedmetadata", go, { once: true });
  }

  Array.prototype.forEach.call(document.querySelectorAll("a.seek[data-t]"), function (link) {
    link.addEventListener("click", function (e) {
      e.preventDefault();
      seek(Number(link.getAttribute("data-t")), true);
      video.focus();
    });
  });

  var m = /^#t-(\d+)$/.exec(location.hash);
  if (m) {
    if (video.preload === "none") video.preload = "metadata";
    seek(Number(m[1]), false);
  }
})();

// A proposal being written: the proposals close to it, shown as the author
// types (the form shows the same list before sending, without script).
(function () {
  "use strict";
  var form = document.getElementById("proposal-form");
  var text = document.getElementById("texte");
  var live = document.getElementById("proches-live");
  if (!form || !text || !live || !window.fetch) return;
  var url = form.getAttribute("data-proches");
  var timer = null;
  var controller = null;
  text.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      if (controller) controller.abort();
      controller = new AbortController();
      fetch(url + "?texte=" + encodeURIComponent(text.value), { signal: controller.signal })
        .then(function (r) { return r.ok ? r.text() : ""; })
        .then(function (html) {
          live.innerHTML = html;
          live.hidden = html.trim() === "";
        })
        .catch(function () { /* aborted or offline: the form still checks before sending */ });
    }, 400);
  });
})();
