/*
 * LTI Platform Storage (1EdTech "LTI Client Side postMessages"): keep the OIDC state in the
 * platform's frame when the browser refuses our cookie inside the LMS iframe.
 *
 * Login page  (data-lti-storage="put"): ask lti.capabilities, lti.put_data the state and nonce,
 *                                        then continue to the platform's auth endpoint.
 * Launch page (data-lti-storage="get"): lti.get_data the state and post it back with the
 *                                        id_token, so the server can bind the launch to us.
 * The capabilities question is asked again every 400 ms for up to six seconds, since the
 * platform's frame (Canvas: post_message_forwarding) may still be loading when ours runs; each
 * later message waits up to three seconds. A platform that does not answer gets the plain form.
 */
(function () {
  "use strict";
  var form = document.querySelector("form[data-lti-storage]");
  if (!form) { return; }
  var mode = form.getAttribute("data-lti-storage");
  var storageTarget = form.getAttribute("data-storage-target") || "_parent";
  var targetOrigin = form.getAttribute("data-target-origin") || "*";
  var state = form.getAttribute("data-state");
  var nonce = form.getAttribute("data-nonce");
  var submitted = false;

  function submit() {
    if (!submitted) { submitted = true; form.submit(); }
  }

  function platformWindow() {
    // "_parent" means the LMS frame itself; any other value names a sibling frame of ours
    // (Canvas: "post_message_forwarding") that relays the messages.
    if (storageTarget === "_parent") { return window.parent; }
    try { return window.parent.frames[storageTarget] || window.parent; } catch (e) { return window.parent; }
  }

  var pending = {};
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || typeof data !== "object" || !data.message_id || !pending[data.message_id]) { return; }
    if (data.subject !== "lti.capabilities.response" && targetOrigin !== "*" && event.origin !== targetOrigin) { return; }
    var resolve = pending[data.message_id];
    delete pending[data.message_id];
    resolve(data);
  });

  function newId() {
    return "cpd-" + Math.random().toString(36).slice(2) + Date.now().toString(36);
  }

  function send(message, origin) {
    return new Promise(function (resolve, reject) {
      message.message_id = newId();
      pending[message.message_id] = resolve;
      try { platformWindow().postMessage(message, origin); } catch (e) { reject(e); }
      window.setTimeout(function () { reject(new Error("timeout")); }, 3000);
    });
  }

  function supports(subject) {
    // The capabilities request may go to any origin: we do not know the platform's yet. It is
    // repeated until answered (a frame still loading drops it); the first answer counts.
    return new Promise(function (resolve, reject) {
      var answered = false;
      var started = Date.now();
      function answer(reply) {
        if (answered) { return; }
        answered = true;
        var list = reply.supported_messages || [];
        for (var i = 0; i < list.length; i++) {
          if (list[i].subject === subject) { resolve(true); return; }
        }
        reject(new Error("unsupported"));
      }
      function ask() {
        if (answered) { return; }
        if (Date.now() - started > 6000) { answered = true; reject(new Error("timeout")); return; }
        var id = newId();
        pending[id] = answer;
        try { platformWindow().postMessage({ subject: "lti.capabilities", message_id: id }, "*"); } catch (e) { /* asked again */ }
        window.setTimeout(ask, 400);
      }
      ask();
    });
  }

  if (mode === "put") {
    supports("lti.put_data")
      .then(function () { return send({ subject: "lti.put_data", key: "cpd_state_" + state, value: state }, targetOrigin); })
      .then(function () { return send({ subject: "lti.put_data", key: "cpd_nonce_" + nonce, value: nonce }, targetOrigin); })
      .then(submit, submit);
  } else if (mode === "get") {
    supports("lti.get_data")
      .then(function () { return send({ subject: "lti.get_data", key: "cpd_state_" + state }, targetOrigin); })
      .then(function (reply) {
        if (reply && typeof reply.value === "string") { form.elements.platform_state.value = reply.value; }
        submit();
      }, submit);
  }
  // Whatever happens above, the form goes after twelve seconds.
  window.setTimeout(submit, 12000);
}());
