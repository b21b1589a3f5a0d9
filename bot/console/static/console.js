// Console pages: local times, SLA countdowns, and pages that refresh themselves (short polling).
(function () {
  "use strict";

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }
  function localTime(iso) {
    var d = new Date(iso);
    if (isNaN(d)) { return iso; }
    var same = d.toDateString() === new Date().toDateString();
    return same ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
                : d.toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
  }
  function formatTimes(root) {
    root.querySelectorAll("time.ts").forEach(function (t) {
      t.textContent = localTime(t.getAttribute("datetime"));
      t.title = t.getAttribute("datetime");
    });
  }
  function span(ms) {
    var s = Math.floor(Math.abs(ms) / 1000), d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600),
        m = Math.floor(s % 3600 / 60), sec = s % 60;
    if (d) { return d + "d " + h + "h"; }
    if (h) { return h + "h " + m + "m"; }
    return m + "m " + (sec < 10 ? "0" : "") + sec + "s";
  }
  function tickDue() {
    var now = Date.now();
    document.querySelectorAll("time.due").forEach(function (t) {
      var due = Date.parse(t.getAttribute("datetime"));
      if (isNaN(due)) { return; }
      var left = due - now;
      t.textContent = left >= 0 ? "in " + span(left) : "overdue " + span(left);
      t.classList.toggle("overdue", left < 0);
      t.classList.toggle("soon", left >= 0 && left < 30 * 60 * 1000);
    });
  }

  // -- queue ------------------------------------------------------------------------------------
  function queueRow(t) {
    var tr = el("tr"); tr.dataset.id = t.id;
    function td(th, child, cls) {
      var c = el("td", cls); c.dataset.th = th;
      if (typeof child === "string") { c.textContent = child; } else { c.appendChild(child); }
      tr.appendChild(c); return c;
    }
    var a = el("a", null, t.id); a.href = t.url; td("Ticket", a);
    td("Priority", el("span", "pill p-" + t.priority, t.priority));
    var lab = td("Label", t.label + " "); lab.appendChild(el("small", "muted", t.confidence.toFixed(2)));
    td("Impact", t.impact);
    td("Channel", t.channel_title || t.channel);
    var sub = td("Subject", "", "subject"), who = el("strong", null, t.customer);
    who.title = t.channel + ":" + (t.customer_ref || ""); sub.appendChild(who);
    if (t.customer_replied) { sub.appendChild(document.createTextNode(" ")); sub.appendChild(el("span", "pill replied", "customer replied")); }
    sub.appendChild(document.createTextNode(" · " + t.subject));
    if (t.last_activity) { var act = el("time", "ts"); act.setAttribute("datetime", t.last_activity); td("Last activity", act); }
    else { td("Last activity", ""); }
    if (t.due_at) { var tm = el("time", "due"); tm.setAttribute("datetime", t.due_at); tm.title = t.due_kind + " due"; td("SLA due", tm); }
    else { td("SLA due", el("span", "muted", "–")); }
    td("Owner", t.owner || "–");
    td("Status", t.status);
    return tr;
  }
  function pollQueue(table) {
    var body = table.querySelector("tbody"), count = document.getElementById("queue-count"),
        empty = document.getElementById("queue-empty"), stamp = document.getElementById("queue-updated"),
        every = Number(stamp && stamp.dataset.refreshMs) || 5000;
    function run() {
      fetch(table.dataset.source, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) {
          if (r.status === 401) { window.location.reload(); throw new Error("logged out"); }
          return r.json();
        })
        .then(function (data) {
          var frag = document.createDocumentFragment();
          data.tickets.forEach(function (t) { frag.appendChild(queueRow(t)); });
          body.replaceChildren(frag);
          if (count) { count.textContent = String(data.tickets.length); }
          if (empty) { empty.hidden = data.tickets.length > 0; }
          if (stamp) { stamp.textContent = "Updated " + new Date().toLocaleTimeString(); }
          formatTimes(body);
          tickDue();
        }).catch(function () {
          if (stamp) { stamp.textContent = "Connection problem; retrying…"; }
        }).finally(function () { setTimeout(run, every); });
    }
    setTimeout(run, every);
  }

  // -- ticket transcript --------------------------------------------------------------------------
  function pollTranscript(list) {
    var after = Number(list.dataset.after) || 0, every = Number(list.dataset.refreshMs) || 5000;
    var owner = document.getElementById("owner");
    function run() {
      fetch(list.dataset.source + "?after=" + after, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          data.messages.forEach(function (m) {
            if (list.querySelector('[data-id="' + m.id + '"]')) { return; }
            var li = el("li", "m " + m.author); li.dataset.id = m.id;
            li.appendChild(el("span", "who", m.who)); li.appendChild(document.createTextNode(" "));
            var tm = el("time", "ts"); tm.setAttribute("datetime", m.at); li.appendChild(tm);
            li.appendChild(el("div", "text", m.text));
            list.appendChild(li);
            after = Math.max(after, m.id);
          });
          if (owner && data.ticket) { owner.textContent = data.ticket.owner || "nobody yet"; }
          formatTimes(list);
        }).catch(function () {}).finally(function () { setTimeout(run, every); });
    }
    setTimeout(run, every);
  }

  document.addEventListener("DOMContentLoaded", function () {
    formatTimes(document);
    tickDue();
    setInterval(tickDue, 1000);
    var q = document.getElementById("queue");
    if (q) { pollQueue(q); }
    var filters = document.getElementById("queue-filters");
    if (filters) {
      filters.querySelectorAll("select").forEach(function (s) {
        s.addEventListener("change", function () { filters.submit(); });
      });
    }
    var tr = document.getElementById("transcript");
    if (tr) { pollTranscript(tr); tr.scrollTop = tr.scrollHeight; }
    // "Use in reply": a suggested solved case's answer goes into the reply box, to send or adapt
    document.querySelectorAll("button.use-answer").forEach(function (b) {
      b.addEventListener("click", function () {
        var box = document.getElementById("reply-text");
        if (!box) { return; }
        var text = b.getAttribute("data-answer") || "";
        box.value = box.value.trim() ? box.value.replace(/\s+$/, "") + "\n\n" + text : text;
        box.focus();
      });
    });
  });
})();
