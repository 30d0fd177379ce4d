/*
 * wsgate benchmark load generator.
 *
 * A single-threaded epoll client that shares no code with the servers it measures: its own HTTP/1.1 upgrade
 * request, its own SHA-1 and base64 to check Sec-WebSocket-Accept (RFC 6455 §4.1), its own frame parser and its
 * own masking (RFC 6455 §5.3: every client frame masked). Built by bench/run.ts with
 *
 *     gcc -O2 -o bench/.build/loadgen bench/loadgen.c
 *
 * Modes (all print one JSON line with the result on stdout; progress and errors go to stderr):
 *
 *   loadgen echo      --port P --conns N --size B --pipeline K --warmup S --duration S [--binary]
 *       N connections each keep K messages of B bytes in flight: every echo received is answered with a new
 *       message. Counts echoes received during the measured window (after the warm-up).
 *   loadgen broadcast --port P --conns N --size B --burst K --warmup S --duration S
 *       N connections; connection 0 sends the text control message "!bcast K B" and the server sends K messages of
 *       B bytes to every connection. Four rounds are kept in flight (--window): a new trigger goes out each time the
 *       deliveries counted across all connections complete a round, so a server that flushes a whole round at
 *       once still finds triggers waiting when it is done. Counts deliveries during the measured window.
 *   loadgen idle      --port P --conns N
 *       Opens N connections, prints {"event":"ready",...} and holds them open until stdin reaches EOF.
 *   loadgen handshake --port P --total N --concurrency C
 *       Runs N opening handshakes, at most C at a time; each one is checked, then closed with a Close frame (1000)
 *       and the TCP connection is released once the server has closed its side.
 *
 * Everything is on 127.0.0.1 unless --host says otherwise.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* ─── options ─────────────────────────────────────────────────────────────────────────────────────────────── */

enum { MODE_ECHO, MODE_BROADCAST, MODE_IDLE, MODE_HANDSHAKE };

static int mode;
static const char *host = "127.0.0.1";
static int port;
static int n_conns = 100;
static int msg_size = 32;
static int pipeline_depth = 10;
static int burst = 10;
static int window = 4;
static double warmup_s = 1.0;
static double duration_s = 5.0;
static int binary;
static long total_handshakes = 10000;
static int concurrency = 64;
static int connect_concurrency = 256;
static double max_seconds;    /* handshake mode: stop starting handshakes after this long (0 = no cap) */
static int server_pid;        /* when given: report the server's CPU time over the measured window */

/* ─── small utilities ─────────────────────────────────────────────────────────────────────────────────────── */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds (user + system) used so far by process `pid`, from /proc/<pid>/stat; -1 when unknown. */
static double process_cpu_s(int pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  char buf[1024];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  /* Fields after the command name, which is in parentheses and may contain spaces. */
  char *p = strrchr(buf, ')');
  if (!p) return -1;
  unsigned long utime = 0, stime = 0;
  if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2) return -1;
  return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static double self_cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* CPU used over a measured window by the server (if --server-pid) and by this process. */
typedef struct { double server, client; } cpu_mark_t;
static cpu_mark_t cpu_mark(void) {
  cpu_mark_t m = {server_pid > 0 ? process_cpu_s(server_pid) : -1, self_cpu_s()};
  return m;
}
static double server_cpu_used, client_cpu_used;
static void cpu_window_end(cpu_mark_t start) {
  cpu_mark_t end = cpu_mark();
  server_cpu_used = start.server >= 0 && end.server >= 0 ? end.server - start.server : -1;
  client_cpu_used = end.client - start.client;
}

static void die(const char *what) {
  fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
  printf("{\"error\":\"%s: %s\"}\n", what, strerror(errno));
  exit(2);
}

static void fail(const char *message) {
  fprintf(stderr, "loadgen: %s\n", message);
  printf("{\"error\":\"%s\"}\n", message);
  exit(2);
}

