// Inside the widget's frame: browsers that block storage for embedded (third-party) frames make
// localStorage throw; the chat then keeps its customer id in memory for this visit instead.
(function () {
  "use strict";
  try {
    window.localStorage.setItem("aftercare.probe", "1");
    window.localStorage.removeItem("aftercare.probe");
  } catch (e) {
    var mem = {};
    var shim = {
      getItem: function (k) { return Object.prototype.hasOwnProperty.call(mem, k) ? mem[k] : null; },
      setItem: function (k, v) { mem[k] = String(v); },
      removeItem: function (k) { delete mem[k]; }
    };
    try { Object.defineProperty(window, "localStorage", { value: shim, configurable: true }); } catch (e2) { /* keep going */ }
  }
})();
