// "Add to shortlist" and "Remove from shortlist" without reloading the page: the
// form is posted with fetch, the button changes in place (so focus and the reader's
// place stay where they were), the header's count follows and the change is
// announced in a polite live region. Without JavaScript, or if the post fails, the
// form posts as usual and the page comes back at the same result.
(function () {
  "use strict";

  function announce(message) {
    var status = document.querySelector("[data-shortlist-status]");
    if (!status) {
      return;
    }
    // Emptied first, so that the same words said twice are announced twice.
    status.textContent = "";
    window.setTimeout(function () {
      status.textContent = message;
    }, 50);
  }

  function setCount(count) {
    var spans = document.querySelectorAll("[data-shortlist-count]");
    for (var i = 0; i < spans.length; i++) {
      spans[i].textContent = String(count);
    }
  }

  function setButton(form, onList) {
    var button = form.querySelector("button[data-on-list]");
    if (!button) {
      return;
    }
    // The button's words (for screen readers only on a compact one, which shows a + or
    // a tick by its data-on-list); the initiative's name after them stays.
    var label = button.querySelector("[data-shortlist-label]") || button.firstChild;
    label.textContent = onList ? "Remove from shortlist" : "Add to shortlist";
    button.setAttribute("data-on-list", onList ? "true" : "false");
    form.setAttribute(
      "action",
      form.getAttribute(onList ? "data-remove-action" : "data-add-action")
    );
  }

  function removeFromPage(form) {
    var item = form.closest("[data-shortlist-item]");
    if (!item) {
      return;
    }
    var next = item.nextElementSibling || item.previousElementSibling;
    var list = item.parentNode;
    list.removeChild(item);
    if (next) {
      var link = next.querySelector(".entry__title a");
      if (link) {
        link.focus();
        return;
      }
    }
    if (!list.children.length) {
      var empty = document.querySelector("[data-shortlist-empty]");
      if (empty) {
        empty.hidden = false;
      }
    }
    var heading = document.getElementById("shortlist-heading");
    if (heading) {
      heading.focus();
    }
  }

  // One change at a time: the session is read and written whole by each request, so
  // two at once (quick clicks on several results) would lose one of them.
  var queue = Promise.resolve();

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-shortlist-toggle]") || !window.fetch) {
      return;
    }
    event.preventDefault();
    if (form.getAttribute("data-busy")) {
      return;
    }
    form.setAttribute("data-busy", "true");
    queue = queue.then(function () {
      return send(form);
    });
  });

  function send(form) {
    var adding = form.getAttribute("action") === form.getAttribute("data-add-action");
    return window
      .fetch(form.getAttribute("action"), {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        form.removeAttribute("data-busy");
        setCount(data.count);
        var id = parseInt(form.querySelector("input[name=id]").value, 10);
        var onList = data.ids.indexOf(id) !== -1;
        if (!adding && form.hasAttribute("data-remove-on-page")) {
          removeFromPage(form);
        } else {
          setButton(form, onList);
        }
        announce(data.message);
      })
      .catch(function () {
        form.removeAttribute("data-busy");
        form.submit();
      });
  }
})();