/* xorshift128+: mask keys and handshake keys. Seeded from getrandom, so keys are not predictable per run. */
static uint64_t rng_s[2];
static uint64_t rng_next(void) {
  uint64_t s1 = rng_s[0];
  const uint64_t s0 = rng_s[1];
  rng_s[0] = s0;
  s1 ^= s1 << 23;
  rng_s[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
  return rng_s[1] + s0;
}
static void rng_fill(uint8_t *out, size_t n) {
  while (n > 0) {
    uint64_t v = rng_next();
    size_t take = n < 8 ? n : 8;
    memcpy(out, &v, take);
    out += take;
    n -= take;
  }
}

/* ─── SHA-1 (FIPS 180-4) and base64, for Sec-WebSocket-Accept ───────────────────────────────────────────── */

static uint32_t rol32(uint32_t v, int n) { return (v << n) | (v >> (32 - n)); }

static void sha1(const uint8_t *data, size_t len, uint8_t out[20]) {
  uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  size_t padded = ((len + 8) / 64 + 1) * 64;
  uint8_t buf[256];
  if (padded > sizeof buf) fail("sha1 input too long");
  memset(buf, 0, padded);
  memcpy(buf, data, len);
  buf[len] = 0x80;
  uint64_t bits = (uint64_t)len * 8;
  for (int i = 0; i < 8; i++) buf[padded - 1 - i] = (uint8_t)(bits >> (8 * i));
  for (size_t block = 0; block < padded; block += 64) {
    uint32_t w[80];
    for (int i = 0; i < 16; i++) {
      const uint8_t *p = buf + block + 4 * i;
      w[i] = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
    }
    for (int i = 16; i < 80; i++) w[i] = rol32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; i++) {
      uint32_t f, k;
      if (i < 20) { f = (b & c) | (~b & d); k = 0x5A827999; }
      else if (i < 40) { f = b ^ c ^ d; k = 0x6ED9EBA1; }
      else if (i < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDC; }
      else { f = b ^ c ^ d; k = 0xCA62C1D6; }
      uint32_t t = rol32(a, 5) + f + e + k + w[i];
      e = d; d = c; c = rol32(b, 30); b = a; a = t;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e;
  }
  for (int i = 0; i < 5; i++) {
    out[4 * i] = (uint8_t)(h[i] >> 24);
    out[4 * i + 1] = (uint8_t)(h[i] >> 16);
    out[4 * i + 2] = (uint8_t)(h[i] >> 8);
    out[4 * i + 3] = (uint8_t)h[i];
  }
}

static void base64(const uint8_t *in, size_t len, char *out) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t o = 0;
  for (size_t i = 0; i < len; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16;
    if (i + 1 < len) v |= (uint32_t)in[i + 1] << 8;
    if (i + 2 < len) v |= in[i + 2];
    out[o++] = alphabet[(v >> 18) & 63];
    out[o++] = alphabet[(v >> 12) & 63];
    out[o++] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
    out[o++] = i + 2 < len ? alphabet[v & 63] : '=';
  }
  out[o] = '\0';
}

/* ─── framing (RFC 6455 §5.2) ─────────────────────────────────────────────────────────────────────────────── */

/* Writes a masked client frame into out (room for 14 + len bytes) and returns its size. */
static size_t encode_frame(uint8_t *out, int opcode, const uint8_t *payload, size_t len) {
  size_t pos = 0;
  out[pos++] = (uint8_t)(0x80 | opcode);
  if (len < 126) {
    out[pos++] = (uint8_t)(0x80 | len);
  } else if (len < 65536) {
    out[pos++] = 0x80 | 126;
    out[pos++] = (uint8_t)(len >> 8);
    out[pos++] = (uint8_t)len;
  } else {
    out[pos++] = 0x80 | 127;
    for (int i = 7; i >= 0; i--) out[pos++] = (uint8_t)((uint64_t)len >> (8 * i));
  }
  /* RFC 6455 §5.3: a fresh masking key per frame, from a source the server cannot predict. */
  uint8_t key[4];
  rng_fill(key, 4);
  memcpy(out + pos, key, 4);
  pos += 4;
  for (size_t i = 0; i < len; i++) out[pos + i] = payload[i] ^ key[i & 3];
  return pos + len;
}

/* ─── connections ─────────────────────────────────────────────────────────────────────────────────────────── */

enum { ST_IDLE, ST_CONNECTING, ST_HANDSHAKE, ST_OPEN, ST_CLOSING, ST_DONE };

