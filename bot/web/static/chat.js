// Web chat: posts to /api/messages and polls it for agents' replies and notices.
(function () {
  "use strict";
  var KEY = "aftercare.customer";
  var customer = localStorage.getItem(KEY);
  if (!customer) {
    customer = "web-" + Math.random().toString(36).slice(2, 10) + Date.now().toString(36);
    localStorage.setItem(KEY, customer);
  }
  var after = Number(localStorage.getItem(KEY + ".after") || 0);
  // the optional name the customer gives: remembered in this browser and sent with each message
  var nameInput = document.getElementById("name");
  if (nameInput) {
    nameInput.value = localStorage.getItem(KEY + ".name") || "";
    nameInput.addEventListener("change", function () { localStorage.setItem(KEY + ".name", nameInput.value.trim()); });
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
    document.title = L("title");
    main.setAttribute("aria-label", L("title"));
    document.getElementById("title").textContent = L("title");
    document.getElementById("sub").textContent = L("sub");
    document.getElementById("text-label").textContent = L("message");
    input.placeholder = L("placeholder");
    send.textContent = L("send");
  }

  function add(kind, text, who, ticket) {
    var li = document.createElement("li");
    li.className = "msg " + kind;
    if (who) { var w = document.createElement("span"); w.className = "who"; w.textContent = who; li.appendChild(w); }
    li.appendChild(document.createTextNode(text));
    if (ticket) { var t = document.createElement("span"); t.className = "ticket"; t.textContent = L("ticket") + " " + ticket; li.appendChild(document.createElement("br")); li.appendChild(t); }
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
  }
  function setAfter(id) {
    if (id && id > after) { after = id; localStorage.setItem(KEY + ".after", String(after)); }
  }

  function post(text, attempt, key) {
    return fetch("/api/messages", {
      // the same Idempotency-Key on every retry of one message: the server stores and answers it once
      method: "POST", headers: { "Content-Type": "application/json", "Idempotency-Key": key },
      body: JSON.stringify({ customer: customer, text: text, name: nameInput ? nameInput.value.trim().slice(0, 80) : "" })
    }).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, status: r.status, body: body }; });
    }).then(function (res) {
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
    var text = input.value.trim();
    if (!text) { return; }
    send.disabled = true; status.textContent = "";
    add("customer", text);
    var key = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + "-" + Math.random();
    post(text, 0, key).then(function (body) {
      input.value = "";
      speak(body.language);
      body.replies.forEach(function (r) { add(r.kind === "agent" ? "agent" : "bot", r.text, null, body.ticket_id); });
      setAfter(body.last_id);
    }).catch(function (err) {
      status.textContent = L("not_sent").replace("{error}", err.message);
    }).finally(function () { send.disabled = false; input.focus(); });
  });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); form.requestSubmit(); }
  });

  function poll() {
    fetch("/api/messages?customer=" + encodeURIComponent(customer) + "&after=" + after)
      .then(function (r) { return r.ok ? r.json() : { messages: [] }; })
      .then(function (body) {
        body.messages.forEach(function (m) {
          if (shown[m.id]) { return; }
          shown[m.id] = true;
          if (m.author === "agent") { add("agent", m.text, (m.author_name || L("agent")) + " " + L("support")); }
          else if (m.author === "system") { add("system", m.text); }
          else { add("bot", m.text); }
          setAfter(m.id);
        });
      }).catch(function () {}).finally(function () { setTimeout(poll, 2500); });
  }
  setTimeout(poll, 2500);
})();
