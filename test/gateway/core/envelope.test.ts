import { describe, expect, it } from 'vitest';
import { encodeError, encodeReply, MAX_TYPE_LENGTH, parseEnvelope } from '../../../src/gateway/core/envelope.js';

describe('parseEnvelope', () => {
  it('accepts {type, data, id} with a string or finite number id', () => {
    expect(parseEnvelope('{"type":"echo","data":{"a":1},"id":"r1"}')).toEqual({
      ok: true,
      envelope: { type: 'echo', data: { a: 1 }, id: 'r1' },
    });
    expect(parseEnvelope('{"type":"echo","id":7}')).toEqual({
      ok: true,
      envelope: { type: 'echo', data: undefined, id: 7 },
    });
  });

  it.each([
    ['not json', 'bad_json', undefined],
    ['[1,2]', 'bad_envelope', undefined],
    ['null', 'bad_envelope', undefined],
    ['"text"', 'bad_envelope', undefined],
    ['{"type":"x","id":{"a":1}}', 'bad_envelope', undefined],
    ['{"type":"x","id":true}', 'bad_envelope', undefined],
    ['{"type":"","id":"k"}', 'bad_envelope', 'k'],
    ['{"type":3,"id":5}', 'bad_envelope', 5],
    [`{"type":"${'t'.repeat(MAX_TYPE_LENGTH + 1)}"}`, 'bad_envelope', undefined],
  ])('refuses %s with %s (keeping a valid id for the error reply)', (text, code, id) => {
    const parsed = parseEnvelope(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.code).toBe(code);
      expect(parsed.id).toBe(id);
    }
  });

  it('accepts a type of exactly MAX_TYPE_LENGTH characters', () => {
    expect(parseEnvelope(JSON.stringify({ type: 'a'.repeat(MAX_TYPE_LENGTH) })).ok).toBe(true);
  });

  it('never throws, whatever the text', () => {
    for (const text of [
      '',
      '{',
      '{"type":',
      '\u0000',
      '{"__proto__":{"type":"x"}}',
      '1e999',
      '{"type":"x","id":1e999}',
    ]) {
      expect(() => parseEnvelope(text)).not.toThrow();
    }
    expect(parseEnvelope('{"type":"x","id":1e999}').ok).toBe(false); // Infinity is not a finite id
  });
});

describe('encodeReply / encodeError', () => {
  it('leaves data out of a reply when the handler returned undefined', () => {
    expect(encodeReply('echo', 1, undefined)).toBe('{"type":"echo","id":1}');
    expect(encodeReply('echo', 'a', null)).toBe('{"type":"echo","id":"a","data":null}');
  });

  it('throws when data cannot be JSON (the dispatcher turns that into an error reply)', () => {
    expect(() => encodeReply('x', 1, { n: 1n })).toThrow();
  });

  it('writes the id only when there is one', () => {
    expect(JSON.parse(encodeError(undefined, 'bad_json', 'm'))).toEqual({
      type: 'error',
      error: { code: 'bad_json', message: 'm' },
    });
    expect(JSON.parse(encodeError(4, 'x', 'm'))).toEqual({ type: 'error', id: 4, error: { code: 'x', message: 'm' } });
  });
});