typedef struct conn {
  int fd;
  int index;
  uint8_t state;
  uint8_t in_payload;  /* 1 while reading a frame's payload */
  uint8_t hdr_fill;
  uint8_t frame_opcode;
  uint8_t frame_fin;
  uint8_t ctrl_len;
  uint8_t hdr[14];
  uint8_t ctrl[125];   /* payload of the current control frame (ping → pong) */
  uint64_t remaining;  /* payload bytes left in the current frame */
  uint64_t msg_len;    /* bytes of the current data message so far */
  char key[32];
  char *http;          /* response head, only during the handshake */
  size_t http_len;
  uint8_t *out;        /* bytes the kernel did not take yet */
  size_t out_len, out_cap;
  uint32_t owed;       /* echo mode: frames to send after this read */
  double deadline;     /* handshake mode: give up on this connection after this time */
} conn_t;

static int epfd;
static conn_t *conns;
static uint8_t rbuf[256 * 1024];
static struct sockaddr_in server_addr;

/* Counters. */
static uint64_t messages;       /* data messages received (echoes or deliveries) */
static uint64_t bad_messages;   /* data messages of an unexpected size */
static uint64_t errors;         /* connections lost or refused */
static long open_count;

/* Echo frames, prebuilt with distinct random masks and cycled through. */
#define POOL_FRAMES 64
static uint8_t *pool;
static size_t frame_len;
static int pool_next;

static void set_events(conn_t *c, uint32_t events) {
  struct epoll_event ev = {.events = events, .data.ptr = c};
  if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) die("epoll_ctl mod");
}

static void close_conn(conn_t *c, int counted_error) {
  if (c->fd >= 0) {
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
  }
  if (c->state == ST_OPEN || c->state == ST_CLOSING) open_count--;
  c->fd = -1;
  c->state = ST_DONE;
  free(c->http);
  c->http = NULL;
  free(c->out);
  c->out = NULL;
  c->out_len = c->out_cap = 0;
  if (counted_error) errors++;
}

static void append_out(conn_t *c, const uint8_t *data, size_t len) {
  if (c->out_len + len > c->out_cap) {
    size_t cap = c->out_cap ? c->out_cap : 4096;
    while (cap < c->out_len + len) cap *= 2;
    c->out = realloc(c->out, cap);
    if (!c->out) fail("out of memory");
    c->out_cap = cap;
  }
  memcpy(c->out + c->out_len, data, len);
  c->out_len += len;
}

/* Writes iov (or queues it behind bytes already pending), keeping order. Arms EPOLLOUT when bytes stay queued. */
static void send_iov(conn_t *c, struct iovec *iov, int iovcnt) {
  if (c->fd < 0) return;
  size_t total = 0;
  for (int i = 0; i < iovcnt; i++) total += iov[i].iov_len;
  ssize_t written = 0;
  if (c->out_len == 0) {
    written = writev(c->fd, iov, iovcnt);
    if (written < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        close_conn(c, 1);
        return;
      }
      written = 0;
    }
    if ((size_t)written == total) return;
  }
  int had_pending = c->out_len > 0;
  size_t skip = (size_t)written;
  for (int i = 0; i < iovcnt; i++) {
    if (skip >= iov[i].iov_len) {
      skip -= iov[i].iov_len;
      continue;
    }
    append_out(c, (const uint8_t *)iov[i].iov_base + skip, iov[i].iov_len - skip);
    skip = 0;
  }
  if (!had_pending) set_events(c, EPOLLIN | EPOLLOUT);
}

static void send_bytes(conn_t *c, const uint8_t *data, size_t len) {
  struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
  send_iov(c, &iov, 1);
}

static void flush_out(conn_t *c) {
  while (c->out_len > 0) {
    ssize_t n = write(c->fd, c->out, c->out_len);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      close_conn(c, 1);
      return;
    }
    memmove(c->out, c->out + n, c->out_len - (size_t)n);
    c->out_len -= (size_t)n;
  }
  set_events(c, EPOLLIN);
}

static void send_control_frame(conn_t *c, int opcode, const uint8_t *payload, size_t len) {
  uint8_t frame[14 + 125];
  send_bytes(c, frame, encode_frame(frame, opcode, payload, len));
}

static void send_text(conn_t *c, const char *text) {
  size_t len = strlen(text);
  uint8_t *frame = malloc(14 + len);
  if (!frame) fail("out of memory");
  send_bytes(c, frame, encode_frame(frame, 1, (const uint8_t *)text, len));
  free(frame);
}

