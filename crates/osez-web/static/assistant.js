// The assistant's chat: the page's form, posted without reloading the
// page. Without this script the same form posts the page.
(function () {
  "use strict";
  var form = document.getElementById("assistant-form");
  var log = document.getElementById("assistant-log");
  if (!form || !log || !window.fetch) { return; }
  var box = document.getElementById("message");
  var token = form.querySelector("input[name=jeton]").value;
  var busy = false;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function link(href, text, cls) {
    var a = el("a", cls, text);
    a.href = href;
    return a;
  }

  function showError(message) {
    var old = document.getElementById("assistant-erreur");
    if (old) { old.parentNode.removeChild(old); }
    var div = el("div", "notice error");
    div.id = "assistant-erreur";
    div.setAttribute("role", "alert");
    div.appendChild(el("p", null, message));
    form.parentNode.insertBefore(div, form);
  }

  function quickReplies(list) {
    var old = document.querySelector(".assistant-quick");
    if (old) { old.parentNode.removeChild(old); }
    var shown = list.filter(function (q) { return q !== "Parler à une personne"; });
    if (!shown.length) { return; }
    var div = el("div", "assistant-quick");
    div.setAttribute("role", "group");
    div.setAttribute("aria-label", "Réponses rapides");
    shown.forEach(function (q) {
      var b = el("button", "secondary", q);
      b.type = "button";
      b.addEventListener("click", function () { send(q); });
      div.appendChild(b);
    });
    form.parentNode.insertBefore(div, form);
  }

  function showReply(reply) {
    var li = el("li", "from-assistant");
    li.appendChild(el("p", "speaker", "Assistant"));
    var div = el("div", "assistant-reply");
    // Marked as generated, for machines too (AI Act, art. 50).
    div.setAttribute("data-ai-generated", "true");
    div.appendChild(el("p", "ai-label", "Réponse générée par une IA — vérifiez auprès des fiches citées."));
    reply.sentences.forEach(function (s) {
      var p = el("p", null, s.text);
      s.cites.forEach(function (n) {
        var c = reply.citations[n - 1];
        if (!c) { return; }
        p.appendChild(document.createTextNode(" "));
        var a = link(c.url, "[" + n + "]", "cite");
        a.title = c.title;
        p.appendChild(a);
      });
      div.appendChild(p);
    });
    var picks = reply.recommendations.advisers.map(function (a) { return { url: a.url, title: a.name, why: a.why, demo: a.is_demo }; })
      .concat(reply.recommendations.resources.map(function (r) { return { url: r.url, title: r.title, why: r.why, demo: r.is_demo }; }));
    if (picks.length) {
      var ul = el("ul", "assistant-picks");
      picks.forEach(function (p) {
        var item = el("li");
        item.appendChild(link(p.url, p.title));
        if (p.demo) { item.appendChild(document.createTextNode(" ")); item.appendChild(el("span", "tag", "démo")); }
        item.appendChild(document.createTextNode(" — "));
        item.appendChild(el("span", "why", "Pourquoi : " + p.why));
        ul.appendChild(item);
      });
      div.appendChild(ul);
    }
    li.appendChild(div);
    log.appendChild(li);
    quickReplies(reply.quick_replies);
  }

  function send(text) {
    if (busy || !text.trim()) { return; }
    busy = true;
    var mine = el("li", "from-person");
    mine.appendChild(el("p", "speaker", "Vous"));
    mine.appendChild(el("p", null, text));
    log.appendChild(mine);
    box.value = "";
    var body = new URLSearchParams();
    body.set("jeton", token);
    body.set("message", text);
    fetch("/assistant", {
      method: "POST",
      headers: { "Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded" },
      body: body.toString(),
      credentials: "same-origin"
    }).then(function (res) {
      return res.json().then(function (json) { return { ok: res.ok, json: json }; });
    }).then(function (r) {
      if (!r.ok) {
        showError(r.json.error ? r.json.error.message : "L'assistant n'a pas pu répondre : réessayez.");
        box.value = text;
        return;
      }
      var old = document.getElementById("assistant-erreur");
      if (old) { old.parentNode.removeChild(old); }
      showReply(r.json.reply);
    }).catch(function () {
      showError("L'assistant n'a pas pu répondre : vérifiez votre connexion et réessayez.");
      box.value = text;
    }).then(function () {
      busy = false;
      box.focus();
    });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    send(box.value);
  });
  document.querySelectorAll(".assistant-quick button").forEach(function (b) {
    b.addEventListener("click", function (e) {
      e.preventDefault();
      send(b.value);
    });
  });
})();
