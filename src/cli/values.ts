/**
 * The kinds of value an option takes, each read from a string (flag, environment variable) and from a config-file
 * value (JSON or JavaScript: numbers may come as numbers or strings). A reader throws `BadValue` with what it wanted;
 * the caller adds where the value came from (`--port`, `WSGATE_PORT`, `port in wsgate.config.json`).
 */
export class BadValue extends Error {
  override readonly name = 'BadValue';
}

export interface ValueKind<T> {
  /** Placeholder in `--help` (`--port N`); empty for switches. */
  readonly meta: string;
  readonly read: (value: unknown) => T;
  /** Switches: `--raw` / `--no-raw`, no value after them. */
  readonly isSwitch?: boolean;
  /** Repeatable flags (`--origin a --origin b`). */
  readonly repeatable?: boolean;
}

function text(value: unknown, what: string): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') throw new BadValue(`must be ${what}, got ${describe(value)}`);
  return value.trim();
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  return value === null ? 'null' : typeof value === 'object' ? 'an object' : String(value);
}

/** An integer in [min, max], written plainly or with a unit suffix (`units` maps a suffix to a multiplier). */
function integer(
  what: string,
  min: number,
  max: number,
  meta: string,
  units: Readonly<Record<string, number>> = {},
): ValueKind<number> {
  return {
    meta,
    read(value) {
      const s = text(value, what).toLowerCase();
      const match = /^(\d+(?:\.\d+)?)([a-z]*)$/.exec(s);
      const unit = match?.[2] ?? '';
      const scale = unit === '' ? 1 : units[unit];
      const n = match === null || scale === undefined ? NaN : Number(match[1]) * scale;
      if (!Number.isSafeInteger(n) || n < min || n > max) throw new BadValue(`must be ${what}, got ${describe(value)}`);
      return n;
    },
  };
}

export const port = integer('a port number 0-65535', 0, 65535, 'N');

export function count(min: number, max: number, note = ''): ValueKind<number> {
  return integer(`a whole number ${min}-${max}${note}`, min, max, 'N');
}

/** Milliseconds: `15000`, `15s`, `2m`, `500ms`. */
export function duration(min: number, note = ''): ValueKind<number> {
  return integer(`a duration in ms (or with s/m/h) >= ${min}${note}`, min, 2 ** 31 - 1, 'MS', {
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
  });
}

/** Bytes: `1048576`, `64kb`, `1mb` (binary multiples). */
export const bytes = integer('a size in bytes (or with kb/mb) >= 1', 1, Number.MAX_SAFE_INTEGER, 'BYTES', {
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
});

export const boolean: ValueKind<boolean> = {
  meta: '',
  isSwitch: true,
  read(value) {
    if (typeof value === 'boolean') return value;
    const s = text(value, 'true or false').toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(s)) return true;
    if (['0', 'false', 'no', 'off'].includes(s)) return false;
    throw new BadValue(`must be true or false, got ${describe(value)}`);
  },
};

export function string(meta: string, check?: (s: string) => string | null): ValueKind<string> {
  return {
    meta,
    read(value) {
      if (typeof value !== 'string') throw new BadValue(`must be a string, got ${describe(value)}`);
      if (value === '') throw new BadValue('must not be empty');
      const problem = check?.(value) ?? null;
      if (problem !== null) throw new BadValue(`${problem}, got ${describe(value)}`);
      return value;
    },
  };
}

export const urlPath = string('PATH', (s) => (s.startsWith('/') ? null : 'must start with "/"'));

export const redisUrl = string('URL', (s) => (/^rediss?:\/\//.test(s) ? null : 'must be a redis:// or rediss:// URL'));

export function oneOf<const T extends string>(values: readonly T[]): ValueKind<T> {
  return {
    meta: values.join('|'),
    read(value) {
      const s = text(value, `one of ${values.join(', ')}`);
      if (!(values as readonly string[]).includes(s))
        throw new BadValue(`must be one of ${values.join(', ')}, got ${describe(value)}`);
      return s as T;
    },
  };
}

/** Origins: a comma-separated list or a JSON/JS array; `*` anywhere = any origin. */
export const origins: ValueKind<readonly string[] | '*'> = {
  meta: 'ORIGIN',
  repeatable: true,
  read(value) {
    const items = Array.isArray(value) ? value : [value];
    const list: string[] = [];
    for (const item of items) {
      if (typeof item !== 'string') throw new BadValue(`must be origins (strings), got ${describe(item)}`);
      for (const part of item.split(',')) {
        const origin = part.trim();
        if (origin === '') throw new BadValue('must not be empty');
        if (origin !== '*' && !/^[a-z][a-z0-9+.-]*:\/\/[^/\s]+$/i.test(origin))
          throw new BadValue(`must be origins like https://app.example (scheme://host[:port]), got ${describe(part)}`);
        list.push(origin);
      }
    }
    return list.includes('*') ? '*' : list;
  },
};