/* Sends `count` echo-mode frames from the pool in as few writev calls as possible. */
static void send_pool_frames(conn_t *c, uint32_t count) {
  struct iovec iov[256];
  while (count > 0 && c->fd >= 0) {
    int n = count < 256 ? (int)count : 256;
    for (int i = 0; i < n; i++) {
      iov[i].iov_base = pool + (size_t)pool_next * frame_len;
      iov[i].iov_len = frame_len;
      pool_next = (pool_next + 1) % POOL_FRAMES;
    }
    send_iov(c, iov, n);
    count -= (uint32_t)n;
  }
}

/* ─── per-mode behaviour ──────────────────────────────────────────────────────────────────────────────────── */

static int running = 1;        /* echo/broadcast: keep the load going */
static uint64_t bcast_round;   /* deliveries per broadcast round: conns × burst */
static uint64_t bcast_sent;    /* triggers sent */
static char bcast_trigger[64];
static long hs_started, hs_done, hs_failed;

static void start_handshake_conn(void);

static void on_open(conn_t *c) {
  open_count++;
  if (mode == MODE_HANDSHAKE) {
    /* Done with the opening handshake: start the closing one (RFC 6455 §7.1.2) and wait for the server's FIN. */
    uint8_t code[2] = {0x03, 0xe8};
    c->state = ST_CLOSING;
    send_control_frame(c, 8, code, 2);
  }
}

static void maybe_trigger_broadcast(void) {
  /* Keep `window` rounds in flight so the server never waits for the client between rounds. */
  while (running && bcast_round > 0 && conns[0].state == ST_OPEN && bcast_sent < messages / bcast_round + (uint64_t)window) {
    send_text(&conns[0], bcast_trigger);
    bcast_sent++;
  }
}

static void on_message(conn_t *c, int opcode, uint64_t len) {
  (void)opcode;
  messages++;
  if (len != (uint64_t)msg_size) bad_messages++;
  if (mode == MODE_ECHO && running) c->owed++;
}

static void on_frame_end(conn_t *c) {
  int op = c->frame_opcode;
  if (op == 9) {
    if (c->state == ST_OPEN) send_control_frame(c, 10, c->ctrl, c->ctrl_len);
  } else if (op == 8) {
    if (mode == MODE_HANDSHAKE && c->state == ST_CLOSING) return; /* the server's answer; its FIN follows */
    if (c->state == ST_OPEN) {
      fprintf(stderr, "loadgen: connection %d closed by the server\n", c->index);
      close_conn(c, 1);
    }
  } else if (op <= 2) {
    if (c->frame_fin) {
      on_message(c, op, c->msg_len);
      c->msg_len = 0;
    }
  }
}

/* Streaming frame parser: no payload is buffered, only headers and control payloads. */
static void parse_frames(conn_t *c, const uint8_t *p, size_t n) {
  while (n > 0 && c->fd >= 0) {
    if (c->in_payload) {
      size_t take = n < c->remaining ? n : (size_t)c->remaining;
      if (c->frame_opcode >= 8) {
        memcpy(c->ctrl + c->ctrl_len, p, take);
        c->ctrl_len += (uint8_t)take;
      } else {
        c->msg_len += take;
      }
      c->remaining -= take;
      p += take;
      n -= take;
      if (c->remaining == 0) {
        c->in_payload = 0;
        on_frame_end(c);
      }
      continue;
    }
    size_t need = 2;
    if (c->hdr_fill >= 2) {
      int len7 = c->hdr[1] & 0x7f;
      need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((c->hdr[1] & 0x80) ? 4 : 0);
    }
    size_t take = need - c->hdr_fill;
    if (take > n) take = n;
    memcpy(c->hdr + c->hdr_fill, p, take);
    c->hdr_fill += (uint8_t)take;
    p += take;
    n -= take;
    if (c->hdr_fill < need) continue;
    if (need == 2) {
      int len7 = c->hdr[1] & 0x7f;
      if (len7 >= 126 || (c->hdr[1] & 0x80)) continue; /* extended length or mask key still to come */
    }
    if (c->hdr[1] & 0x80) fail("masked frame from the server");
    c->frame_opcode = c->hdr[0] & 0x0f;
    c->frame_fin = (c->hdr[0] & 0x80) != 0;
    uint64_t len = c->hdr[1] & 0x7f;
    if (len == 126) len = ((uint64_t)c->hdr[2] << 8) | c->hdr[3];
    else if (len == 127) {
      len = 0;
      for (int i = 0; i < 8; i++) len = (len << 8) | c->hdr[2 + i];
    }
    c->hdr_fill = 0;
    c->ctrl_len = 0;
    if (c->frame_opcode >= 8 && len > 125) fail("control frame over 125 bytes from the server");
    if (len == 0) {
      on_frame_end(c);
    } else {
      c->remaining = len;
      c->in_payload = 1;
    }
  }
}

