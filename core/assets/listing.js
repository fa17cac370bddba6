// The listing page of simplehttp: local times, the filter box, and under a writable root
// uploads (PUT) and deletes (DELETE). Served from /.simplehttp/listing.js: the page's
// Content-Security-Policy allows no inline script. The page works without it.
"use strict";
(() => {
  const table = document.getElementById("listing");
  if (!table) return;
  const writable = table.hasAttribute("data-writable");
  const filter = document.getElementById("filter");

  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };

  const localTime = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
  });

  // The page shows UTC; show the reader's time, UTC on hover.
  function localize(root) {
    for (const t of root.querySelectorAll("time[datetime]")) {
      const d = new Date(t.dateTime);
      if (Number.isNaN(d.getTime())) continue;
      t.title = t.dateTime.replace("T", " ").replace("Z", " UTC");
      t.textContent = localTime.format(d);
    }
  }

  const rows = () => [...table.tBodies[0].rows].filter((r) => !r.classList.contains("up"));

  function applyFilter() {
    const q = filter.value.trim().toLowerCase();
    for (const row of rows()) {
      const name = row.cells[0].textContent.toLowerCase();
      row.hidden = q !== "" && !name.includes(q);
    }
  }

  // A file's URL, from its link (which the server percent-encoded).
  const urlOf = (row) => new URL(row.cells[0].querySelector("a").getAttribute("href"), location.href);

  const results = document.getElementById("results");

  function report(name) {
    const li = el("li");
    const progress = el("progress");
    progress.max = 1;
    progress.value = 0;
    li.append(el("span", "name", name), progress, el("span", "status", "waiting"));
    results.append(li);
    return {
      progress: (v) => { progress.value = v; },
      done: (ok, text) => {
        progress.value = 1;
        li.className = ok ? "ok" : "err";
        li.querySelector(".status").textContent = text;
      },
    };
  }

  function deleteButtons() {
    if (!writable) return;
    const head = table.tHead.rows[0];
    if (head.cells.length === 3) head.append(el("th", "actions"));
    for (const row of table.tBodies[0].rows) {
      if (row.cells.length > 3) continue;
      const cell = el("td", "actions");
      const href = row.cells[0].querySelector("a")?.getAttribute("href") ?? "";
      if (!row.classList.contains("up") && !href.endsWith("/")) {
        const name = row.cells[0].textContent;
        const button = el("button", "delete", "Delete");
        button.type = "button";
        button.setAttribute("aria-label", `Delete ${name}`);
        button.addEventListener("click", () => remove(row, name));
        cell.append(button);
      }
      row.append(cell);
    }
  }

  async function remove(row, name) {
    if (!window.confirm(`Delete ${name}?`)) return;
    const r = report(`Delete ${name}`);
    try {
      const res = await fetch(urlOf(row), { method: "DELETE" });
      r.done(res.ok, `${res.status} ${res.statusText}`);
    } catch (e) {
      r.done(false, `failed: ${e.message}`);
    }
    await refresh();
  }

  function put(file) {
    const r = report(file.name);
    return new Promise((done) => {
      const xhr = new XMLHttpRequest();
      xhr.open("PUT", new URL(encodeURIComponent(file.name), location.href));
      xhr.upload.addEventListener("progress", (e) => {
        if (e.lengthComputable && e.total > 0) r.progress(e.loaded / e.total);
      });
      xhr.addEventListener("load", () => {
        r.done(xhr.status >= 200 && xhr.status < 300, `${xhr.status} ${xhr.statusText}`);
        done();
      });
      xhr.addEventListener("error", () => { r.done(false, "failed: network error"); done(); });
      xhr.addEventListener("abort", () => { r.done(false, "aborted"); done(); });
      xhr.send(file);
    });
  }

  async function upload(files) {
    for (const file of files) await put(file);
    await refresh();
  }

  // The page again, as the server renders it: its rows and summary replace these.
  async function refresh() {
    try {
      const res = await fetch(location.href, { headers: { Accept: "text/html" }, cache: "no-store" });
      if (!res.ok) return;
      const doc = new DOMParser().parseFromString(await res.text(), "text/html");
      const body = doc.querySelector("#listing tbody");
      const summary = doc.getElementById("summary");
      if (body) table.tBodies[0].replaceWith(document.adoptNode(body));
      if (summary) document.getElementById("summary").replaceWith(document.adoptNode(summary));
      localize(document);
      deleteButtons();
      applyFilter();
      table.dispatchEvent(new Event("refreshed"));
    } catch {
      // The list stays as it was; each result above says what happened.
    }
  }

  localize(document);
  filter.hidden = false;
  filter.addEventListener("input", applyFilter);

  const area = document.getElementById("upload");
  if (writable && area) {
    area.hidden = false;
    const input = document.getElementById("files");
    input.addEventListener("change", () => {
      const files = [...input.files];
      input.value = "";
      upload(files);
    });
    const drop = document.getElementById("drop");
    drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
    drop.addEventListener("dragleave", () => drop.classList.remove("over"));
    drop.addEventListener("drop", (e) => {
      e.preventDefault();
      drop.classList.remove("over");
      upload([...e.dataTransfer.files]);
    });
    deleteButtons();
  }
  document.documentElement.dataset.ready = "true";
})();
