// The framing decision as a checklist: RFC 9112 §6.3's message-length rules in order, the
// one that decided the message at hand highlighted, the ones before it "did not apply" and
// the ones after it not consulted. The rules and the decision come from the core
// (messageLengthRules(), and the framingRule of a head or of a framing error): this file
// only lays them out.

const SIDE = { request: "requests", response: "responses" };

/** What decided the message of the selected step: `{ head }`, `{ error }` or `{}` while
 * the head has not arrived. A head part stands for its head; of a response's heads (1xx
 * first), the latest one at or before the selected step counts. */
export function decisionFor(steps, current) {
  if (!steps.length) return { message: 0 };
  const at = Math.max(0, Math.min(current, steps.length - 1));
  const message = steps[at].message ?? 0;
  const mine = steps.map((s, i) => ({ s, i })).filter(({ s }) => (s.message ?? 0) === message);
  const error = mine.find(({ s }) => s.kind === "error");
  if (error && error.i <= at) return { message, error: error.s };
  const heads = mine.filter(({ s }) => s.kind === "head");
  const upTo = heads.filter(({ i }) => i <= at);
  const chosen = (upTo.length ? upTo[upTo.length - 1] : heads[0])?.s;
  if (chosen) return { message, head: chosen };
  if (error) return { message, error: error.s };
  return { message };
}

/** Draws the checklist into `box`. `rules` is messageLengthRules() from the core; `el` and
 * `rfcLinks` are the page's helpers (make an element, link an RFC section). */
export function renderChecklist(box, { steps, current, rules, responseMode, el, rfcLinks }) {
  const side = responseMode ? "response" : "request";
  const { message, head, error } = decisionFor(steps, current);
  const decided = head ? head.framingRule : error ? error.framingRule ?? null : null;
  box.replaceChildren();
  box.dataset.decided = decided ?? "";
  box.dataset.side = side;

  const whose = `${side === "request" ? "Request" : "Response"} ${message + 1}`;
  let summary;
  if (head) {
    const len = head.length !== null && head.length !== undefined ? ` (${head.length} bytes)` : "";
    summary = el("p", { className: "cl-summary" }, `${whose}${head.interim ? ` (interim ${head.status})` : ""}: rule ${decided} decided — body `,
      el("strong", { textContent: `${head.framing}${len}` }), `: ${head.framingWhy}. `,
      el("code", { textContent: head.framingRuleName ?? "" }));
  } else if (error && decided) {
    summary = el("p", { className: "cl-summary" }, `${whose}: rule ${decided} refused it — `,
      el("code", { textContent: error.code }), ` → ${error.status}: ${error.error}. `, rfcLinks(error.rfc));
  } else if (error) {
    summary = el("p", { className: "cl-summary" }, `${whose}: refused before the message-length rules were reached — `,
      el("code", { textContent: error.code }), ` → ${error.status}: ${error.error}. `, rfcLinks(error.rfc));
  } else {
    summary = el("p", { className: "cl-summary muted", textContent: `${whose}: the head has not arrived whole yet, so no rule has been tried.` });
  }
  box.append(summary);

  const list = el("ol", { className: "checklist" });
  for (const r of rules) {
    const forSide = r.applies === "both" || r.applies === SIDE[side];
    let state;
    let mark;
    let note;
    if (decided === null) {
      state = "not-reached";
      mark = "·";
      note = error ? "not reached" : "not tried yet";
    } else if (r.number === decided) {
      state = head ? "decided" : "refused";
      mark = head ? "✓" : "✗";
      note = head ? "decided" : "refused the message";
    } else if (r.number < decided) {
      state = "skipped";
      mark = "–";
      note = forSide ? "did not apply" : `did not apply (${r.applies} only)`;
    } else {
      state = "later";
      mark = "·";
      note = "not consulted";
    }
    const li = el("li", { className: `rule s-${state}${forSide ? "" : " other-side"}` },
      el("span", { className: "mark", textContent: mark, ariaHidden: "true" }),
      el("span", { className: "rule-n", textContent: `${r.number}.` }),
      el("span", { className: "rule-text", textContent: `${r.text.charAt(0).toUpperCase()}${r.text.slice(1)}.` }),
      el("span", { className: "rule-state", textContent: note }));
    li.dataset.rule = r.number;
    li.dataset.state = state;
    if (state === "decided" || state === "refused") li.setAttribute("aria-current", "true");
    list.append(li);
  }
  box.append(list, el("p", { className: "muted" }, "The rules of ", rfcLinks("RFC 9112 §6.3"),
    ", tried in order; the first that applies decides. From the core's own list."));
}
