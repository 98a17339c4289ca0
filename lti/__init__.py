"""The LTI 1.3 tool layer.

A boundary: nothing here imports ``cpd_tracker``. Callers hand in a registration store, a
launch-state store, an HTTP client and a clock; the layer hands back a frozen
:class:`~lti.context.LaunchContext` or raises an :class:`~lti.errors.LtiError` whose message an
LMS administrator can act on.

Specs: 1EdTech LTI Core 1.3, LTI Security Framework 1.0, Dynamic Registration 1.0,
Platform Storage (client-side postMessages), Deep Linking 2.0, NRPS 2.0, AGS 2.0.
"""
