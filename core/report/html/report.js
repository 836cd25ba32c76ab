// heapy report: draws the data heapy put in #heapy-data. The layout is d3-hierarchy's partition.
"use strict";

var data = JSON.parse(document.getElementById("heapy-data").textContent);
var total = data.header.retained;
var ROW_HEIGHT = 22, CHART_ROWS = 14;

function $(id) { return document.getElementById(id); }
function el(tag, attrs, text) {
  var e = document.createElement(tag);
  for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
}
function number(n) { return Number(n).toLocaleString("en-US"); }
function bytes(n) {
  var units = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0, v = n;
  while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return (i ? v.toFixed(1) : String(v)) + " " + units[i];
}
function percent(n, of) { return of ? (100 * n / of).toFixed(1) + "%" : ""; }

// A sortable table: columns [{name, type: "num"|"bytes"|"text"|"code", get(row), html(row)}].
function table(container, columns, rows, sortColumn) {
  var t = el("table"), head = el("tr"), body = el("tbody");
  var order = { column: sortColumn, down: true };
  columns.forEach(function (c, i) {
    var th = el("th", {}, c.name);
    th.addEventListener("click", function () {
      order.down = order.column === i ? !order.down : c.type !== "text" && c.type !== "code";
      order.column = i;
      fill();
    });
    head.appendChild(th);
  });
  t.appendChild(el("thead")).appendChild(head);
  t.appendChild(body);
  function cell(c, row) {
    var v = c.get(row);
    var td = el("td", { class: c.type === "text" ? "" : c.type === "code" ? "code" : "num" });
    if (c.html) td.appendChild(c.html(row));
    else if (c.type === "bytes") { td.textContent = number(v); td.title = bytes(v); }
    else if (c.type === "num") td.textContent = typeof v === "number" ? number(v) : v;
    else td.textContent = v;
    if (c.type === "num" || c.type === "bytes") td.dataset.value = v;
    return td;
  }
  function fill() {
    var sorted = rows.slice();
    if (order.column !== undefined) {
      var get = columns[order.column].get, sign = order.down ? -1 : 1;
      sorted.sort(function (a, b) {
        var x = get(a), y = get(b);
        return (x < y ? -1 : x > y ? 1 : 0) * sign;
      });
    }
    Array.prototype.forEach.call(head.children, function (th, i) {
      th.className = i === order.column ? (order.down ? "sorted-down" : "sorted-up") : "";
    });
    var fragment = document.createDocumentFragment();
    sorted.forEach(function (row) {
      var tr = el("tr");
      columns.forEach(function (c) { tr.appendChild(cell(c, row)); });
      fragment.appendChild(tr);
    });
    body.textContent = "";
    body.appendChild(fragment);
  }
  fill();
  var wrap = el("div", { class: "scroll" });
  wrap.appendChild(t);
  container.appendChild(wrap);
  return t;
}

// ---- header ----
function showHeader() {
  var h = data.header, dl = $("summary");
  [["Target", h.target], ["CPython", h.python],
   ["Objects", number(h.objects) + " reachable"],
   ["Total size", number(h.size) + " bytes (" + bytes(h.size) + ")"],
   ["Retained by the root", number(h.retained) + " bytes (" + bytes(h.retained) + ")"],
   ["Threads", h.threads + " in " + h.interpreters + " interpreter" +
    (h.interpreters === 1 ? "" : "s")]].forEach(function (p) {
    dl.appendChild(el("dt", {}, p[0]));
    dl.appendChild(el("dd", {}, p[1]));
  });
  h.notes.forEach(function (n) { $("notes").appendChild(el("li", {}, n)); });
  $("heapy-version").textContent = h.heapy;
}

