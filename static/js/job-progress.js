// A job's page while the job runs: reads the job's progress.json every few seconds and
// puts what it says in the page (the status, the progress, and a polite live region that
// screen readers announce). A "Stop updating" button stops the updates (and "Start
// updating" starts them again). When the job has finished, the updates stop and the
// region says so, with the "Refresh" link to show the result: the page is never
// reloaded under the reader. Without JavaScript the "Refresh" link does it all.
(function () {
  "use strict";

  var EVERY = 3000;
  var box = document.getElementById("job-live");
  if (!box || !window.fetch) {
    return;
  }
  var url = box.getAttribute("data-progress-url");
  var live = document.getElementById("job-live-text");
  var status = document.getElementById("job-status");
  var progress = document.getElementById("job-progress");
  var refresh = document.getElementById("job-refresh");
  var timer = null;
  var lastSaid = live.textContent;

  var button = document.createElement("button");
  button.type = "button";
  button.id = "job-updates";
  button.className = "button";
  box.appendChild(button);

  function say(words) {
    // Only changed words go into the live region, so nothing is announced twice.
    if (words !== lastSaid) {
      live.textContent = words;
      lastSaid = words;
    }
  }

  function setUpdating(on) {
    button.textContent = on ? "Stop updating" : "Start updating";
    button.setAttribute("data-updating", on ? "true" : "false");
  }

  function stop() {
    if (timer !== null) {
      window.clearTimeout(timer);
      timer = null;
    }
    setUpdating(false);
  }

  function show(job) {
    status.textContent = job.status_label;
    progress.textContent = job.progress;
    if (job.finished) {
      stop();
      button.hidden = true;
      refresh.textContent = "Show the result";
      say("The job has finished: " + job.status_label + ". " + (job.summary || ""));
      return false;
    }
    say(job.progress + ".");
    return true;
  }

  function poll() {
    timer = null;
    window
      .fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (job) {
        if (show(job) && button.getAttribute("data-updating") === "true") {
          timer = window.setTimeout(poll, EVERY);
        }
      })
      .catch(function () {
        stop();
        say("The progress could not be read: use the Refresh link.");
      });
  }

  function start() {
    setUpdating(true);
    if (timer === null) {
      timer = window.setTimeout(poll, EVERY);
    }
  }

  button.addEventListener("click", function () {
    if (button.getAttribute("data-updating") === "true") {
      stop();
    } else {
      setUpdating(true);
      poll();
    }
  });

  start();
})();
