// The listing page of simplehttp: local times, the filter box, and under a writable root
// uploads (PUT, of files picked or files and folders dropped on the page) and deletes
// (DELETE, after a confirmation dialog). Served from /.simplehttp/listing.js: the page's
// Content-Security-Policy allows no inline script. The page works without it.
"use strict";
(() => {
  const table = document.getElementById("listing");
  if (!table) return;
  const writable = table.hasAttribute("data-writable");
  // Unless the server takes them (--hidden), names starting with "." are answered 404:
  // such a file or folder is left out, said once, rather than sent.
  const takesDotNames = table.hasAttribute("data-hidden");
  const dotted = (path) => !takesDotNames && path.split("/").some((s) => s.startsWith("."));
  const LEFT_OUT = "left out: the server takes no names starting with a dot";
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

  // How many names the filter lets through, told to screen readers as it changes.
  const matches = el("p", "vh");
  matches.id = "matches";
  matches.setAttribute("aria-live", "polite");
  filter.after(matches);

  function applyFilter() {
    const q = filter.value.trim().toLowerCase();
    let shown = 0;
    const all = rows();
    for (const row of all) {
      const name = row.cells[0].textContent.toLowerCase();
      row.hidden = q !== "" && !name.includes(q);
      if (!row.hidden) shown += 1;
    }
    const text = q === "" ? "" : `${shown} of ${all.length} name${all.length === 1 ? "" : "s"} match`;
    if (matches.textContent !== text) matches.textContent = text;
  }

  // A file's URL, from its link (which the server percent-encoded).
  const urlOf = (row) => new URL(row.cells[0].querySelector("a").getAttribute("href"), location.href);

  const results = document.getElementById("results");

  function report(name) {
    const li = el("li");
    const progress = el("progress");
    progress.max = 1;
    progress.value = 0;
    progress.setAttribute("aria-label", name);
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
    if (head.cells.length === 3) {
      const th = el("th", "actions");
      th.append(el("span", "vh", "Actions"));
      head.append(th);
    }
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

  // The confirmation: a modal dialog whose Cancel has the focus, so Enter or Escape keeps
  // the file and only a deliberate Tab to Delete removes it.
  let dialog;
  function confirmDelete(name) {
    if (!dialog) {
      dialog = el("dialog", "confirm");
      dialog.id = "confirm";
      const text = el("p");
      text.id = "confirm-text";
      dialog.setAttribute("aria-labelledby", text.id);
      const cancel = el("button", "cancel", "Cancel");
      const yes = el("button", "delete", "Delete");
      cancel.type = yes.type = "button";
      cancel.addEventListener("click", () => dialog.close("cancel"));
      yes.addEventListener("click", () => dialog.close("delete"));
      const buttons = el("div", "buttons");
      buttons.append(cancel, yes);
      dialog.append(text, buttons);
      document.body.append(dialog);
    }
    dialog.querySelector("p").textContent = `Delete ${name}?`;
    dialog.querySelector("button.delete").setAttribute("aria-label", `Delete ${name}`);
    dialog.returnValue = "";
    return new Promise((answer) => {
      dialog.addEventListener("close", () => answer(dialog.returnValue === "delete"), { once: true });
      dialog.showModal();
      dialog.querySelector("button.cancel").focus();
    });
  }

  async function remove(row, name) {
    if (!(await confirmDelete(name))) return;
    // Where the focus goes once the row is gone: the row now in its place.
    const at = rows().filter((r) => !r.hidden).indexOf(row);
    const r = report(`Delete ${name}`);
    try {
      const res = await fetch(urlOf(row), { method: "DELETE" });
      r.done(res.ok, `${res.status} ${res.statusText}`);
    } catch (e) {
      r.done(false, `failed: ${e.message}`);
    }
    await refresh();
    const shown = rows().filter((r) => !r.hidden);
    const next = shown[Math.min(at, shown.length - 1)];
    (next?.querySelector("a") ?? filter).focus();
  }

  // A path below this folder as a relative URL, each segment percent-encoded.
  const relative = (path) => path.split("/").map(encodeURIComponent).join("/");

  function put(file, path) {
    const r = report(path);
    return new Promise((done) => {
      const xhr = new XMLHttpRequest();
      xhr.open("PUT", new URL(relative(path), location.href));
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

  // `items`: [{ file, path }] or [{ error, path }], path relative to this folder.
  async function upload(items) {
    for (const item of items) {
      if (dotted(item.path)) report(item.path).done(false, LEFT_OUT);
      else if (item.file) await put(item.file, item.path);
      else report(item.path).done(false, `failed: ${item.error}`);
    }
    await refresh();
  }

  // A dropped folder, walked: its files (names sorted) with their paths. An empty folder
  // has nothing to send; a dot-folder the server would refuse is not walked.
  async function walk(entry, prefix, out) {
    const path = prefix + entry.name;
    try {
      if (dotted(entry.name)) {
        out.push({ path: entry.isDirectory ? `${path}/` : path });
      } else if (entry.isFile) {
        out.push({ file: await new Promise((ok, no) => entry.file(ok, no)), path });
      } else if (entry.isDirectory) {
        const reader = entry.createReader();
        const children = [];
        for (;;) {
          const batch = await new Promise((ok, no) => reader.readEntries(ok, no));
          if (batch.length === 0) break;
          children.push(...batch);
        }
        children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        for (const child of children) await walk(child, `${path}/`, out);
      }
    } catch (e) {
      out.push({ error: e.message || e.name, path });
    }
  }

  // What was dropped: files, and folders where the browser gives their entries. The entries
  // must be taken before the drop event returns; they are read afterwards.
  function dropped(dt) {
    const items = [...(dt.items ?? [])].filter((i) => i.kind === "file");
    const entries = items.map((i) => (i.webkitGetAsEntry ? i.webkitGetAsEntry() : null));
    const files = items.length ? items.map((i) => i.getAsFile()) : [...dt.files];
    return (async () => {
      const out = [];
      for (let k = 0; k < files.length; k++) {
        if (entries[k]) await walk(entries[k], "", out);
        else if (files[k]) out.push({ file: files[k], path: files[k].name });
      }
      return out;
    })();
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
      const files = [...input.files].map((file) => ({ file, path: file.name }));
      input.value = "";
      upload(files);
    });
    // Files may be dropped anywhere on the page (rather than opened by the browser in its
    // place); the drop area shows that they will be taken.
    const drop = document.getElementById("drop");
    const carriesFiles = (e) => [...(e.dataTransfer?.types ?? [])].includes("Files");
    let depth = 0;
    const over = (on) => drop.classList.toggle("over", on);
    document.addEventListener("dragenter", (e) => {
      if (!carriesFiles(e)) return;
      e.preventDefault();
      depth += 1;
      over(true);
    });
    document.addEventListener("dragover", (e) => {
      if (!carriesFiles(e)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = "copy";
    });
    document.addEventListener("dragleave", (e) => {
      if (!carriesFiles(e)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) over(false);
    });
    document.addEventListener("drop", (e) => {
      if (!carriesFiles(e)) return;
      e.preventDefault();
      depth = 0;
      over(false);
      dropped(e.dataTransfer).then(upload);
    });
    deleteButtons();
  }
  document.documentElement.dataset.ready = "true";
})();
