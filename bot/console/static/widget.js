// Aftercare chat widget: add <script src="https://support.example.com/widget.js" async></script> to a page.
// Optional attributes: data-title="Help", data-position="left", data-color="#2563eb"; for a signed-in
// user of the site: data-user-id="42" data-user-hash="<hex HMAC-SHA256 of the id under WEB_IDENTITY_SECRET,
// computed by the site's server>" data-user-name="Kim" (the same conversation on every device).
(function () {
  "use strict";
  if (window.__aftercareWidget) { return; }
  window.__aftercareWidget = true;
  var me = document.currentScript || (function () {
    var all = document.getElementsByTagName("script");
    for (var i = all.length - 1; i >= 0; i--) { if (/\/widget\.js(\?|$)/.test(all[i].src)) { return all[i]; } }
    return null;
  })();
  var origin = me ? new URL(me.src, window.location.href).origin : window.location.origin;
  var title = (me && me.getAttribute("data-title")) || "Support chat";
  var left = me && me.getAttribute("data-position") === "left";
  var color = (me && me.getAttribute("data-color")) || "#2563eb";
  var who = new URLSearchParams();
  ["user-id", "user-hash", "user-name"].forEach(function (k) {
    var v = me && me.getAttribute("data-" + k);
    if (v) { who.set(k === "user-name" ? "name" : k.replace("-", "_"), v); }
  });

  function start() {
    var side = left ? "left" : "right";
    var btn = document.createElement("button");
    btn.type = "button";
    btn.id = "aftercare-widget-button";
    btn.setAttribute("aria-label", "Open " + title);
    btn.setAttribute("aria-expanded", "false");
    btn.textContent = "\ud83d\udcac";
    btn.style.cssText = "position:fixed;bottom:20px;" + side + ":20px;width:56px;height:56px;border-radius:50%;" +
      "border:0;background:" + color + ";color:#fff;font-size:26px;cursor:pointer;z-index:2147483000;" +
      "box-shadow:0 4px 14px rgba(0,0,0,.25)";
    var frame = document.createElement("iframe");
    frame.id = "aftercare-widget-frame";
    frame.title = title;
    // the identity travels in the fragment: the frame's script reads it, no server log sees it
    frame.src = origin + "/widget?title=" + encodeURIComponent(title) + (who.toString() ? "#" + who.toString() : "");
    frame.style.cssText = "position:fixed;bottom:88px;" + side + ":20px;width:370px;max-width:calc(100vw - 40px);" +
      "height:560px;max-height:calc(100vh - 110px);border:0;border-radius:14px;background:#fff;" +
      "box-shadow:0 8px 30px rgba(0,0,0,.25);z-index:2147483000;display:none";
    btn.addEventListener("click", function () {
      var open = frame.style.display === "none";
      frame.style.display = open ? "block" : "none";
      btn.setAttribute("aria-expanded", open ? "true" : "false");
      btn.textContent = open ? "\u00d7" : "\ud83d\udcac";
    });
    document.body.appendChild(frame);
    document.body.appendChild(btn);
  }
  if (document.body) { start(); } else { document.addEventListener("DOMContentLoaded", start); }
})();
