// Expert info: the findings of simplehttp-core's lint module (accepted but suspicious
// input, and what a response says well or could say better), listed with their level,
// name, explanation and RFC section. The findings themselves come from the core.

// Each level has a mark and a word, so that it is not told by colour alone.
export const LEVELS = {
  warning: { mark: "\u26A0", word: "warning" },
  note: { mark: "\u2139", word: "note" },
  good: { mark: "\u2713", word: "good" },
};

const ORDER = { warning: 0, note: 1, good: 2 };

/** The core's text as a sentence: a capital first letter and a full stop. */
export function sentence(text) {
  const t = String(text ?? "").trim();
  if (!t) return "";
  return t[0].toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? "" : ".");
}

/** Warnings first, then notes, then what is done well; in byte order within a level. */
export function sorted(findings) {
  return [...findings].sort((a, b) => (ORDER[a.level] ?? 3) - (ORDER[b.level] ?? 3) || a.at[0] - b.at[0]);
}

/**
 * A list of findings. `h` gives the page's helpers (`el`, `rfcLinks`); with `show`, each
 * finding gets a button that calls `show(finding)` to select its bytes, named by `where`
 * (finding → "bytes 10–24").
 */
export function findingList(findings, h, { show = null, where = null, className = "" } = {}) {
  const { el, rfcLinks } = h;
  const items = sorted(findings).map((f) => {
    const lv = LEVELS[f.level] ?? { mark: "?", word: f.level };
    const marker = el("span", { className: "lv" }, el("span", { className: "lv-mark", textContent: lv.mark }), ` ${lv.word}`);
    const li = el("li", { className: `finding lv-${f.level}` },
      marker, " ",
      el("code", { className: "lint-name", textContent: f.name }), " ",
      el("span", { className: "lint-text", textContent: sentence(f.text) }), " ",
      el("span", { className: "lint-rfc" }, rfcLinks(f.rfc)));
    li.dataset.name = f.name;
    li.dataset.level = f.level;
    if (show) {
      const b = el("button", { type: "button", className: "mark-btn lint-show", textContent: where ? `select ${where(f)}` : "select its bytes" });
      b.setAttribute("aria-label", `Select the bytes of ${f.name}${where ? `, ${where(f)}` : ""}`);
      b.addEventListener("click", () => show(f));
      li.append(" ", b);
    }
    return li;
  });
  const ul = el("ul", { className: `findings ${className}`.trim() }, ...items);
  return ul;
}

/** A one-line count: "2 warnings, 1 note, 3 good". */
export function summary(findings) {
  const n = { warning: 0, note: 0, good: 0 };
  for (const f of findings) if (f.level in n) n[f.level]++;
  const parts = [];
  if (n.warning) parts.push(`${n.warning} warning${n.warning === 1 ? "" : "s"}`);
  if (n.note) parts.push(`${n.note} note${n.note === 1 ? "" : "s"}`);
  if (n.good) parts.push(`${n.good} good`);
  return parts.join(", ");
}

/**
 * Draws the expert panel for the message of the selected step: every finding of every step
 * of that message. `steps` are the page's steps, `message` the message's index, `role`
 * "request" or "response"; `show(f)` selects a finding's bytes.
 */
export function renderExpert(box, steps, message, role, h, show) {
  const { el } = h;
  const seen = new Set();
  const findings = [];
  for (const s of steps) {
    if (s.kind === "part" || s.message !== message) continue;
    for (const l of s.lints ?? []) {
      const key = `${l.name} ${l.at[0]} ${l.at[1]}`;
      if (seen.has(key)) continue;
      seen.add(key);
      findings.push(l);
    }
  }
  const what = `${role} ${message + 1}`;
  const heading = el("p", { className: "expert-about" },
    `${what[0].toUpperCase()}${what.slice(1)}: ${findings.length ? `${summary(findings)}.` : "nothing to point out."}`);
  box.replaceChildren(heading);
  if (findings.length) {
    box.append(findingList(findings, h, { show, where: (f) => `bytes ${f.at[0]}–${f.at[1]}` }));
  }
  return findings;
}
