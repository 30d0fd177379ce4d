// The embedding claim, checked in one script that every runtime of the matrix loads as it is (plain JavaScript, no
// Node API, no test framework): a client-role and a server-role `Connection` of `wsgate/protocol` talking in memory,
// after the opening handshake built and checked by the handshake functions of both roles. Every check throws on
// failure; `roundTrip` resolves to the list of checks passed. The caller passes the module it imported, so each
// runtime resolves `wsgate/protocol` its own way (package exports, an import map, a module list).

/** RFC 6455 §1.3: the sample nonce and its accept value; proves the engine's SHA-1 and base64 in this runtime. */
const SAMPLE_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const SAMPLE_ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function check(condition, what) {
  if (!condition) throw new Error(`round trip failed: ${what}`);
}

function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** An HTTP/1.1 head as the handshake functions take it: header names lower-cased, repeated lines joined by ", ". */
function parseHead(text) {
  const end = text.indexOf('\r\n\r\n');
  check(end > 0 && end + 4 === text.length, 'the head ends with one empty line and carries no body');
  const [startLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    check(colon > 0, `header line ${JSON.stringify(line)}`);
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return { startLine, headers };
}

/** Both ends of one in-memory transport: writes are queued, `flush` delivers them in order, as TCP would. */
function connectedPair(protocol) {
  const queue = [];
  const sides = {};
  for (const role of ['client', 'server']) {
    const peerRole = role === 'client' ? 'server' : 'client';
    const side = { role, messages: [], pings: [], pongs: [], closes: [], errors: [], transportClosed: false };
    side.connection = new protocol.Connection(
      { role },
      {
        // The engine never touches a written buffer again, but the receiving side may keep views: copy, as a socket would.
        write: (_c, bytes) => queue.push({ to: peerRole, bytes: bytes.slice() }),
        message: (_c, data, isText) => side.messages.push({ data: data.slice(), isText }),
        ping: (_c, payload) => side.pings.push(decoder.decode(payload)),
        pong: (_c, payload) => side.pongs.push(decoder.decode(payload)),
        close: (_c, code, reason) => side.closes.push({ code, reason }),
        error: (_c, error) => side.errors.push(error.closeCode),
        closeTransport: () => {
          side.transportClosed = true;
          queue.push({ to: peerRole, eof: true });
        },
      },
    );
    sides[role] = side;
  }
  const flush = () => {
    for (let steps = 0; queue.length > 0; steps++) {
      check(steps < 10_000, 'the transport drains');
      const item = queue.shift();
      const to = sides[item.to].connection;
      if (item.eof) to.receiveEof();
      else to.receive(item.bytes);
    }
  };
  return { client: sides.client, server: sides.server, flush };
}

/** Deterministic bytes that differ at every offset within a 256-byte window. */
function pattern(length) {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + (i >>> 8)) & 0xff;
  return bytes;
}

