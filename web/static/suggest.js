// Suggestions for the search box: fills its <datalist> from /search/suggest as the user types.
(function () {
  "use strict";
  document.querySelectorAll("input[data-suggest]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    var timer = null, last = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var text = input.value.trim();
        if (!text || text === last) { return; }
        last = text;
        fetch(input.dataset.suggest + "?q=" + encodeURIComponent(text), {headers: {"Accept": "application/json"}})
          .then(function (response) { return response.ok ? response.json() : []; })
          .then(function (items) {
            list.replaceChildren.apply(list, items.map(function (item) {
              var option = document.createElement("option");
              option.value = item.text;
              return option;
            }));
          })
          .catch(function () { /* suggestions are a nicety: the search works without them */ });
      }, 150);
    });
  });
})();