// ---- the dominator tree ----
var tree = data.tree, boxes = [];
tree.boxes.forEach(function (b, i) {
  boxes.push({ id: i, parent: b[0], kind: b[1] < 0 ? null : tree.kinds[b[1]], relation: b[2],
               count: b[3], size: b[4], retained: b[5], retainedCount: b[6], address: b[7],
               children: [] });
});
// An object its dominator holds through others is named by its path, when top found it.
var pathOf = {};
data.top.forEach(function (r) { pathOf[r.address] = r.path; });
boxes.forEach(function (b) {
  if (!b.relation && b.address && pathOf[b.address]) b.relation = pathOf[b.address];
});
boxes.forEach(function (b) { if (b.parent >= 0) boxes[b.parent].children.push(b); });
function boxName(b) {
  if (b.id === 0) return "root";
  if (b.kind === null) return number(b.count) + " other objects";
  return (b.count === 1 ? "" : number(b.count) + " \u00d7 ") + b.kind;
}
// The value d3 sums is what a box retains beyond its children, so that each box's value is its
// retained size.
var root = d3.hierarchy(boxes[0], function (b) { return b.children; })
  .sum(function (b) {
    var inside = 0;
    b.children.forEach(function (c) { inside += c.retained; });
    return Math.max(0, b.retained - inside);
  })
  .sort(function (a, b) { return b.value - a.value; });
d3.partition()(root); // x0..x1 in [0, 1] by value, y0..y1 by depth
var nodeById = [];
root.each(function (n) { nodeById[n.data.id] = n; });
var focus = root;

function hue(kind) {
  var h = 0;
  for (var i = 0; i < kind.length; i++) h = (h * 31 + kind.charCodeAt(i)) % 360;
  return "hsl(" + h + ", 60%, 78%)";
}

function drawChart() {
  var chart = $("chart"), width = chart.clientWidth || 1000;
  var x0 = focus.x0, scale = width / (focus.x1 - focus.x0 || 1);
  var rows = 0, fragment = document.createDocumentFragment();
  focus.each(function (n) {
    var row = n.depth - focus.depth, left = (n.x0 - x0) * scale, w = (n.x1 - n.x0) * scale;
    if (row >= CHART_ROWS || w < 1) return;
    rows = Math.max(rows, row + 1);
    var b = n.data, div = el("div", { class: "box" + (b.kind === null ? " folded" : "") });
    div.style.left = left + "px";
    div.style.width = w + "px";
    div.style.top = row * ROW_HEIGHT + "px";
    div.style.height = ROW_HEIGHT + "px";
    div.style.background = hue(b.kind || "");
    div.dataset.box = b.id;
    div.dataset.retained = b.retained;
    div.appendChild(document.createTextNode(boxName(b) + " " + bytes(b.retained)));
    if (b.relation) div.appendChild(el("span", { class: "rel" }, " " + b.relation));
    div.title = (b.relation ? b.relation + "\n" : "") + boxName(b) +
      (b.address ? " at " + b.address : "") + "\nretains " +
      number(b.retained) + " bytes (" + percent(b.retained, total) + " of the heap) in " +
      number(b.retainedCount) + " objects\nown size " + number(b.size) + " bytes";
    fragment.appendChild(div);
  });
  chart.textContent = "";
  chart.style.height = rows * ROW_HEIGHT + "px";
  chart.appendChild(fragment);
}

function drawBreadcrumb() {
  var crumbs = $("breadcrumb");
  crumbs.textContent = "";
  focus.ancestors().reverse().forEach(function (n, i, all) {
    if (i) crumbs.appendChild(document.createTextNode(" \u203a "));
    var label = (n.data.relation ? n.data.relation + " " : "") + boxName(n.data);
    if (i === all.length - 1) crumbs.appendChild(el("b", {}, label));
    else {
      var a = el("a", { "data-box": n.data.id }, label);
      a.addEventListener("click", function () { zoom(n); });
      crumbs.appendChild(a);
    }
  });
}

function drawTreeTable() {
  $("focus-name").textContent = boxName(focus.data);
  var container = $("tree-table");
  container.textContent = "";
  var rows = (focus.children || []).map(function (n) { return n; });
  if (!rows.length) {
    container.appendChild(el("p", { class: "hint" }, "Nothing below: the chart shows no smaller box here."));
    return;
  }
  table(container, [
    { name: "Relation", type: "code", get: function (n) { return n.data.relation; } },
    { name: "Kind", type: "text", get: function (n) { return boxName(n.data); },
      html: function (n) {
        var a = el("a", {}, boxName(n.data));
        a.addEventListener("click", function () { zoom(n); });
        return a;
      } },
    { name: "Objects", type: "num", get: function (n) { return n.data.count; } },
    { name: "Size", type: "bytes", get: function (n) { return n.data.size; } },
    { name: "Retained", type: "bytes", get: function (n) { return n.data.retained; } },
    { name: "% of heap", type: "num", get: function (n) { return +(100 * n.data.retained / total).toFixed(2); } },
    { name: "Objects retained", type: "num", get: function (n) { return n.data.retainedCount; } },
  ], rows, 4);
}

