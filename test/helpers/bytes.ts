// Reference byte helpers shared by tests and fuzz properties; independent of src/.

/** `length` pseudo-random bytes from a linear congruential generator: the same seed gives the same bytes. */
export function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const fatal = new TextDecoder('utf-8', { fatal: true });

/** The platform's verdict on `bytes` as complete UTF-8 (`TextDecoder` with `fatal: true`), the reference oracle. */
export function decoderAccepts(bytes: Uint8Array): boolean {
  try {
    fatal.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Bytes from hex digits, whitespace ignored (`hex('81 05 48 65')`); anything else is a mistake in the test. */
export function hex(text: string): Uint8Array {
  const digits = text.replace(/\s+/g, '');
  if (!/^(?:[0-9a-f]{2})*$/i.test(digits)) throw new Error(`not hex bytes: ${text}`);
  return Uint8Array.from(Buffer.from(digits, 'hex'));
}
