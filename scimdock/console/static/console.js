// The journal page, live: each new entry from the console's event stream
// (HTML Living Standard §9.2, EventSource) added at the top of the table.
(function () {
  "use strict";
  var live = document.getElementById("live");
  var rows = document.getElementById("entries");
  if (!live || !rows || !window.EventSource) { return; }
  var source = new EventSource(live.getAttribute("data-stream"));
  source.addEventListener("open", function () { live.textContent = "Live: following new requests"; });
  source.addEventListener("error", function () { live.textContent = "Live: reconnecting…"; });
  source.addEventListener("entry", function (event) {
    var e = JSON.parse(event.data);
    var tr = document.createElement("tr");
    [String(e.seq), e.method + " " + e.path, String(e.status)].forEach(function (text) {
      var td = document.createElement("td");
      td.textContent = text;
      tr.appendChild(td);
    });
    var notes = document.createElement("td");
    e.notes.forEach(function (rule) {
      var span = document.createElement("span");
      span.className = "note";
      span.textContent = rule;
      notes.appendChild(span);
    });
    tr.appendChild(notes);
    rows.insertBefore(tr, rows.firstChild);
  });
})();
