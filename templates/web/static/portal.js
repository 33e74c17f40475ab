// After a form comes back with problems, move focus to the error summary, as the GOV.UK Design
// System does, so keyboard and screen reader users start from the list of what to fix.
// The pages work without this script.
(function () {
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
  }
})();
