// The editor's text and the bytes it stands for: the page turns each line break into CR LF
// (or LF), each ␍ or ␊ mark into a bare CR or LF byte, and the rest into UTF-8. These map
// an offset in the text to the byte it stands for and back, so that the caret can pick the
// step that read the byte under it and a step can select its bytes in the editor.

import { CR_MARK, LF_MARK } from "./presets.js";

const CR = CR_MARK.charCodeAt(0);
const LF = LF_MARK.charCodeAt(0);
// Every this many characters, where the text and the bytes are: a look-up then walks at
// most this far, whatever the size of the text.
const STRIDE = 16384;

/** The bytes of the text's character at `k`, and how many characters it takes. */
function width(text, k, crlf) {
  const c = text.charCodeAt(k);
  if (c === 10) return [crlf ? 2 : 1, 1];
  if (c < 0x80 || c === CR || c === LF) return [1, 1];
  if (c < 0x800) return [2, 1];
  if (c >= 0xd800 && c < 0xdc00 && k + 1 < text.length) {
    const d = text.charCodeAt(k + 1);
    if (d >= 0xdc00 && d < 0xe000) return [4, 2];
  }
  return [3, 1];
}

let cache = { text: null, crlf: null, marks: [] };

const enc = new TextEncoder();
const scratch = new Uint8Array(STRIDE * 3 + 4);

/** How often `ch` occurs in `s`. */
function count(s, ch) {
  let n = 0;
  for (let i = s.indexOf(ch); i !== -1; i = s.indexOf(ch, i + 1)) n++;
  return n;
}

/** Checkpoints [character, byte] every STRIDE characters of `text`, counted a chunk at a
 * time by the browser's own UTF-8 encoder (a 5 MiB paste costs a few milliseconds). */
function marks(text, crlf) {
  if (cache.text === text && cache.crlf === crlf) return cache.marks;
  const out = [[0, 0]];
  let b = 0;
  for (let k = 0; k < text.length;) {
    let end = Math.min(text.length, k + STRIDE);
    // Never between the two halves of a surrogate pair.
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last < 0xdc00) end++;
    const chunk = text.slice(k, end);
    // A line break is CR LF or LF; each mark (3 bytes of UTF-8) stands for one byte.
    b += enc.encodeInto(chunk, scratch).written + (crlf ? count(chunk, "\n") : 0) -
      2 * (count(chunk, CR_MARK) + count(chunk, LF_MARK));
    k = end;
    out.push([k, b]);
  }
  cache = { text, crlf, marks: out };
  return out;
}

/** The last checkpoint whose `which` (0: character, 1: byte) is at most `v`. */
function before(list, which, v) {
  let lo = 0;
  let hi = list.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (list[mid][which] <= v) lo = mid;
    else hi = mid - 1;
  }
  return list[lo];
}

/** The offset of the first byte that the text's character at `i` stands for. */
export function textToByte(text, i, crlf) {
  let [k, b] = before(marks(text, crlf), 0, i);
  while (k < i && k < text.length) {
    const [n, w] = width(text, k, crlf);
    b += n;
    k += w;
  }
  return b;
}

/** The character offset in the text where byte `target` is; with `ceil`, a byte inside a
 * character (the LF of a CR LF) gives the offset after that character, else before it. */
export function byteToText(text, target, crlf, ceil = false) {
  let [k, b] = before(marks(text, crlf), 1, target);
  while (k < text.length && b < target) {
    const [n, w] = width(text, k, crlf);
    if (b + n > target) return ceil ? k + w : k;
    b += n;
    k += w;
  }
  return k;
}
