/* The resource form: conditional fields, format types filtered by class, and the editable tables
   (add, remove, reorder, paste rows from Excel). Everything also works without this script. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var form = document.getElementById("resource-form");
  if (!form) { return; }

  function control(name) { return form.querySelector('[name="' + name + '"]'); }

  // -- conditional fields: hidden and disabled (not posted) when they do not apply
  var dependents = form.querySelectorAll("[data-depends]");
  function applyConditions() {
    dependents.forEach(function (wrapper) {
      var source = control(wrapper.dataset.depends);
      if (!source) { return; }
      var hit = wrapper.dataset.values.split(",").indexOf(source.value) !== -1;
      var show = wrapper.dataset.negate === "true" ? !hit : hit;
      wrapper.hidden = !show;
      wrapper.querySelectorAll("input, select, textarea").forEach(function (el) { el.disabled = !show; });
    });
  }

  // -- a select whose options depend on another (format type by format class)
  var filtered = form.querySelectorAll("select[data-filter-by]");
  function applyFilters() {
    filtered.forEach(function (select) {
      var source = control(select.dataset.filterBy);
      var group = source ? source.value : "";
      Array.prototype.forEach.call(select.options, function (option) {
        var visible = !group || !option.dataset.group || option.dataset.group === group;
        option.hidden = !visible;
        option.disabled = !visible;
        if (!visible && option.selected) { select.value = ""; }
      });
    });
  }
  form.addEventListener("change", function () { applyConditions(); applyFilters(); });
  applyConditions();
  applyFilters();

  // -- tables
  function renumber(tbody) {
    var table = tbody.closest("[data-table]").dataset.table;
    Array.prototype.forEach.call(tbody.rows, function (row, index) {
      row.querySelector(".row-number").textContent = index + 1;
      row.querySelectorAll("[name]").forEach(function (el) {
        var name = el.name.replace(new RegExp("^" + table + "-\\d+-"), table + "-" + index + "-");
        var id = "f-" + name.replace(/\./g, "-");
        var label = row.querySelector('label[for="' + el.id + '"]');
        if (label) { label.htmlFor = id; label.textContent = label.textContent.replace(/ \d+ · /, " " + (index + 1) + " · "); }
        el.name = name;
        el.id = id;
      });
    });
  }
  function blankRow(tbody) {
    var row = tbody.rows[tbody.rows.length - 1].cloneNode(true);
    row.querySelectorAll("input, textarea").forEach(function (el) { el.value = ""; });
    row.querySelectorAll("select").forEach(function (el) { el.selectedIndex = 0; });
    row.querySelectorAll(".is-invalid").forEach(function (el) { el.classList.remove("is-invalid"); });
    row.querySelectorAll(".invalid-feedback").forEach(function (el) { el.remove(); });
    tbody.appendChild(row);
    renumber(tbody);
    return row;
  }
  function isBlank(row) {
    return Array.prototype.every.call(row.querySelectorAll("input, select, textarea"), function (el) { return !el.value; });
  }
  form.addEventListener("click", function (event) {
    var button = event.target.closest("[data-row]");
    if (!button) { return; }
    var what = button.dataset.row;
    if (what === "add") {
      event.preventDefault();
      var tbody = form.querySelector("#table-" + button.dataset.table + " tbody");
      var added = blankRow(tbody);
      added.querySelector("input, select, textarea").focus();
      return;
    }
    var row = button.closest("tr");
    var body = row.parentNode;
    if (what === "up" && row.previousElementSibling) {
      body.insertBefore(row, row.previousElementSibling);
    } else if (what === "down" && row.nextElementSibling) {
      body.insertBefore(row.nextElementSibling, row);
    } else if (what === "remove") {
      if (body.rows.length === 1) { blankRow(body); }
      var next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      renumber(body);
      if (next) { next.querySelector('[data-row="remove"]').focus(); }
      return;
    }
    renumber(body);
    button.focus();
  });

  // -- paste rows from Excel: 名称, 数据类型, 长度, 说明 separated by tabs
  var COLUMNS = ["name", "data_type", "length", "description"];
  var HEADERS = ["名称", "信息项名称", "name", "item name", "字段名", "字段名称"];
  function parse(text) {
    var rows = [];
    text.replace(/\r\n?/g, "\n").split("\n").forEach(function (line) {
      if (!line.trim()) { return; }
      var cells = line.split("\t").map(function (c) { return c.trim(); });
      if (!rows.length && rows.header === undefined && HEADERS.indexOf(cells[0].toLowerCase()) !== -1) { rows.header = true; return; }
      rows.header = false;
      rows.push(cells);
    });
    return rows;
  }
  function setValue(el, value) {
    if (el.tagName === "SELECT") {
      var wanted = value.toLowerCase();
      var match = Array.prototype.find.call(el.options, function (o) {
        var names = (o.dataset.aliases || "").toLowerCase().split("|");
        return o.value === value || o.textContent.trim() === value || names.indexOf(wanted) !== -1;
      });
      if (!match) { match = new Option(value, value); el.add(match); }
      el.value = match.value;
    } else {
      el.value = el.getAttribute("inputmode") === "numeric" ? value.replace(/,/g, "") : value;
    }
  }
  function paste(text) {
    var parsed = parse(text);
    var tbody = form.querySelector("#table-items tbody");
    if (!parsed.length || !tbody) { return false; }
    parsed.forEach(function (cells) {
      var row = Array.prototype.find.call(tbody.rows, isBlank) || blankRow(tbody);
      var index = Array.prototype.indexOf.call(tbody.rows, row);
      COLUMNS.forEach(function (name, i) {
        var el = row.querySelector('[name="items-' + index + "-" + name + '"]');
        if (el && cells[i] !== undefined) { setValue(el, cells[i]); }
      });
    });
    return true;
  }
  var pasteButton = document.getElementById("paste-rows");
  var pasteBox = document.getElementById("items_paste");
  if (pasteButton && pasteBox) {
    pasteButton.addEventListener("click", function (event) {
      event.preventDefault();
      if (paste(pasteBox.value)) { pasteBox.value = ""; }
    });
  }
  var itemsTable = document.getElementById("table-items");
  if (itemsTable) {
    itemsTable.addEventListener("paste", function (event) {
      var text = (event.clipboardData || window.clipboardData).getData("text");
      if (text.indexOf("\t") === -1 && text.indexOf("\n") === -1) { return; }  // one cell: the browser's own paste
      event.preventDefault();
      paste(text);
    });
  }
})();
