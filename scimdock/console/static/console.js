// The journal page, live: each new entry from the console's event stream
// (HTML Living Standard §9.2, EventSource) added at the top of the table,
// as the server renders a row (scimdock/console/templates/journal.html).
(function () {
  "use strict";
  var live = document.getElementById("live");
  var rows = document.getElementById("entries");
  if (!live || !rows || !window.EventSource) { return; }
  var entryUrl = live.getAttribute("data-entry");
  var source = new EventSource(live.getAttribute("data-stream"));
  source.addEventListener("open", function () { live.textContent = "Live: following new requests"; });
  source.addEventListener("error", function () { live.textContent = "Live: reconnecting…"; });

  function cell(tr) {
    var td = document.createElement("td");
    tr.appendChild(td);
    return td;
  }

  function badge(td, className, text) {
    var span = document.createElement("span");
    span.className = className;
    span.textContent = text;
    td.appendChild(span);
  }

  source.addEventListener("entry", function (event) {
    var e = JSON.parse(event.data);
    var tr = document.createElement("tr");
    if (e.fault) { tr.className = "faulted"; }
    var link = document.createElement("a");
    link.href = entryUrl + e.seq;
    link.textContent = String(e.seq);
    cell(tr).appendChild(link);
    var request = cell(tr);
    request.textContent = e.method + " " + e.path;
    if (e.query) { badge(request, "query", "?" + e.query); }
    cell(tr).textContent = e.status === null ? "no answer" : String(e.status);
    var fault = cell(tr);
    if (e.fault) { badge(fault, "fault", e.fault); }
    var notes = cell(tr);
    e.notes.forEach(function (rule) { badge(notes, "note", rule); });
    rows.insertBefore(tr, rows.firstChild);
  });
})();