/* ─── handshake (RFC 6455 §4.1) ───────────────────────────────────────────────────────────────────────────── */

static void send_upgrade_request(conn_t *c) {
  uint8_t raw[16];
  rng_fill(raw, 16);
  base64(raw, 16, c->key);
  char request[512];
  int len = snprintf(request, sizeof request,
                     "GET / HTTP/1.1\r\n"
                     "Host: %s:%d\r\n"
                     "Upgrade: websocket\r\n"
                     "Connection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\n"
                     "Sec-WebSocket-Version: 13\r\n"
                     "\r\n",
                     host, port, c->key);
  c->state = ST_HANDSHAKE;
  send_bytes(c, (const uint8_t *)request, (size_t)len);
}

/* Checks the 101 response head; returns 1 when it is a valid acceptance of our key. */
static int check_response(conn_t *c, const char *head) {
  if (strncmp(head, "HTTP/1.1 101", 12) != 0) return 0;
  char input[128];
  snprintf(input, sizeof input, "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", c->key);
  uint8_t digest[20];
  sha1((const uint8_t *)input, strlen(input), digest);
  char expected[32];
  base64(digest, 20, expected);
  const char *line = strstr(head, "\r\n");
  while (line && line[2] != '\r') {
    line += 2;
    if (strncasecmp(line, "sec-websocket-accept:", 21) == 0) {
      const char *v = line + 21;
      while (*v == ' ' || *v == '\t') v++;
      return strncmp(v, expected, strlen(expected)) == 0 && (v[strlen(expected)] == '\r' || v[strlen(expected)] == ' ');
    }
    line = strstr(line, "\r\n");
  }
  return 0;
}

static void handshake_failed(conn_t *c, const char *why) {
  if (mode == MODE_HANDSHAKE) hs_failed++;
  if (errors < 5) fprintf(stderr, "loadgen: handshake failed on connection %d: %s\n", c->index, why);
  close_conn(c, 1);
}

static void on_handshake_bytes(conn_t *c, const uint8_t *data, size_t n) {
  if (!c->http) {
    c->http = malloc(4096);
    if (!c->http) fail("out of memory");
    c->http_len = 0;
  }
  size_t room = 4095 - c->http_len;
  size_t take = n < room ? n : room;
  memcpy(c->http + c->http_len, data, take);
  c->http_len += take;
  c->http[c->http_len] = '\0';
  char *end = strstr(c->http, "\r\n\r\n");
  if (!end) {
    if (c->http_len >= 4095) handshake_failed(c, "response head too large");
    return;
  }
  size_t head_len = (size_t)(end - c->http) + 4;
  end[2] = '\0';
  if (!check_response(c, c->http)) {
    handshake_failed(c, "not a valid 101 response");
    return;
  }
  /* Bytes after the head are frames (the server may send right away). */
  size_t leftover = c->http_len - head_len;
  size_t from_this_chunk = leftover <= take ? leftover : take;
  size_t consumed_of_chunk = take - from_this_chunk;
  free(c->http);
  c->http = NULL;
  c->state = ST_OPEN;
  on_open(c);
  if (from_this_chunk > 0 && c->fd >= 0) parse_frames(c, data + consumed_of_chunk, from_this_chunk);
  if (take < n && c->fd >= 0) parse_frames(c, data + take, n - take);
}

/* ─── event loop ──────────────────────────────────────────────────────────────────────────────────────────── */

static long connecting;  /* connections between connect() and the end of their handshake */

static void start_connect(conn_t *c) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c->fd = fd;
  c->state = ST_CONNECTING;
  c->in_payload = 0;
  c->hdr_fill = 0;
  c->msg_len = 0;
  c->owed = 0;
  c->deadline = now_s() + 10.0;
  struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl add");
  connecting++;
  if (connect(fd, (struct sockaddr *)&server_addr, sizeof server_addr) < 0 && errno != EINPROGRESS) {
    connecting--;
    handshake_failed(c, strerror(errno));
  }
}

