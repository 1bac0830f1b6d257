// Suggestions for the search box: an ARIA combobox filled from /search/suggest as the user types.
// Arrow keys move through the list, Enter or a click takes a suggestion and searches for it, Escape closes.
(function () {
  "use strict";
  document.querySelectorAll("input[data-suggest]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("aria-controls"));
    if (!list) { return; }
    var timer = null, last = "", active = -1, request = 0;

    function options() { return list.querySelectorAll('[role="option"]'); }
    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function highlight(index) {
      var all = options();
      if (!all.length) { return; }
      active = (index + all.length) % all.length;
      all.forEach(function (option, i) {
        option.classList.toggle("active", i === active);
        option.setAttribute("aria-selected", i === active ? "true" : "false");
      });
      input.setAttribute("aria-activedescendant", all[active].id);
      all[active].scrollIntoView({block: "nearest"});
    }
    function choose(option) {
      input.value = option.dataset.value;
      close();
      if (input.form) { input.form.requestSubmit ? input.form.requestSubmit() : input.form.submit(); }
    }
    function show(items) {
      list.replaceChildren.apply(list, items.map(function (item, i) {
        var option = document.createElement("li");
        option.id = list.id + "-" + i;
        option.className = "list-group-item list-group-item-action d-flex justify-content-between gap-2";
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.dataset.value = item.text;
        var text = document.createElement("span");
        text.className = "wrap";
        text.textContent = item.text;
        var count = document.createElement("span");
        count.className = "text-muted small";
        count.textContent = item.count;
        option.append(text, count);
        return option;
      }));
      active = -1;
      list.hidden = !items.length;
      input.setAttribute("aria-expanded", items.length ? "true" : "false");
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var text = input.value.trim();
        if (!text) { last = ""; close(); return; }
        if (text === last) { return; }
        last = text;
        var mine = ++request;
        fetch(input.dataset.suggest + "?q=" + encodeURIComponent(text), {headers: {"Accept": "application/json"}})
          .then(function (response) { return response.ok ? response.json() : []; })
          .then(function (items) { if (mine === request) { show(items); } })
          .catch(function () { /* suggestions are a nicety: the search works without them */ });
      }, 150);
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden) {
        if (event.key === "ArrowDown" && options().length) { list.hidden = false; input.setAttribute("aria-expanded", "true"); highlight(0); event.preventDefault(); }
        return;
      }
      if (event.key === "ArrowDown") { highlight(active + 1); event.preventDefault(); }
      else if (event.key === "ArrowUp") { highlight(active - 1); event.preventDefault(); }
      else if (event.key === "Escape") { close(); event.preventDefault(); }
      else if (event.key === "Enter" && active >= 0) { choose(options()[active]); event.preventDefault(); }
    });
    // mousedown, not click: it comes before the input's blur, which closes the list.
    list.addEventListener("mousedown", function (event) {
      var option = event.target.closest('[role="option"]');
      if (option) { event.preventDefault(); choose(option); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
  });
})();
