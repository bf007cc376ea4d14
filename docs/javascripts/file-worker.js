// Search from a copy of the site opened from disk (the zip of `nox -s dist`).
//
// Material runs its search in a Web Worker, which Chromium and Firefox refuse to start
// from a file:// page. On file:// only, this replaces Worker with a stand-in that runs the
// worker's script in a hidden same-origin iframe and passes messages both ways. Material's
// search worker needs nothing else: it listens for "message" and answers with postMessage.
// Only offline builds load this file (tools/mkdocs_hooks.py adds it as a polyfill).
(function () {
  if (location.protocol !== "file:") return;

  function FileWorker(url) {
    var worker = this;
    var listeners = [];
    var pending = [];
    var loaded = false;
    var frame = document.createElement("iframe");
    frame.hidden = true;
    frame.setAttribute("aria-hidden", "true");
    (document.body || document.documentElement).appendChild(frame);
    var scope = frame.contentWindow;

    // Messages are copied into the receiving side's realm, as a worker's structured clone
    // does: the worker's code tests arrays and objects against its own constructors.
    function deliver(data) {
      var event = new MessageEvent("message", { data: structuredClone(data) });
      if (typeof worker.onmessage === "function") worker.onmessage(event);
      listeners.slice().forEach(function (listener) { listener(event); });
    }
    function send(data) {
      scope.dispatchEvent(new scope.MessageEvent("message", { data: scope.structuredClone(data) }));
    }

    // The worker's global postMessage answers the page, asynchronously as a worker would.
    scope.postMessage = function (data) {
      setTimeout(function () { deliver(data); }, 0);
    };
    var script = scope.document.createElement("script");
    script.src = new URL(url, location.href).href;
    script.onload = function () {
      loaded = true;
      pending.splice(0).forEach(send);
    };
    scope.document.head.appendChild(script);

    this.onmessage = null;
    this._post = function (data) {
      if (loaded) send(data);
      else pending.push(data);
    };
    this._listen = function (listener) { listeners.push(listener); };
    this._unlisten = function (listener) {
      listeners = listeners.filter(function (other) { return other !== listener; });
    };
    this._frame = frame;
  }

  // On the prototype, like Worker's own methods, so that scripts which wrap
  // Worker.prototype.postMessage (search-han.js) wrap this one too.
  FileWorker.prototype.postMessage = function (data) { this._post(data); };
  FileWorker.prototype.addEventListener = function (type, listener) {
    if (type === "message") this._listen(listener);
  };
  FileWorker.prototype.removeEventListener = function (type, listener) {
    this._unlisten(listener);
  };
  FileWorker.prototype.terminate = function () { this._frame.remove(); };

  window.Worker = FileWorker;
})();