static void on_event(conn_t *c, uint32_t events) {
  if (c->state == ST_CONNECTING) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0 || (events & (EPOLLERR | EPOLLHUP))) {
      connecting--;
      handshake_failed(c, err ? strerror(err) : "connect failed");
      return;
    }
    set_events(c, EPOLLIN);
    send_upgrade_request(c);
    return;
  }
  if ((events & EPOLLOUT) && c->fd >= 0) flush_out(c);
  if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)) || c->fd < 0) return;
  ssize_t n = read(c->fd, rbuf, sizeof rbuf);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    n = 0;
  }
  if (n == 0) {
    /* The server closed its side. In handshake mode after our Close, that is the end of a clean close. */
    if (c->state == ST_CLOSING && mode == MODE_HANDSHAKE) {
      close_conn(c, 0);
      hs_done++;
      start_handshake_conn();
      return;
    }
    if (c->state == ST_HANDSHAKE) {
      connecting--;
      handshake_failed(c, "connection closed during the handshake");
      return;
    }
    if (running && errors < 5) fprintf(stderr, "loadgen: connection %d lost\n", c->index);
    close_conn(c, running);
    return;
  }
  if (c->state == ST_HANDSHAKE) {
    connecting--;
    on_handshake_bytes(c, rbuf, (size_t)n);
    if (c->state == ST_HANDSHAKE) connecting++; /* head not complete yet */
  } else {
    parse_frames(c, rbuf, (size_t)n);
  }
  if (c->owed > 0 && c->fd >= 0) {
    uint32_t owed = c->owed;
    c->owed = 0;
    send_pool_frames(c, owed);
  }
  if (mode == MODE_BROADCAST) maybe_trigger_broadcast();
}

static void poll_once(int timeout_ms) {
  struct epoll_event events[512];
  int n = epoll_wait(epfd, events, 512, timeout_ms);
  if (n < 0) {
    if (errno == EINTR) return;
    die("epoll_wait");
  }
  for (int i = 0; i < n; i++) on_event(events[i].data.ptr, events[i].events);
}

/* Opens conns[0..count) with at most connect_concurrency handshakes in progress. */
static void open_all(int count) {
  double deadline = now_s() + 60.0;
  int next = 0;
  while (open_count + (long)errors < count) {
    while (next < count && connecting < connect_concurrency) start_connect(&conns[next++]);
    poll_once(100);
    if (now_s() > deadline) fail("timed out opening connections");
  }
  if (errors > 0) {
    fprintf(stderr, "loadgen: %lu of %d connections failed to open\n", (unsigned long)errors, count);
    printf("{\"error\":\"%lu of %d connections failed to open\"}\n", (unsigned long)errors, count);
    exit(2);
  }
}

/* Runs the event loop for warm-up + measured duration; returns messages counted in the measured window. */
static void measure(uint64_t *counted, double *seconds) {
  double start = now_s();
  double measure_start = start + warmup_s;
  double end = measure_start + duration_s;
  uint64_t at_start = 0;
  int measuring = 0;
  cpu_mark_t cpu_start = cpu_mark();
  double last_progress = start;
  uint64_t last_messages = messages;
  for (;;) {
    double t = now_s();
    if (!measuring && t >= measure_start) {
      measuring = 1;
      at_start = messages;
      measure_start = t;
      cpu_start = cpu_mark();
    }
    if (t >= end) break;
    double until = measuring ? end : measure_start;
    int timeout = (int)((until - t) * 1000.0) + 1;
    poll_once(timeout < 100 ? timeout : 100);
    if (messages != last_messages) {
      last_messages = messages;
      last_progress = now_s();
    } else if (now_s() - last_progress > 3.0) {
      fprintf(stderr, "loadgen: no progress for 3 s (server stalled?)\n");
      last_progress = now_s();
    }
  }
  *counted = messages - at_start;
  *seconds = now_s() - measure_start;
  cpu_window_end(cpu_start);
  running = 0;
}

