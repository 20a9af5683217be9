// Progressive enhancement for the listing's filter form; without it the
// form works the same, with a longer address.
//
// Ticking a checkbox or picking a radio never submits the form by itself (a
// change of context on input moves the page and the focus under the reader):
// the "Apply filters" button does.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form) {
    return;
  }

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

  // The filters sit in a disclosure, closed in the page as served so that a
  // phone shows the results first. On a wide screen, keep it open, also after
  // the window is widened.
  var disclosure = document.querySelector("[data-filters-disclosure]");
  if (disclosure && window.matchMedia) {
    var wide = window.matchMedia("(min-width: 50.0625rem)");
    var follow = function () {
      if (wide.matches) {
        disclosure.open = true;
      }
    };
    follow();
    if (wide.addEventListener) {
      wide.addEventListener("change", follow);
    }
  }
})();