function zoom(node) {
  focus = node;
  drawChart();
  drawBreadcrumb();
  drawTreeTable();
  history.replaceState(null, "", "#box=" + node.data.id);
}

$("chart").addEventListener("click", function (e) {
  var div = e.target.closest(".box");
  if (div) zoom(nodeById[+div.dataset.box]);
});
addEventListener("resize", drawChart);

// ---- tables ----
function showTop() {
  table($("top-table"), [
    { name: "Index", type: "num", get: function (r) { return r.index; } },
    { name: "Retained", type: "bytes", get: function (r) { return r.retained; } },
    { name: "%", type: "num", get: function (r) { return +(100 * r.retained / total).toFixed(1); } },
    { name: "Size", type: "bytes", get: function (r) { return r.size; } },
    { name: "Objects", type: "num", get: function (r) { return r.count; } },
    { name: "Address", type: "code", get: function (r) { return r.address; } },
    { name: "Kind", type: "text", get: function (r) { return r.kind; } },
    { name: "Shortest path from the root", type: "code", get: function (r) { return r.path; } },
  ], data.top.map(function (r, i) { r.index = i; return r; }));
}

function partitionTable(container, p, title) {
  container.appendChild(el("h3", {}, title + ": " + number(p.count) + " objects, " +
                           number(p.size) + " bytes"));
  if (!p.rows.length) return;
  if (p.kinds > p.rows.length)
    container.appendChild(el("p", { class: "hint" }, "The " + p.rows.length + " largest of " +
                             number(p.kinds) + " kinds:"));
  var cumulative = 0;
  var rows = p.rows.map(function (r, i) {
    cumulative += r[2];
    return { index: i, kind: r[0], count: r[1], size: r[2], cumulative: cumulative };
  });
  table(container, [
    { name: "Index", type: "num", get: function (r) { return r.index; } },
    { name: "Count", type: "num", get: function (r) { return r.count; } },
    { name: "%", type: "num", get: function (r) { return +(100 * r.count / p.count).toFixed(1); } },
    { name: "Size", type: "bytes", get: function (r) { return r.size; } },
    { name: "%", type: "num", get: function (r) { return +(100 * r.size / p.size).toFixed(1); } },
    { name: "Cumulative", type: "bytes", get: function (r) { return r.cumulative; } },
    { name: p.header, type: "text", get: function (r) { return r.kind; } },
  ], rows);
}

function showPartitions() {
  var c = $("partition-tables");
  partitionTable(c, data.partitions[0], "By class or dict owner (Clodo)");
  partitionTable(c, data.partitions[1], "By type");
}

function showUnreachable() {
  var c = $("unreachable-parts"), u = data.unreachable;
  u.notes.forEach(function (n) { c.appendChild(el("p", { class: "hint" }, n)); });
  partitionTable(c, u.garbage, "Cyclic garbage a collection would free");
  partitionTable(c, u.held, "Held from outside the Python heap (leaked references, C statics)");
}

