/* Submit forms marked data-autosubmit (the demo LMS's and the LTI flow's form posts). */
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-autosubmit]");
  for (var i = 0; i < forms.length; i++) { forms[i].submit(); }
}());
