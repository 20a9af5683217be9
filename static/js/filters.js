// Progressive enhancement for the listing's filter form; without it the
// "Apply filters" button does the same job.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form || typeof form.requestSubmit !== "function") {
    return;
  }

  // Submit when an option is clicked, but not while someone moves through
  // radios or a select with the keyboard (each arrow key is a change event).
  var clicked = false;
  document.addEventListener("pointerdown", function () {
    clicked = true;
  });
  document.addEventListener("keydown", function () {
    clicked = false;
  });
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (!clicked || field.form !== form || field.type === "search" || field.type === "text") {
      return;
    }
    clicked = false;
    form.requestSubmit();
  });

  // Leave out empty fields and the default order, so that the address holds
  // only the choices made.
  var sort = document.getElementById("sort");
  var defaultSort = sort ? sort.getAttribute("data-default") : null;
  form.addEventListener("formdata", function (event) {
    var data = event.formData;
    var kept = [];
    data.forEach(function (value, key) {
      var empty = typeof value === "string" && value.trim() === "";
      if (!empty && !(key === "sort" && value === defaultSort)) {
        kept.push([key, value]);
      }
    });
    Array.from(new Set(Array.from(data.keys()))).forEach(function (key) {
      data.delete(key);
    });
    kept.forEach(function (pair) {
      data.append(pair[0], pair[1]);
    });
  });

  var hints = document.querySelectorAll("[data-js-hint]");
  for (var i = 0; i < hints.length; i += 1) {
    hints[i].hidden = false;
  }
})();
