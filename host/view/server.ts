/**
 * The live board view's HTTP server: `--view`.
 *
 * Owns the loopback web server that serves the page (page.ts), pushes pin
 * and console changes over Server-Sent Events and takes button presses
 * back as POSTs. Routes: `GET /` the page; `GET /events` the stream
 * (`pins`, `console` chunks `{epoch, offset, b64, skipped}`, `bye`);
 * `GET /state` the same state as JSON; `POST /pins/NAME` with
 * `{"pressed": true|false}`. Bounded (a cursor per viewer, capped viewers
 * and bodies) and safe on loopback (loopback Host only, JSON posts from the
 * page's own origin, a nonce CSP): docs/design.md#the-host. Node's http only.
 */

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { renderBoardSvg } from './board-svg.js';
import type { ConsoleMirror } from './console.js';
import { BoardViewError } from './errors.js';
import { renderPage } from './page.js';
import type { BoardPinsView } from './pins.js';

/** Milliseconds between flushes at most (one frame at 60 Hz). */
const FRAME_MS = 16;
/** Console bytes per event (base64 makes it a third bigger on the wire). */
const CONSOLE_CHUNK = 16 * 1024;
/** Console bytes sent to one viewer per flush before yielding to the event loop. */
const CONSOLE_PER_FLUSH = 256 * 1024;
/** Keep-alive comment interval (ms): finds viewers that vanished without closing. */
const KEEPALIVE_MS = 15_000;
/** Largest POST body accepted, in bytes. */
const MAX_BODY = 1024;
/** Default cap on simultaneous viewers. */
export const DEFAULT_MAX_VIEWERS = 8;

/** Options of a {@link BoardView}. */
export interface BoardViewOptions {
  /** The board's named lines (simulated here, or reported by the XS engine). */
  readonly pins: BoardPinsView;
  /** The console output to mirror; omitted: the console pane stays empty. */
  readonly console?: ConsoleMirror;
  /** The board's name, shown on the page (default `board`). */
  readonly boardName?: string;
  /** Address to listen on (default 127.0.0.1). Another address turns off the loopback Host check. */
  readonly host?: string;
  /** Port (default 0: a free one, read back from {@link BoardView.url}). */
  readonly port?: number;
  /** Simultaneous event-stream viewers (default 8); more are answered 503. */
  readonly maxViewers?: number;
}

/** What the view counted. */
export interface BoardViewStats {
  /** Viewers connected now. */
  viewers: number;
  /** Viewers turned away because of `maxViewers`. */
  viewersRefused: number;
  /** Presses and releases taken from pages. */
  presses: number;
  /** Requests refused for a foreign Host or Origin, or a bad body. */
  refused: number;
  /** Largest number of bytes buffered for any one viewer (the stuck-page bound). */
  maxBuffered: number;
}

interface Viewer {
  readonly res: ServerResponse;
  pinsVersion: number;
  consoleOffset: number;
  blocked: boolean;
}

/** True for a loopback address or name (127.0.0.0/8, ::1, localhost), bracketed or not. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$/.test(host);
}

/**
 * The board view. `await start()`, print {@link url}, and `close()` when
 * the run ends (the page shows "stopped").
 */
export class BoardView {
  /** Counters, updated in place. */
  readonly stats: BoardViewStats = { viewers: 0, viewersRefused: 0, presses: 0, refused: 0, maxBuffered: 0 };

  private readonly pins: BoardPinsView;
  private readonly mirror: ConsoleMirror | null;
  private readonly host: string;
  private readonly requestedPort: number;
  private readonly maxViewers: number;
  private readonly nonce = randomBytes(16).toString('base64');
  /** Names this server's console offsets: a page that reconnects to a later run on the same port must start over. */
  private readonly epoch = randomBytes(6).toString('hex');
  private readonly page: string;
  private readonly viewers = new Set<Viewer>();
  private readonly sockets = new Set<Socket>();
  private server: Server | null = null;
  private boundPort = 0;
  private pinsVersion = 0;
  private flushTimer: NodeJS.Timeout | null = null;
  private keepAlive: NodeJS.Timeout | null = null;
  private readonly unsubscribe: (() => void)[] = [];
  private closed = false;

  /** Checks the options (`bad-option` {@link BoardViewError}); does not listen yet. */
  constructor(options: BoardViewOptions) {
    this.pins = options.pins;
    this.mirror = options.console ?? null;
    this.host = options.host ?? '127.0.0.1';
    this.requestedPort = options.port ?? 0;
    this.maxViewers = options.maxViewers ?? DEFAULT_MAX_VIEWERS;
    if (!Number.isInteger(this.requestedPort) || this.requestedPort < 0 || this.requestedPort > 65535) {
      throw new BoardViewError('bad-option', `${this.host}:${String(options.port)}`, 'the port must be an integer in [0, 65535]');
    }
    if (!Number.isInteger(this.maxViewers) || this.maxViewers < 1 || this.maxViewers > 256) {
      throw new BoardViewError('bad-option', `${this.host}:${this.requestedPort}`, 'maxViewers must be an integer in [1, 256]');
    }
    const boardName = options.boardName ?? 'board';
    this.page = renderPage({ boardName, svg: renderBoardSvg({ name: boardName, lines: this.pins.lines }), lines: this.pins.lines, nonce: this.nonce });
  }

