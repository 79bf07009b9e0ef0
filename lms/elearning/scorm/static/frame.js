/* Runs inside the sandboxed package frame, before the package's own scripts. It puts
   scorm-again's CrossFrameAPI where a SCORM 1.2 package looks for it (window.API). The
   frame has an opaque origin, so every call travels to the player page by postMessage;
   the player passes the learner's starting data in the address's fragment so the first
   LMSGetValue calls already answer with it. */
(function () {
  "use strict";
  var start = {};
  var match = /(?:^#|&)scorm=([^&]*)/.exec(window.location.hash);
  if (match) {
    try { start = JSON.parse(decodeURIComponent(match[1])); } catch (e) { start = {}; }
  }
  var api = new window.CrossFrameAPI(window.location.origin, window.parent);
  Object.keys(start).forEach(function (key) { api._cache.set(key, String(start[key])); });
  window.API = api;
}());
