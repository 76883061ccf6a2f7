/* Behaviour the templates ask for with data-* attributes, so that no page needs an inline
   script or an on*= handler (the Content-Security-Policy allows scripts from our own files
   only). Listeners sit on the document, so content swapped in by HTMX works the same.

   data-print                      a button that prints the page
   data-autosubmit                 a select or checkbox whose change submits its form
   data-confirm="question"         on a form (checked on submit) or a submit button (on click):
                                   nothing happens unless the user confirms */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) { return; }
    if (target.closest("[data-print]")) {
      event.preventDefault();
      window.print();
      return;
    }
    var button = target.closest("button[data-confirm], input[type=submit][data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.hasAttribute("data-confirm") &&
        !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field instanceof Element && field.hasAttribute("data-autosubmit") && field.form) {
      // A plain submit (a full page load), as the filter forms always did.
      field.form.submit();
    }
  });
})();
