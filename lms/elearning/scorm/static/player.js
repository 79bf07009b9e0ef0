/* The player page: scorm-again's Scorm12API with its CrossFrameLMS answers the package in
   the sandboxed frame. The learner's data is sent to the server on each LMSCommit and
   LMSFinish, a few seconds after any change, and when the page is hidden, each save with a
   sequence number that only grows, so repeats and late arrivals change nothing. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("scorm-config").textContent);
  var frame = document.getElementById("scorm-frame");
  var message = document.getElementById("scorm-message");
  var exit = document.getElementById("scorm-exit");
  var session = (window.crypto && window.crypto.randomUUID) ? window.crypto.randomUUID()
    : String(Date.now()) + "-" + Math.random().toString(16).slice(2);
  var lastSeq = 0;
  var dirty = false;
  var completed = !!config.completed;
  var announced = false;
  var timer = null;

  // Only the package's frame speaks to the runtime: any other window's messages stop here,
  // before CrossFrameLMS (added after this listener) sees them.
  window.addEventListener("message", function (event) {
    if (event.source !== frame.contentWindow) { event.stopImmediatePropagation(); }
  });

  var api = new window.Scorm12API({ autocommit: false, lmsCommitUrl: false, logLevel: 4 });
  api.loadFromFlattenedJSON(config.cmi, "");
  window.API = api;
  new window.CrossFrameLMS(api, "*");

  function nextSeq() {
    lastSeq = Math.max(Date.now() * 1000, lastSeq + 1);
    return lastSeq;
  }

  function read(getter) {
    try { var value = getter(); return value === undefined || value === null ? "" : String(value); } catch (e) { return ""; }
  }

  function payload() {
    return {
      session: session,
      seq: nextSeq(),
      cmi: {
        lesson_status: read(function () { return api.cmi.core.lesson_status; }),
        score_raw: read(function () { return api.cmi.core.score.raw; }),
        lesson_location: read(function () { return api.cmi.core.lesson_location; }),
        suspend_data: read(function () { return api.cmi.suspend_data; }),
        session_time: read(function () { return api.cmi.core.session_time; })
      }
    };
  }

  function say(text) { message.textContent = text; }

  function save(options) {
    dirty = false;
    if (timer) { clearTimeout(timer); timer = null; }
    var body = JSON.stringify(payload());
    return fetch(config.save, {
      method: "POST",
      credentials: "same-origin",
      keepalive: !!(options && options.keepalive),
      headers: { "Content-Type": "application/json", "X-CSRFToken": config.csrf },
      body: body
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (result) {
      if (result.completed && !completed) {
        completed = true;
        announced = true;
        say("Course complete. It is in your training record, and your certificate is ready.");
      } else if (!announced) {
        say("Your progress is saved.");
      }
      return result;
    }).catch(function () {
      dirty = true;
      say("Your progress could not be saved just now. It will be tried again.");
    });
  }

  function later() {
    dirty = true;
    if (!timer) { timer = setTimeout(save, 3000); }
  }

  api.on("LMSSetValue.cmi.*", later);
  api.on("LMSCommit", function () { save(); });
  api.on("LMSFinish", function () { save(); });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && dirty) { save({ keepalive: true }); }
  });
  window.addEventListener("pagehide", function () { if (dirty) { save({ keepalive: true }); } });

  exit.addEventListener("click", function (event) {
    event.preventDefault();
    var go = function () { window.location.href = exit.getAttribute("href"); };
    save().then(go, go);
  });

  frame.setAttribute("src", config.content + "#scorm=" + encodeURIComponent(JSON.stringify(config.cmi)));
}());
