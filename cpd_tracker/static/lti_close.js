/* Dynamic Registration is finished: tell the LMS to close its registration frame
   (LTI Dynamic Registration 1.0, section 3.7). The message carries no data, so any origin. */
(function () {
  "use strict";
  function close() { (window.opener || window.parent).postMessage({ subject: "org.imsglobal.lti.close" }, "*"); }
  var button = document.querySelector("[data-lti-close]");
  if (button) { button.addEventListener("click", close); }
  close();
}());
