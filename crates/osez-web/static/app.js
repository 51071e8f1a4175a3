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
