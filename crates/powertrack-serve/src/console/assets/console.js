// The powertrack console's refresh: every 5 s, read the page's JSON twins (the map in
// <body data-refresh>) and put their values into the elements bound to them:
//   data-bind="SOURCE:a.b.c"   the element's text is that value;
//   data-rows="SOURCE:path" data-cols="k1,k2,…"   the element's rows are rebuilt, one per
//   array entry (a <tr> of <td>s, or an <li> of <span>s).
// A path step "?label" picks the array entry whose label is the page's. Text only: nothing
// read is ever parsed as HTML.
"use strict";
(function () {
  const body = document.body;
  let sources;
  try { sources = JSON.parse(body.dataset.refresh || "{}"); } catch (e) { return; }
  const label = sources.label;
  delete sources.label;

  function get(value, path) {
    for (const step of path.split(".")) {
      if (value == null) return undefined;
      if (step === "?label" && Array.isArray(value)) value = value.find((x) => x.label === label);
      else value = value[step];
    }
    return value;
  }

  function shown(v, col) {
    if (v === null || v === undefined) return col === "closed" ? "open" : "—";
    return String(v);
  }

  function rows(el, list) {
    const cols = (el.dataset.cols || "").split(",");
    const isList = el.tagName === "UL" || el.tagName === "OL";
    const out = [];
    if (!Array.isArray(list) || list.length === 0) {
      const empty = document.createElement(isList ? "li" : "tr");
      empty.className = "empty";
      if (isList) empty.textContent = el.dataset.empty || "";
      else {
        const td = document.createElement("td");
        td.colSpan = cols.length;
        td.textContent = el.dataset.empty || "";
        empty.appendChild(td);
      }
      out.push(empty);
    } else {
      for (const item of list) {
        const row = document.createElement(isList ? "li" : "tr");
        if (item.deleted) row.className = "deleted";
        cols.forEach((col, i) => {
          const cell = document.createElement(isList ? (i === 0 ? "time" : "span") : "td");
          const text = shown(item[col], col);
          if (!isList && el.dataset.link === col) {
            const a = document.createElement("a");
            a.href = "streams/" + encodeURIComponent(text) + "/";
            a.textContent = text;
            cell.appendChild(a);
          } else if (!isList && col === "value") {
            cell.className = "value";
            const code = document.createElement("code");
            code.textContent = text;
            cell.appendChild(code);
          } else cell.textContent = text;
          if (typeof item[col] === "number") cell.className = "num";
          row.appendChild(cell);
          if (isList && i === 0) row.appendChild(document.createTextNode(" "));
        });
        out.push(row);
      }
    }
    el.replaceChildren(...out);
  }

  async function refresh() {
    const data = {};
    await Promise.all(Object.entries(sources).map(async ([name, url]) => {
      try {
        // Resolved without the page URL's user info, if it has any: fetch refuses a URL with
        // credentials in it (the session cookie authorises these requests).
        const target = new URL(url, location.origin + location.pathname);
        const r = await fetch(target, { headers: { Accept: "application/json" }, credentials: "same-origin" });
        if (r.ok) data[name] = await r.json();
      } catch (e) { /* offline for a moment: keep what is shown */ }
    }));
    for (const el of document.querySelectorAll("[data-bind]")) {
      const [src, path] = el.dataset.bind.split(":");
      if (!(src in data)) continue;
      const v = get(data[src], path);
      if (v !== undefined) el.textContent = shown(v, "");
    }
    for (const el of document.querySelectorAll("[data-rows]")) {
      const [src, path] = el.dataset.rows.split(":");
      if (src in data) rows(el, get(data[src], path));
    }
    const stamp = document.querySelector("[data-updated]");
    if (stamp && Object.keys(data).length) stamp.textContent = new Date().toISOString().slice(11, 19) + " UTC";
    body.dataset.refreshed = String(Number(body.dataset.refreshed || 0) + 1);
  }

  refresh();
  setInterval(refresh, 5000);
})();
