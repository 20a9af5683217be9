// Moves focus to the error summary when a form comes back with errors, so that a
// screen reader announces it and the keyboard starts there (GOV.UK Design System).
// Without JavaScript the summary is still the first thing in the page's content.
(function () {
  var summary = document.querySelector("[data-error-summary]");
  if (summary && document.activeElement !== summary) {
    summary.focus();
  }
})();