  /** The page's address, e.g. `http://127.0.0.1:41234/` (empty before `start()`). */
  get url(): string {
    if (this.boundPort === 0) return '';
    const h = this.host.includes(':') ? `[${this.host}]` : this.host === '0.0.0.0' ? '127.0.0.1' : this.host;
    return `http://${h}:${this.boundPort}/`;
  }

  /** The port listened on (0 before `start()`). */
  get port(): number {
    return this.boundPort;
  }

  /**
   * Starts listening; resolves with the page's URL. Rejects with a
   * {@link BoardViewError} (`address-in-use`, `listen-failed`, `closed`).
   */
  start(): Promise<string> {
    if (this.closed) return Promise.reject(new BoardViewError('closed', this.address(), 'the view is closed'));
    if (this.server !== null && this.boundPort !== 0) return Promise.resolve(this.url);
    return new Promise((resolve, reject) => {
      const server = createServer((req, res) => this.handle(req, res));
      // Slow or idle clients must not hold sockets forever; the event stream is exempted per response.
      server.requestTimeout = 10_000;
      server.headersTimeout = 10_000;
      server.on('connection', (s: Socket) => {
        this.sockets.add(s);
        s.once('close', () => this.sockets.delete(s));
      });
      this.server = server;
      const onError = (e: NodeJS.ErrnoException): void => {
        this.server = null;
        const reason = e.code === 'EADDRINUSE' ? 'address-in-use' : 'listen-failed';
        reject(new BoardViewError(reason, this.address(), e.code === 'EADDRINUSE' ? 'the port is already in use' : `cannot listen: ${e.message}`, e));
      };
      server.once('error', onError);
      server.listen({ host: this.host, port: this.requestedPort, exclusive: true }, () => {
        server.removeListener('error', onError);
        server.on('error', () => {});
        this.boundPort = (server.address() as AddressInfo).port;
        this.unsubscribe.push(this.pins.subscribe(() => {
          this.pinsVersion++;
          this.scheduleFlush();
        }));
        if (this.mirror !== null) this.unsubscribe.push(this.mirror.subscribe(() => this.scheduleFlush()));
        this.keepAlive = setInterval(() => this.ping(), KEEPALIVE_MS);
        this.keepAlive.unref();
        resolve(this.url);
      });
    });
  }