function showStacks() {
  var c = $("thread-stacks");
  if (!data.stacks.length) c.appendChild(el("p", { class: "hint" }, "No thread state found."));
  data.stacks.forEach(function (t) {
    var div = el("div", { class: "thread" });
    var title = "Thread " + t.thread_id +
      (t.native_thread_id !== undefined ? " (native " + t.native_thread_id + ")" : "") +
      (t.name !== undefined ? " \"" + t.name + "\"" : "") +
      (data.header.interpreters > 1 ? ", interpreter i" + t.interpreter : "") +
      (t.activity !== undefined ? ", " + t.activity : "");
    div.appendChild(el("h3", {}, title));
    if (!t.frames.length && !t.cut) div.appendChild(el("p", { class: "hint" }, "No Python frame: idle or in C."));
    t.frames.forEach(function (f) {
      var frame = el("div", { class: "frame" });
      frame.appendChild(el("div", { class: "code" }, "File \"" + f.file + "\", line " +
        (f.line < 0 ? "?" : f.line) + ", in " + f.function));
      if (f.locals.length) {
        var rows = f.locals.map(function (l) { return { name: l[0], kind: l[1], size: l[2], retained: l[3] }; });
        table(frame, [
          { name: "Local", type: "code", get: function (r) { return r.name; } },
          { name: "Kind", type: "text", get: function (r) { return r.kind; } },
          { name: "Size", type: "bytes", get: function (r) { return r.size; } },
          { name: "Retained", type: "bytes", get: function (r) { return r.retained; } },
        ], rows.slice(0, 5), 3);
        if (rows.length > 5) frame.appendChild(el("div", { class: "hint" }, (rows.length - 5) +
          " more locals retain less (heapy stacks --json lists them all)"));
      }
      div.appendChild(frame);
    });
    if (t.cut) div.appendChild(el("p", { class: "hint" }, "(stopped: " + t.cut + ")"));
    c.appendChild(div);
  });
}

function showDiff() {
  var d = data.diff;
  if (!d) return;
  $("diff").hidden = false;
  $("diff-link").hidden = false;
  var c = $("diff-table");
  c.appendChild(el("p", {}, "Now minus " + d.file + ": " + number(d.count - d.old_count) +
    " objects, " + number(d.size - d.old_size) + " bytes (" + number(d.old_size) + " then, " +
    number(d.size) + " now). Largest changes first."));
  var rows = d.rows.map(function (r, i) { return { index: i, kind: r[0], count: r[1], size: r[2] }; });
  function signed(key) {
    return function (r) {
      var v = r[key];
      return el("span", { class: v > 0 ? "grew" : v < 0 ? "shrank" : "" }, (v > 0 ? "+" : "") + number(v));
    };
  }
  table(c, [
    { name: "Index", type: "num", get: function (r) { return r.index; } },
    { name: "Count", type: "num", get: function (r) { return r.count; }, html: signed("count") },
    { name: "Size", type: "num", get: function (r) { return r.size; }, html: signed("size") },
    { name: d.header, type: "text", get: function (r) { return r.kind; } },
  ], rows);
}

// ---- start ----
showHeader();
var start = /#box=(\d+)/.exec(location.hash);
zoom(start && nodeById[+start[1]] ? nodeById[+start[1]] : root);
showTop();
showPartitions();
showUnreachable();
showStacks();
showDiff();
document.body.dataset.readyMs = Math.round(performance.now());

// For heapy's browser test (?selftest): click the largest box under the root and write down what
// the page shows before and after, for the test to read from the DOM.
if (/[?&]selftest\b/.test(location.search)) {
  var before = document.querySelector('#chart .box[data-box="' + focus.data.id + '"]');
  var result = { errors: null, top: before && { box: +before.dataset.box, retained: +before.dataset.retained,
                                                  text: before.textContent } };
  var target = focus.children && document.querySelector('#chart .box[data-box="' + focus.children[0].data.id + '"]');
  if (target) {
    target.dispatchEvent(new MouseEvent("click", { bubbles: true }));
    var after = $("chart").querySelector(".box");
    result.clicked = +target.dataset.box;
    result.after = { box: +after.dataset.box, retained: +after.dataset.retained, left: after.style.left,
                     width: after.style.width, breadcrumb: $("breadcrumb").textContent };
  }
  // Sort the table under the chart by its Objects column, as a click on its header does.
  var header = document.querySelectorAll("#tree-table th")[2];
  if (header) {
    header.dispatchEvent(new MouseEvent("click", { bubbles: true }));
    result.sortedObjects = Array.prototype.map.call(
      document.querySelectorAll("#tree-table tbody tr td:nth-child(3)"),
      function (td) { return +td.dataset.value; });
  }
  result.readyMs = +document.body.dataset.readyMs;
  result.topRows = data.top.map(function (r) { return [r.address, r.retained]; });
  result.boxes = boxes.length;
  result.errors = window.heapyErrors;
  document.body.appendChild(el("pre", { id: "heapy-selftest" }, JSON.stringify(result)));
}
