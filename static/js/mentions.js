// @-mention autocomplete and reply buttons for comment forms. Without JavaScript
// the form works as is: type @username; replies start a new comment.
(function () {
  "use strict";
  var MENTION = /(^|[^\w@.+-])@([\w.+-]*)$/;

  function setUp(area) {
    var url = area.getAttribute("data-mentions-url");
    var list = document.createElement("ul");
    list.className = "mention-list";
    list.id = area.id + "-mentions";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    area.insertAdjacentElement("afterend", list);
    area.setAttribute("aria-controls", list.id);
    area.setAttribute("aria-autocomplete", "list");
    var active = -1;
    var timer = null;
    var asked = 0;

    function current() {
      var before = area.value.slice(0, area.selectionStart);
      var match = MENTION.exec(before);
      return match ? { prefix: match[2], start: before.length - match[2].length } : null;
    }

    function close() {
      list.hidden = true;
      list.textContent = "";
      active = -1;
      area.removeAttribute("aria-activedescendant");
    }

    function choose(username) {
      var at = current();
      if (!at) return close();
      var end = area.selectionStart;
      area.value = area.value.slice(0, at.start) + username + " " + area.value.slice(end);
      var caret = at.start + username.length + 1;
      area.setSelectionRange(caret, caret);
      close();
      area.focus();
    }

    function highlight(index) {
      var items = list.querySelectorAll("li");
      if (!items.length) return;
      active = (index + items.length) % items.length;
      items.forEach(function (li, i) { li.setAttribute("aria-selected", i === active ? "true" : "false"); });
      area.setAttribute("aria-activedescendant", items[active].id);
    }

    function show(members) {
      close();
      members.forEach(function (m, i) {
        var li = document.createElement("li");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("data-username", m.username);
        li.textContent = "@" + m.username + (m.name ? " · " + m.name : "");
        li.addEventListener("mousedown", function (event) {
          event.preventDefault();
          choose(m.username);
        });
        list.appendChild(li);
      });
      if (members.length) {
        list.hidden = false;
        highlight(0);
      }
    }

    area.addEventListener("input", function () {
      var at = current();
      if (!at) return close();
      clearTimeout(timer);
      timer = setTimeout(function () {
        var ask = ++asked;
        fetch(url + "?q=" + encodeURIComponent(at.prefix), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : { members: [] }; })
          .then(function (data) { if (ask === asked) show(data.members || []); })
          .catch(close);
      }, 120);
    });

    area.addEventListener("keydown", function (event) {
      if (list.hidden) return;
      if (event.key === "ArrowDown") { event.preventDefault(); highlight(active + 1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(active - 1); }
      else if (event.key === "Enter" || event.key === "Tab") {
        var li = list.querySelectorAll("li")[active];
        if (li) { event.preventDefault(); choose(li.getAttribute("data-username")); }
      } else if (event.key === "Escape") { close(); }
    });
    area.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  function setUpReplies(form) {
    var parent = form.querySelector("input[name=parent]");
    var note = form.querySelector("[data-reply-to]");
    if (!parent || !note) return;
    document.querySelectorAll("[data-reply]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        parent.value = link.getAttribute("data-reply");
        note.hidden = false;
        form.querySelector("textarea").focus();
      });
    });
    note.querySelector("[data-reply-cancel]").addEventListener("click", function (event) {
      event.preventDefault();
      parent.value = "";
      note.hidden = true;
    });
  }

  document.querySelectorAll("textarea[data-mentions-url]").forEach(setUp);
  document.querySelectorAll("form.comment-form").forEach(setUpReplies);
})();
