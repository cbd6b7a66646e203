// The header's unread badge: asks /notifications/unread.json once per page, so the
// page itself (cached or not) carries no per-user count. External file (CSP).
(function () {
  "use strict";
  var link = document.querySelector("[data-unread-url]");
  if (!link || !window.fetch) { return; }
  fetch(link.getAttribute("data-unread-url"), {credentials: "same-origin"})
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (data) {
      if (!data || !data.unread) { return; }
      var badge = link.querySelector(".badge");
      badge.textContent = data.unread > 99 ? "99+" : String(data.unread);
      badge.hidden = false;
      link.setAttribute("aria-label", "Notifications, " + data.unread + " unread");
    })
    .catch(function () { /* no badge: the link still works */ });
}());