  /**
   * Says goodbye to every page (`bye` event with `reason`, shown as the
   * status), stops listening and closes every connection. Resolves when
   * the server has closed. Closing twice is harmless.
   */
  close(reason = 'stopped'): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    for (const u of this.unsubscribe.splice(0)) u();
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    if (this.keepAlive !== null) clearInterval(this.keepAlive);
    this.flush(); // the last words of the guest, then goodbye
    for (const v of this.viewers) v.res.end(`event: bye\ndata: ${JSON.stringify({ reason })}\n\n`);
    this.viewers.clear();
    this.stats.viewers = 0;
    const server = this.server;
    this.server = null;
    if (server === null) return Promise.resolve();
    return new Promise((resolve) => {
      server.close(() => resolve());
      // Give the goodbyes a moment to leave, then cut what is still open (keep-alive sockets, stuck pages).
      setTimeout(() => {
        for (const s of this.sockets) s.destroy();
      }, 50).unref();
    });
  }

  private address(): string {
    return `${this.host}:${this.boundPort !== 0 ? this.boundPort : this.requestedPort}`;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (!this.hostAllowed(req)) {
      this.stats.refused++;
      this.reply(res, 421, 'this server answers to its loopback address only\n');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (req.method === 'GET' && path === '/') {
      res.setHeader('Content-Security-Policy',
        `default-src 'none'; script-src 'nonce-${this.nonce}'; style-src 'nonce-${this.nonce}'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`);
      res.setHeader('Referrer-Policy', 'no-referrer');
      this.reply(res, 200, this.page, 'text/html; charset=utf-8');
    } else if (req.method === 'GET' && path === '/events') {
      this.openStream(req, res);
    } else if (req.method === 'GET' && path === '/state') {
      this.reply(res, 200, JSON.stringify({ pins: this.pins.states(), console: { total: this.mirror?.total ?? 0 } }), 'application/json');
    } else if (path.startsWith('/pins/')) {
      if (req.method !== 'POST') {
        res.setHeader('Allow', 'POST');
        this.reply(res, 405, 'POST {"pressed": true|false}\n');
        return;
      }
      this.takePress(req, res, decodeURIComponent(path.slice('/pins/'.length)));
    } else {
      this.reply(res, 404, 'not found\n');
    }
  }

  /** True when the request names this server by an address it may be reached by (see the module note). */
  private hostAllowed(req: IncomingMessage): boolean {
    // Offered beyond loopback on purpose: the names it may be reached by are unknowable here.
    if (!isLoopback(this.host)) return true;
    const m = /^(\[[^\]]+\]|[^:]+)(?::([0-9]+))?$/.exec(req.headers.host ?? '');
    return m !== null && isLoopback(m[1].toLowerCase()) && Number(m[2] ?? 80) === this.boundPort;
  }

  private reply(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }

  private takePress(req: IncomingMessage, res: ServerResponse, name: string): void {
    const origin = req.headers.origin;
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if ((origin !== undefined && origin !== `http://${req.headers.host ?? ''}`) || type !== 'application/json') {
      this.stats.refused++;
      this.reply(res, 403, 'presses come from the view\'s own page, as JSON\n');
      return;
    }
    let body = '';
    let tooBig = false;
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      if (tooBig) return;
      body += chunk;
      if (body.length > MAX_BODY) {
        tooBig = true;
        this.stats.refused++;
        this.reply(res, 413, 'body too large\n');
        req.destroy();
      }
    });
    req.on('end', () => {
      if (tooBig) return;
      let pressed: unknown;
      try {
        pressed = (JSON.parse(body) as { pressed?: unknown }).pressed;
      } catch {
        pressed = undefined;
      }
      if (typeof pressed !== 'boolean') {
        this.stats.refused++;
        this.reply(res, 400, 'expected {"pressed": true|false}\n');
        return;
      }
      const line = this.pins.lines.find((l) => l.name === name);
      if (line === undefined) {
        this.reply(res, 404, `no line named ${JSON.stringify(name)}\n`);
        return;
      }
      if (line.direction !== 'input') {
        this.reply(res, 409, `${name} is an output\n`);
        return;
      }
      if (pressed) this.pins.press(name);
      else this.pins.release(name);
      this.stats.presses++;
      res.writeHead(204);
      res.end();
    });
  }

  private openStream(req: IncomingMessage, res: ServerResponse): void {
    if (this.closed) {
      this.reply(res, 503, 'the view is closing\n');
      return;
    }
    if (this.viewers.size >= this.maxViewers) {
      this.stats.viewersRefused++;
      res.setHeader('Retry-After', '5');
      this.reply(res, 503, 'too many viewers\n');
      return;
    }
    // The stream lives as long as the page: no request timeout for it.
    req.socket.setTimeout(0);
    req.socket.setNoDelay(true);
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    res.write('retry: 1000\n\n');
    // A reconnecting page says where it got to (the id of the last console event, `epoch:offset`), so the
    // console is not sent twice; an id from another run of the server does not count.
    const m = /^([0-9a-f]+):([0-9]+)$/.exec(String(req.headers['last-event-id'] ?? ''));
    const last = m !== null && m[1] === this.epoch ? Number(m[2]) : 0;
    const viewer: Viewer = {
      res,
      pinsVersion: -1,
      consoleOffset: Number.isSafeInteger(last) ? Math.min(last, this.mirror?.total ?? 0) : 0,
      blocked: false,
    };
    this.viewers.add(viewer);
    this.stats.viewers = this.viewers.size;
    res.on('close', () => {
      this.viewers.delete(viewer);
      this.stats.viewers = this.viewers.size;
    });
    res.on('error', () => {});
    this.send(viewer);
  }

  private scheduleFlush(): void {
    if (this.flushTimer !== null || this.closed) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.flush();
    }, FRAME_MS);
  }

  private flush(): void {
    for (const v of this.viewers) this.send(v);
  }

  /** Sends a viewer what it lacks, until its connection pushes back. */
  private send(v: Viewer): void {
    if (v.blocked || v.res.writableEnded) return;
    if (v.pinsVersion !== this.pinsVersion) {
      v.pinsVersion = this.pinsVersion;
      if (!this.write(v, `event: pins\ndata: ${JSON.stringify(this.pins.states())}\n\n`)) return;
    }
    const mirror = this.mirror;
    if (mirror === null) return;
    let budget = CONSOLE_PER_FLUSH;
    while (v.consoleOffset < mirror.total && budget > 0) {
      const slice = mirror.since(v.consoleOffset, Math.min(CONSOLE_CHUNK, budget));
      const end = slice.offset + slice.bytes.length;
      v.consoleOffset = end;
      budget -= slice.bytes.length;
      const data = JSON.stringify({ epoch: this.epoch, offset: slice.offset, b64: Buffer.from(slice.bytes).toString('base64'), skipped: slice.skipped });
      if (!this.write(v, `id: ${this.epoch}:${end}\nevent: console\ndata: ${data}\n\n`)) return;
    }
    if (v.consoleOffset < mirror.total) this.scheduleFlush();
  }

  /** Writes an event; on push-back marks the viewer blocked until its connection drains. */
  private write(v: Viewer, event: string): boolean {
    const ok = v.res.write(event);
    this.stats.maxBuffered = Math.max(this.stats.maxBuffered, v.res.writableLength);
    if (ok) return true;
    v.blocked = true;
    v.res.once('drain', () => {
      v.blocked = false;
      this.send(v);
    });
    return false;
  }

  private ping(): void {
    for (const v of this.viewers) if (!v.blocked) this.write(v, ': keep-alive\n\n');
  }
}
