/*
 * JSON nesting depth, measured on the text before it is parsed. `JSON.parse` itself copes with deep input, but what
 * comes after it recurses: `JSON.stringify` of a 200,000-deep `message` overflowed the stack (a 500 with a stack
 * trace), and so would a structured clone, an IPC message or a user's recursive walk. One pass over the characters,
 * no recursion and no allocation, so measuring can't overflow either.
 */

const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \
const OPEN_ARRAY = 0x5b; // [
const OPEN_OBJECT = 0x7b; // {
const CLOSE_ARRAY = 0x5d; // ]
const CLOSE_OBJECT = 0x7d; // }

/**
 * True when `text` (meant to be JSON) nests arrays/objects more than `maxDepth` levels deep. Brackets inside strings
 * don't count. Malformed text is measured as well as it can be; `JSON.parse` still judges its syntax.
 */
export function jsonDepthExceeds(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH)
        i++; // the escaped character can't end the string
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    }
  }
  return false;
}
