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
