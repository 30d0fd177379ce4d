// The small pieces under the gateway's HTTP surface: router, body reader, bearer check, Prometheus formatting.
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createBearerCheck } from '../../../src/gateway/http/auth.js';
import { JsonFields, readBody, readJson } from '../../../src/gateway/http/body.js';
import { formatPrometheus, single } from '../../../src/gateway/http/metrics.js';
import { HttpError, sendError, sendJson } from '../../../src/gateway/http/respond.js';
import { Router } from '../../../src/gateway/http/router.js';

describe('Router', () => {
  const router = new Router<string>()
    .get('/', 'root')
    .get('/status', 'status')
    .post('/api/send', 'send')
    .get('/api/uids/:uid/online', 'online')
    .delete('/api/uids/:uid', 'delete-uid')
    .get('/files/:a/:b', 'two');

  it('matches exact paths by method', () => {
    expect(router.match('GET', '/')).toEqual({ kind: 'found', handler: 'root', params: {} });
    expect(router.match('GET', '/status')).toMatchObject({ kind: 'found', handler: 'status' });
    expect(router.match('POST', '/api/send')).toMatchObject({ kind: 'found', handler: 'send' });
  });

  it('answers HEAD with GET routes', () => {
    expect(router.match('HEAD', '/status')).toMatchObject({ kind: 'found', handler: 'status' });
  });

  it('captures and decodes :param segments', () => {
    expect(router.match('GET', '/api/uids/ada%20l/online')).toEqual({
      kind: 'found',
      handler: 'online',
      params: { uid: 'ada l' },
    });
    expect(router.match('GET', '/files/x/y')).toEqual({ kind: 'found', handler: 'two', params: { a: 'x', b: 'y' } });
  });

  it('does not match empty params, extra segments or a trailing slash', () => {
    expect(router.match('GET', '/api/uids//online')).toEqual({ kind: 'not-found' });
    expect(router.match('GET', '/status/')).toEqual({ kind: 'not-found' });
    expect(router.match('GET', '/status/x')).toEqual({ kind: 'not-found' });
    expect(router.match('GET', '/nope')).toEqual({ kind: 'not-found' });
  });

  it('reports the allowed methods when only the method is wrong', () => {
    expect(router.match('GET', '/api/send')).toEqual({ kind: 'method-not-allowed', allow: ['POST'] });
    expect(router.match('POST', '/status')).toEqual({ kind: 'method-not-allowed', allow: ['GET', 'HEAD'] });
    expect(router.match('PUT', '/api/uids/a')).toEqual({ kind: 'method-not-allowed', allow: ['DELETE'] });
  });

  it('flags bad percent-encoding instead of throwing', () => {
    expect(router.match('GET', '/api/uids/%E0%A4%A/online')).toEqual({ kind: 'bad-path' });
  });

  it('rejects malformed patterns', () => {
    expect(() => new Router<string>().get('status', 'x')).toThrow(TypeError);
    expect(() => new Router<string>().get('/a/:', 'x')).toThrow(TypeError);
  });
});

describe('createBearerCheck', () => {
  const check = createBearerCheck('s3cret-key');
  it('accepts the right key, case-insensitive scheme', () => {
    expect(check('Bearer s3cret-key')).toBe(true);
    expect(check('bearer s3cret-key')).toBe(true);
  });
  it('refuses everything else', () => {
    for (const header of [
      undefined,
      '',
      'Bearer',
      'Bearer ',
      'Bearer s3cret-ke',
      'Bearer s3cret-key2',
      'Basic s3cret-key',
      's3cret-key',
      'Bearer s3cret key',
    ]) {
      expect(check(header)).toBe(false);
    }
  });
  it('refuses an empty key at setup', () => {
    expect(() => createBearerCheck('')).toThrow(TypeError);
  });
});