export async function roundTrip(protocol) {
  const passed = [];

  // --- The opening handshake, each role with its own functions (RFC 6455 §4.1, §4.2).
  check(protocol.computeAcceptKey(SAMPLE_KEY) === SAMPLE_ACCEPT, 'the RFC 6455 §1.3 sample accept key');
  const request = protocol.buildClientRequest({
    host: 'example.test',
    path: '/chat',
    origin: 'https://example.test',
    protocols: ['chat', 'superchat'],
  });
  const req = parseHead(request.text);
  check(req.startLine === 'GET /chat HTTP/1.1', `request line ${JSON.stringify(req.startLine)}`);
  const upgrade = protocol.validateUpgradeRequest({
    method: 'GET',
    httpVersion: '1.1',
    url: '/chat',
    headers: req.headers,
  });
  check(upgrade.ok, `the server accepts the client's request: ${JSON.stringify(upgrade.rejection)}`);
  check(upgrade.value.key === request.key, 'the server reads the nonce the client sent');
  const selected = protocol.selectSubprotocol(upgrade.value.protocols, ['superchat']);
  check(selected === 'superchat', 'subprotocol selection');
  const responseText = protocol.buildAcceptResponse({ key: upgrade.value.key, protocol: selected });
  const res = parseHead(responseText);
  check(/^HTTP\/1\.1 101 /.test(res.startLine), `status line ${JSON.stringify(res.startLine)}`);
  const expected = { key: request.key, protocols: ['chat', 'superchat'], extensionsOffered: [] };
  const accepted = protocol.validateServerResponse({ status: 101, headers: res.headers }, expected);
  check(accepted.ok, `the client accepts the 101: ${accepted.error}`);
  check(accepted.value.protocol === 'superchat', 'the client sees the selected subprotocol');
  const forged = { ...res.headers, 'sec-websocket-accept': SAMPLE_ACCEPT };
  check(
    !protocol.validateServerResponse({ status: 101, headers: forged }, expected).ok,
    'a wrong accept key is refused',
  );
  passed.push('handshake');

  // --- Messages both ways over one pair.
  const { client, server, flush } = connectedPair(protocol);
  check(client.connection.readyState === protocol.ReadyState.OPEN, 'the client starts OPEN');

  const text = 'héllo, wörld — κόσμε 👋';
  client.connection.send(text);
  server.connection.send(text);
  flush();
  for (const side of [client, server]) {
    check(side.messages.length === 1 && side.messages[0].isText, `${side.role} got one text message`);
    check(decoder.decode(side.messages[0].data) === text, `${side.role} got the text intact`);
    side.messages.length = 0;
  }
  passed.push('text');

  // 256 KiB: the 64-bit length form (RFC 6455 §5.2), masked from the client, unmasked from the server.
  const big = pattern(256 * 1024);
  client.connection.send(big);
  server.connection.send(big);
  flush();
  for (const side of [client, server]) {
    check(side.messages.length === 1 && !side.messages[0].isText, `${side.role} got one binary message`);
    check(equalBytes(side.messages[0].data, big), `${side.role} got the 256 KiB intact`);
    side.messages.length = 0;
  }
  passed.push('binary 256 KiB');

  // Fragments with a ping between them (RFC 6455 §5.4: control frames MAY be injected in the middle), and a code
  // point split across two fragments.
  const split = encoder.encode('σμε');
  client.connection.sendFragment('κό', false, false);
  client.connection.ping('mid');
  client.connection.sendFragment(split.subarray(0, 3), false, false);
  client.connection.sendFragment(split.subarray(3), false, true);
  flush();
  check(
    server.messages.length === 1 && server.messages[0].isText,
    'the server got one text message from three fragments',
  );
  check(decoder.decode(server.messages[0].data) === 'κόσμε', 'the fragments joined in order');
  check(server.pings.join() === 'mid' && client.pongs.join() === 'mid', 'the ping between fragments was answered');
  server.messages.length = 0;
  passed.push('fragments');

  // RFC 6455 §5.5.3: a pong carries the ping's application data; the engine answers by itself.
  server.connection.ping(Uint8Array.of(0x70, 0x6f, 0x6e, 0x67));
  client.connection.ping('from the client');
  flush();
  check(client.pings.join() === 'pong' && server.pongs.join() === 'pong', 'the server ping was answered');
  check(client.pongs.join('|') === 'mid|from the client', 'the client ping was answered');
  passed.push('ping/pong');

  // RFC 6455 §7.1.2–§7.1.3 and §5.5.1: the client starts the close, the server echoes it and closes the transport.
  client.connection.send('last words');
  client.connection.close(1000, 'bye');
  check(client.connection.readyState === protocol.ReadyState.CLOSING, 'the client is CLOSING after close()');
  flush();
  check(
    server.messages.length === 1 && decoder.decode(server.messages[0].data) === 'last words',
    'data before the close arrives',
  );
  check(
    server.closes.length === 1 && server.closes[0].code === 1000 && server.closes[0].reason === 'bye',
    'the server saw 1000 "bye"',
  );
  check(client.closes.length === 1 && client.closes[0].code === 1000, 'the client saw the echoed 1000');
  check(server.transportClosed, 'the server closed the transport (RFC 6455 §7.1.1)');
  for (const side of [client, server]) {
    check(side.connection.readyState === protocol.ReadyState.CLOSED, `${side.role} is CLOSED`);
    check(side.errors.length === 0, `${side.role} saw no error`);
  }
  passed.push('close handshake');

  // --- A protocol error: a frame with the reserved opcode 0x3 (RFC 6455 §5.2: "If an unknown opcode is received,
  // the receiving endpoint MUST _Fail the WebSocket Connection_") → 1002 both ways.
  const broken = connectedPair(protocol);
  broken.server.connection.receive(Uint8Array.of(0x83, 0x80, 0x01, 0x02, 0x03, 0x04));
  broken.flush();
  check(
    broken.server.errors.join() === '1002',
    `the server reports 1002 (got ${broken.server.errors.join() || 'nothing'})`,
  );
  check(broken.server.closes.length === 1 && broken.server.closes[0].code === 1002, 'the server closes with 1002');
  check(broken.client.closes.length === 1 && broken.client.closes[0].code === 1002, 'the client is told 1002');
  check(broken.server.transportClosed, 'the server dropped the transport');
  passed.push('protocol error → 1002');

  return passed;
}