static void start_handshake_conn(void) {
  while (hs_started < total_handshakes && connecting + open_count < concurrency) {
    /* Slots are reused: find a finished one. */
    conn_t *c = NULL;
    int found = 0;
    for (int i = 0; i < concurrency; i++) {
      conn_t *candidate = &conns[(hs_started + i) % concurrency];
      if (candidate->state == ST_IDLE || candidate->state == ST_DONE) {
        c = candidate;
        found = 1;
        break;
      }
    }
    if (!found) return;
    hs_started++;
    start_connect(c);
  }
}

/* ─── main ────────────────────────────────────────────────────────────────────────────────────────────────── */

static void usage(void) {
  fprintf(stderr,
          "usage: loadgen echo|broadcast|idle|handshake --port P [--host H] [--conns N] [--size B] [--pipeline K]\n"
          "               [--burst K] [--window W] [--warmup S] [--duration S] [--binary] [--total N] [--concurrency C]\n");
  exit(64);
}

static void raise_fd_limit(int needed) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) < 0) die("getrlimit");
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  getrlimit(RLIMIT_NOFILE, &rl);
  if ((long)rl.rlim_cur < needed + 16) {
    char message[128];
    snprintf(message, sizeof message, "open file limit %ld is too low for %d connections", (long)rl.rlim_cur, needed);
    fail(message);
  }
}

