// Web chat (the page and the widget's frame): a key from /api/session kept in this browser, the
// conversation restored from /api/history on every load, /api/messages to send and to poll for
// agents' replies, /api/buttons for the buttons under answers and resolution notices.
(function () {
  "use strict";
  var STORE = "aftercare.chat";
  // the optional name the customer gives: remembered in this browser and sent with each message
  var nameInput = document.getElementById("name");
  if (nameInput) {
    nameInput.value = localStorage.getItem(STORE + ".name") || "";
    nameInput.addEventListener("change", function () { localStorage.setItem(STORE + ".name", nameInput.value.trim()); });
  }
  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("text");
  var send = document.getElementById("send");
  var status = document.getElementById("status");
  var shown = {};
  var main = document.querySelector("main.chat");
  var labels = JSON.parse(main.getAttribute("data-labels") || "{}");
  var lang = main.getAttribute("data-lang") || "en";
  function L(key) { return (labels[lang] || labels.en || {})[key] || key; }
  // the page speaks the conversation's language: the API says which after every message
  function speak(code) {
    if (!code || !labels[code] || code === lang) { return; }
    lang = code;
    document.documentElement.lang = code;
    main.setAttribute("aria-label", L("title"));
    // the page has a title and a subtitle; the widget's frame (titled by the site) has neither
    [["title", "title"], ["sub", "sub"], ["text-label", "message"], ["name-label", "name"],
     ["name-optional", "optional"]].forEach(function (pair) {
      var el = document.getElementById(pair[0]);
      if (el) { el.textContent = L(pair[1]); }
    });
    if (document.getElementById("title")) { document.title = L("title"); }
    input.placeholder = L("placeholder");
    var who = document.getElementById("name");
    if (who) { who.placeholder = L("name_hint"); }
    send.textContent = L("send");
  }
  var after = 0;
  var session = null;
  // The embedding site may vouch for its signed-in user: widget.js passes user_id, user_hash and
  // name in the frame's fragment (never sent to a server log).
  var hash = new URLSearchParams(window.location.hash.slice(1));
  var identity = { user_id: hash.get("user_id") || "", user_hash: hash.get("user_hash") || "", name: hash.get("name") || "" };

  function myName() { return identity.name || (nameInput ? nameInput.value.trim().slice(0, 80) : ""); }

  function loadSession() {
    try {
      var s = JSON.parse(localStorage.getItem(STORE) || "null");
      if (s && s.key && s.customer && (s.user || "") === identity.user_id) { return s; }
    } catch (e) { /* a damaged entry: start again */ }
    return null;
  }
  function newSession() {
    var body = identity.user_id ? { user_id: identity.user_id, user_hash: identity.user_hash } : {};
    return fetch("/api/session", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
      .then(function (r) {
        return r.json().then(function (b) {
          if (!r.ok) { throw new Error((b && b.error) || ("HTTP " + r.status)); }
          session = { customer: b.customer, key: b.key, user: identity.user_id };
          localStorage.setItem(STORE, JSON.stringify(session));
          return session;
        });
      });
  }
  function ready() { session = session || loadSession(); return session ? Promise.resolve(session) : newSession(); }

  // One call to the chat API with this browser's key; an unknown key (a reset server) gets a new session once.
  function api(method, path, body, retried, extra) {
    return ready().then(function (s) {
      var opts = { method: method, headers: Object.assign({ "Authorization": "Bearer " + s.key }, extra || {}) };
      if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
      return fetch(path, opts);
    }).then(function (r) {
      if (r.status === 401 && !retried) {
        session = null; localStorage.removeItem(STORE);
        return newSession().then(function () { return api(method, path, body, true, extra); });
      }
      return r.json().then(function (b) { return { ok: r.ok, status: r.status, body: b }; },
                          function () { return { ok: r.ok, status: r.status, body: {} }; });
    });
  }

  function bubble(kind, text, who, ticket) {
    var li = document.createElement("li");
    li.className = "msg " + kind;
    if (who) { var w = document.createElement("span"); w.className = "who"; w.textContent = who; li.appendChild(w); }
    li.appendChild(document.createTextNode(text));
    if (ticket) { var t = document.createElement("span"); t.className = "ticket"; t.textContent = L("ticket") + " " + ticket; li.appendChild(document.createElement("br")); li.appendChild(t); }
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
    return li;
  }
  function buttons(li, list) {
    if (!list || !list.length) { return; }
    var box = document.createElement("div");
    box.className = "choices";
    list.forEach(function (b) {
      var btn = document.createElement("button");
      btn.type = "button"; btn.className = "choice"; btn.textContent = b.label;
      btn.setAttribute("data-action", b.action);
      btn.addEventListener("click", function () { press(box, b.action); });
      box.appendChild(btn);
    });
    li.appendChild(box);
  }
  function show(m) {
    if (shown[m.id]) { return; }
    shown[m.id] = true;
    var li;
    if (m.author === "customer") { li = bubble("customer", m.text); }
    else if (m.author === "agent") { li = bubble("agent", m.text, (m.author_name || L("agent")) + " " + L("support")); }
    else if (m.author === "system") { li = bubble("system", m.text); }
    else { li = bubble("bot", m.text, null, m.ticket_id); }
    buttons(li, m.buttons);
    if (m.id > after) { after = m.id; }
  }

  function press(box, action) {
    var all = box.querySelectorAll("button");
    Array.prototype.forEach.call(all, function (b) { b.disabled = true; });
    api("POST", "/api/buttons", { action: action, name: myName() }).then(function (res) {
      if (!res.ok) { throw new Error((res.body && res.body.error) || ("HTTP " + res.status)); }
      box.remove();
      if (res.body.text) { bubble("bot", res.body.text); }
      (res.body.messages || []).forEach(show);
    }).catch(function (err) {
      Array.prototype.forEach.call(all, function (b) { b.disabled = false; });
      status.textContent = L("press_again").replace("{error}", err.message);
    });
  }

  function post(text, attempt, key) {
    // the same Idempotency-Key on every retry of one message: the server stores and answers it once
    return api("POST", "/api/messages", { text: text, name: myName(), language: lang }, false, { "Idempotency-Key": key }).then(function (res) {
      if (res.status === 503 && attempt < 3) {
        status.textContent = L("retrying");
        return new Promise(function (ok) { setTimeout(ok, 1000 * (attempt + 1)); }).then(function () { return post(text, attempt + 1, key); });
      }
      if (!res.ok) { throw new Error((res.body && res.body.error) || ("HTTP " + res.status)); }
      return res.body;
    });
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = input.value;
    if (!text.trim()) { return; }
    send.disabled = true; status.textContent = "";
    var key = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + "-" + Math.random();
    post(text, 0, key).then(function (body) {
      if (body.action === "refused") {  // nothing was taken: the words stay in the box, with the reason
        var why = (body.replies || []).map(function (r) { return r.text; }).join(" ");
        status.textContent = L("refused").replace("{reason}", why);
        return;
      }
      input.value = "";
      speak(body.language);
      if (body.message_id) { show({ id: body.message_id, author: "customer", text: text.trim() }); }
      else { bubble("customer", text.trim()); }
      if (body.messages && body.messages.length) { body.messages.forEach(show); }
      else { (body.replies || []).forEach(function (r) { bubble(r.kind === "agent" ? "agent" : "bot", r.text, null, body.ticket_id); }); }
    }).catch(function (err) {
      status.textContent = L("not_sent").replace("{error}", err.message);
    }).finally(function () { send.disabled = false; input.focus(); });
  });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); form.requestSubmit(); }
  });

  function poll() {
    api("GET", "/api/messages?after=" + after).then(function (res) {
      if (res.ok) { (res.body.messages || []).forEach(show); }
    }).catch(function () {}).finally(function () { setTimeout(poll, 2500); });
  }

  // The conversation so far, then polling for what comes next.
  api("GET", "/api/history").then(function (res) {
    if (res.ok) { (res.body.messages || []).forEach(show); }
  }).catch(function (err) {
    status.textContent = L("not_loaded").replace("{error}", err.message);
  }).finally(function () { log.setAttribute("data-ready", "1"); setTimeout(poll, 2500); });
})();
