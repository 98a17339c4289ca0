// Initialises GOV.UK Frontend's components (skip link, service navigation
// toggle, notification banners, error summary focus, radios, checkboxes,
// tabs, accordions...). Served as a static ES module because the app's CSP is
// `script-src 'self'`: no inline script, so no nonce is needed.
//
// GOV.UK's page template flags support with an inline script in <body>; we do
// it here instead. A browser that runs this module supports ES modules, which
// is exactly what `govuk-frontend-supported` means; without JavaScript the
// components stay in their usable no-JS form.
import { initAll } from "./govuk/govuk-frontend.min.js";

document.body.classList.add("govuk-frontend-supported");
initAll();

// GOV.UK Frontend's radios mark a radio that reveals more questions with
// aria-expanded, which ARIA does not allow on a radio (axe: aria-allowed-attr,
// critical): screen readers either ignore it or announce a state that does not
// exist. The revealed questions follow the radio in reading order, and the
// radio keeps aria-controls, so the attribute is taken off again whenever the
// component sets it (on start, on every change, when a page is restored).
function dropRadioExpanded(scope) {
  for (const radio of scope.querySelectorAll('input[type="radio"][aria-expanded]')) {
    radio.removeAttribute("aria-expanded");
  }
}
dropRadioExpanded(document);
new MutationObserver((changes) => {
  for (const change of changes) {
    if (change.target instanceof HTMLInputElement && change.target.type === "radio") {
      change.target.removeAttribute("aria-expanded");
    }
  }
}).observe(document.body, { attributes: true, attributeFilter: ["aria-expanded"], subtree: true });