describe('formatPrometheus', () => {
  it('writes HELP, TYPE and samples', () => {
    const text = formatPrometheus([
      single('wsgate_sockets', 'gauge', 'Open sockets.', 3),
      single('wsgate_messages_in_total', 'counter', 'Messages received.', 12),
      {
        name: 'x_info',
        type: 'gauge',
        help: 'Line\nbreak \\ here',
        samples: [{ value: 1, labels: { version: 'a"b\\c\nd' } }],
      },
      single('x_nan', 'gauge', 'n', NaN),
      single('x_inf', 'gauge', 'n', -Infinity),
    ]);
    expect(text.split('\n')).toEqual([
      '# HELP wsgate_sockets Open sockets.',
      '# TYPE wsgate_sockets gauge',
      'wsgate_sockets 3',
      '# HELP wsgate_messages_in_total Messages received.',
      '# TYPE wsgate_messages_in_total counter',
      'wsgate_messages_in_total 12',
      '# HELP x_info Line\\nbreak \\\\ here',
      '# TYPE x_info gauge',
      'x_info{version="a\\"b\\\\c\\nd"} 1',
      '# HELP x_nan n',
      '# TYPE x_nan gauge',
      'x_nan NaN',
      '# HELP x_inf n',
      '# TYPE x_inf gauge',
      'x_inf -Inf',
      '',
    ]);
  });
  it('refuses invalid names', () => {
    expect(() => formatPrometheus([single('bad-name', 'gauge', 'x', 1)])).toThrow(TypeError);
    expect(() =>
      formatPrometheus([
        { name: 'ok', type: 'gauge', help: 'x', samples: [{ value: 1, labels: { 'bad-label': 'v' } }] },
      ]),
    ).toThrow(TypeError);
  });
});

describe('JsonFields', () => {
  it('requires an object', () => {
    for (const body of [null, 1, 'x', [1], true]) expect(() => JsonFields.from(body)).toThrow(/JSON object/);
  });
  it('names the missing or mistyped field', () => {
    const f = JsonFields.from({ a: 'x', n: 1.5, list: ['a', 2], empty: '' });
    expect(f.string('a')).toBe('x');
    expect(() => f.string('b')).toThrow('missing field "b"');
    expect(() => f.string('n')).toThrow('field "n" must be a non-empty string');
    expect(() => f.string('empty')).toThrow('field "empty" must be a non-empty string');
    expect(f.optionalString('empty')).toBe('');
    expect(f.optionalString('zzz')).toBeUndefined();
    expect(() => f.optionalInteger('n')).toThrow('field "n" must be an integer');
    expect(() => f.optionalStringList('list')).toThrow('field "list" must be a string or an array of strings');
    expect(JsonFields.from({ x: 'one' }).optionalStringList('x')).toEqual(['one']);
    expect(() => f.value('missing')).toThrow(HttpError);
  });
});

describe('readBody / readJson over HTTP', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    server = undefined;
  });

  /** A server that reads the body with a 16-byte limit and answers with what it got or the error. */
  async function start(read: (req: IncomingMessage) => Promise<unknown>): Promise<number> {
    server = createServer((req, res) => {
      read(req).then(
        (body) => sendJson(res, 200, { body: Buffer.isBuffer(body) ? body.toString() : body }),
        (err: unknown) => sendError(res, err as HttpError),
      );
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return (server.address() as AddressInfo).port;
  }

  function post(
    port: number,
    body: string | Buffer[],
    headers: Record<string, string> = {},
  ): Promise<{ status: number; json: any; headers: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      const req = request({ port, host: '127.0.0.1', method: 'POST', path: '/', headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            json: JSON.parse(Buffer.concat(chunks).toString()),
            headers: res.headers,
          }),
        );
      });
      req.on('error', reject);
      if (typeof body === 'string') req.end(body);
      else {
        for (const chunk of body) req.write(chunk);
        req.end();
      }
    });
  }

  it('reads a body within the limit', async () => {
    const port = await start((req) => readBody(req, 16));
    expect(await post(port, 'exactly 16 bytes')).toMatchObject({ status: 200, json: { body: 'exactly 16 bytes' } });
  });

  it('refuses a declared Content-Length over the limit before reading', async () => {
    const port = await start((req) => readBody(req, 16));
    const res = await post(port, 'x'.repeat(17));
    expect(res.status).toBe(413);
    expect(res.json).toEqual({ error: { code: 'payload_too_large', message: 'request body exceeds 16 bytes' } });
    expect(res.headers.connection).toBe('close');
  });

  it('stops reading a chunked body once it passes the limit', async () => {
    const port = await start((req) => readBody(req, 16));
    const res = await post(port, [Buffer.from('0123456789'), Buffer.from('0123456789')], {
      'Transfer-Encoding': 'chunked',
    });
    expect(res.status).toBe(413);
  });

  it('parses JSON and reports invalid or empty bodies as 400', async () => {
    const port = await start((req) => readJson(req, 1024));
    expect(await post(port, '{"a":[1,2]}')).toMatchObject({ status: 200, json: { body: { a: [1, 2] } } });
    const bad = await post(port, '{"a":');
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('bad_json');
    const empty = await post(port, '');
    expect(empty.status).toBe(400);
    expect(empty.json.error.message).toMatch(/empty/);
  });
});