int main(int argc, char **argv) {
  if (argc < 2) usage();
  if (strcmp(argv[1], "echo") == 0) mode = MODE_ECHO;
  else if (strcmp(argv[1], "broadcast") == 0) mode = MODE_BROADCAST;
  else if (strcmp(argv[1], "idle") == 0) mode = MODE_IDLE;
  else if (strcmp(argv[1], "handshake") == 0) mode = MODE_HANDSHAKE;
  else usage();
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--binary") == 0) { binary = 1; continue; }
    if (!v) usage();
    if (strcmp(a, "--port") == 0) port = atoi(v);
    else if (strcmp(a, "--host") == 0) host = v;
    else if (strcmp(a, "--conns") == 0) n_conns = atoi(v);
    else if (strcmp(a, "--size") == 0) msg_size = atoi(v);
    else if (strcmp(a, "--pipeline") == 0) pipeline_depth = atoi(v);
    else if (strcmp(a, "--burst") == 0) burst = atoi(v);
    else if (strcmp(a, "--window") == 0) window = atoi(v);
    else if (strcmp(a, "--warmup") == 0) warmup_s = atof(v);
    else if (strcmp(a, "--duration") == 0) duration_s = atof(v);
    else if (strcmp(a, "--total") == 0) total_handshakes = atol(v);
    else if (strcmp(a, "--concurrency") == 0) concurrency = atoi(v);
    else if (strcmp(a, "--server-pid") == 0) server_pid = atoi(v);
    else if (strcmp(a, "--max-seconds") == 0) max_seconds = atof(v);
    else usage();
    i++;
  }
  if (port <= 0 || n_conns <= 0 || msg_size < 0 || concurrency <= 0) usage();
  signal(SIGPIPE, SIG_IGN);
  if (getrandom(rng_s, sizeof rng_s, 0) != sizeof rng_s) die("getrandom");
  rng_s[0] |= 1;

  memset(&server_addr, 0, sizeof server_addr);
  server_addr.sin_family = AF_INET;
  server_addr.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, host, &server_addr.sin_addr) != 1) fail("--host must be an IPv4 address");

  int slots = mode == MODE_HANDSHAKE ? concurrency : n_conns;
  if (mode == MODE_HANDSHAKE) connect_concurrency = concurrency;
  raise_fd_limit(slots);
  conns = calloc((size_t)slots, sizeof *conns);
  if (!conns) fail("out of memory");
  for (int i = 0; i < slots; i++) {
    conns[i].fd = -1;
    conns[i].index = i;
  }
  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) die("epoll_create1");

  if (mode == MODE_ECHO) {
    /* Pool of prebuilt frames, each with its own mask key; text payloads are ASCII. */
    uint8_t *payload = malloc((size_t)msg_size + 1);
    frame_len = 0;
    pool = malloc(((size_t)msg_size + 14) * POOL_FRAMES);
    if (!payload || !pool) fail("out of memory");
    for (int i = 0; i < msg_size; i++) payload[i] = binary ? (uint8_t)rng_next() : (uint8_t)('a' + rng_next() % 26);
    frame_len = (size_t)msg_size + (msg_size < 126 ? 2 : msg_size < 65536 ? 4 : 10) + 4;
    for (int i = 0; i < POOL_FRAMES; i++) encode_frame(pool + (size_t)i * frame_len, binary ? 2 : 1, payload, (size_t)msg_size);
    free(payload);

    open_all(n_conns);
    fprintf(stderr, "loadgen: %d connections open\n", n_conns);
    for (int i = 0; i < n_conns; i++) send_pool_frames(&conns[i], (uint32_t)pipeline_depth);
    uint64_t counted;
    double seconds;
    measure(&counted, &seconds);
    printf("{\"mode\":\"echo\",\"conns\":%d,\"size\":%d,\"pipeline\":%d,\"binary\":%s,\"messages\":%lu,"
           "\"seconds\":%.3f,\"rate\":%.1f,\"server_cpu\":%.3f,\"client_cpu\":%.3f,\"bad\":%lu,\"errors\":%lu}\n",
           n_conns, msg_size, pipeline_depth, binary ? "true" : "false", (unsigned long)counted, seconds,
           (double)counted / seconds, server_cpu_used, client_cpu_used, (unsigned long)bad_messages,
           (unsigned long)errors);
  } else if (mode == MODE_BROADCAST) {
    open_all(n_conns);
    fprintf(stderr, "loadgen: %d connections open\n", n_conns);
    bcast_round = (uint64_t)n_conns * (uint64_t)burst;
    snprintf(bcast_trigger, sizeof bcast_trigger, "!bcast %d %d", burst, msg_size);
    maybe_trigger_broadcast();
    uint64_t counted;
    double seconds;
    measure(&counted, &seconds);
    printf("{\"mode\":\"broadcast\",\"conns\":%d,\"size\":%d,\"burst\":%d,\"messages\":%lu,\"seconds\":%.3f,"
           "\"rate\":%.1f,\"server_cpu\":%.3f,\"client_cpu\":%.3f,\"rounds\":%lu,\"bad\":%lu,\"errors\":%lu}\n",
           n_conns, msg_size, burst, (unsigned long)counted, seconds, (double)counted / seconds, server_cpu_used,
           client_cpu_used, (unsigned long)bcast_sent, (unsigned long)bad_messages, (unsigned long)errors);
  } else if (mode == MODE_IDLE) {
    double start = now_s();
    open_all(n_conns);
    printf("{\"event\":\"ready\",\"conns\":%d,\"seconds\":%.3f}\n", n_conns, now_s() - start);
    fflush(stdout);
    /* Hold the connections (answering pings) until stdin closes. */
    int flags = fcntl(0, F_GETFL);
    fcntl(0, F_SETFL, flags | O_NONBLOCK);
    for (;;) {
      char buf[256];
      ssize_t r = read(0, buf, sizeof buf);
      if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) break;
      poll_once(50);
    }
    running = 0;
    printf("{\"mode\":\"idle\",\"conns\":%d,\"open\":%ld,\"errors\":%lu}\n", n_conns, open_count, (unsigned long)errors);
  } else {
    double start = now_s();
    cpu_mark_t cpu_start = cpu_mark();
    start_handshake_conn();
    while (hs_done + hs_failed < hs_started || hs_started < total_handshakes) {
      poll_once(100);
      double t = now_s();
      if (max_seconds > 0 && t - start > max_seconds) total_handshakes = hs_started; /* finish those in flight */
      start_handshake_conn();
      if (t - start > 120.0) fail("handshake run timed out");
      for (int i = 0; i < concurrency; i++) {
        conn_t *c = &conns[i];
        if (c->fd >= 0 && c->state != ST_DONE && t > c->deadline) {
          if (c->state == ST_CONNECTING || c->state == ST_HANDSHAKE) connecting--;
          handshake_failed(c, "timed out");
          start_handshake_conn();
        }
      }
    }
    double seconds = now_s() - start;
    cpu_window_end(cpu_start);
    printf("{\"mode\":\"handshake\",\"total\":%ld,\"concurrency\":%d,\"completed\":%ld,\"failed\":%ld,"
           "\"seconds\":%.3f,\"rate\":%.1f,\"server_cpu\":%.3f,\"client_cpu\":%.3f}\n",
           total_handshakes, concurrency, hs_done, hs_failed, seconds, (double)hs_done / seconds, server_cpu_used,
           client_cpu_used);
  }
  fflush(stdout);
  return 0;
}
