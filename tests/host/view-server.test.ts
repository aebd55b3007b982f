/**
 * The board view's server over plain HTTP (no browser): the page is
 * self-contained, presses arrive, foreign hosts and origins are refused,
 * the event stream carries pins and console, a stuck viewer stays bounded,
 * viewers are capped, close() says goodbye.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import type { GpioLineWiring } from '../../src/board/board.js';
import { DigitalMode } from '../../src/ports/index.js';
import { BoardView, BoardViewError, ConsoleMirror, SimulatedBoardPins } from '../../host/view/index.js';
import { waitFor } from './serial-helpers.js';

const LINES: GpioLineWiring[] = [
  { line: 0, name: 'led', pin: 0, direction: 'output', pull: 'none' },
  { line: 1, name: 'button', pin: 1, direction: 'input', pull: 'up' },
];

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function http(port: number, method: string, path: string, options: { headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: options.headers, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(options.body);
  });
}

const press = (port: number, name: string, pressed: boolean, headers: Record<string, string> = {}): Promise<Reply> =>
  http(port, 'POST', `/pins/${name}`, { headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ pressed }) });

/** An event-stream reader that collects parsed events. */
function stream(port: number): Promise<{ events: { event: string; data: string }[]; close: () => void }> {
  return new Promise((resolve, reject) => {
    const events: { event: string; data: string }[] = [];
    const req = request({ host: '127.0.0.1', port, path: '/events' }, (res) => {
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), /^text\/event-stream/);
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length > 0) events.push({ event, data: data.join('\n') });
        }
      });
      resolve({ events, close: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

async function started(extra: { console?: ConsoleMirror; maxViewers?: number } = {}) {
  const pins = new SimulatedBoardPins({ lines: LINES });
  const view = new BoardView({ pins, boardName: 'host-sim', ...extra });
  const url = await view.start();
  return { pins, view, url, port: view.port };
}

describe('BoardView server', () => {
  it('serves a self-contained page on 127.0.0.1 under a strict content security policy', async () => {
    const { view, url, port } = await started();
    try {
      assert.equal(url, `http://127.0.0.1:${port}/`);
      const r = await http(port, 'GET', '/');
      assert.equal(r.status, 200);
      const csp = String(r.headers['content-security-policy']);
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /connect-src 'self'/);
      // Nothing from elsewhere: the only URL in the page is the SVG namespace, which is a name, not a fetch.
      const urls = r.body.match(/https?:\/\/[^\s"'<>)]+/g) ?? [];
      assert.deepEqual([...new Set(urls)], ['http://www.w3.org/2000/svg']);
      assert.doesNotMatch(r.body, /<(link|script|img)[^>]+(href|src)="(?!data:)/);
      assert.match(r.body, /data-line="led"/);
      assert.match(r.body, /role="button"[^>]*tabindex="0"|tabindex="0"[^>]*role="button"/);
      const nonce = /script-src 'nonce-([^']+)'/.exec(csp)![1];
      assert.ok(r.body.includes(`<script nonce="${nonce}">`));
    } finally {
      await view.close();
    }
  });

  it('takes presses as JSON posts and refuses the rest', async () => {
    const { pins, view, port } = await started();
    try {
      assert.equal((await press(port, 'button', true)).status, 204);
      assert.equal(pins.isPressed('button'), true);
      assert.equal(pins.level('button'), 0);
      assert.equal((await press(port, 'button', false, { origin: `http://127.0.0.1:${port}` })).status, 204);
      assert.equal(pins.level('button'), 1);
      assert.equal((await press(port, 'led', true)).status, 409);
      assert.equal((await press(port, 'nope', true)).status, 404);
      assert.equal((await press(port, 'button', true, { origin: 'http://evil.example' })).status, 403);
      assert.equal((await http(port, 'POST', '/pins/button', { headers: { 'content-type': 'text/plain' }, body: '{"pressed":true}' })).status, 403);
      assert.equal((await http(port, 'POST', '/pins/button', { headers: { 'content-type': 'application/json' }, body: '{"pressed":1}' })).status, 400);
      assert.equal((await http(port, 'GET', '/pins/button')).status, 405);
      assert.equal((await http(port, 'GET', '/', { headers: { host: `rebound.example:${port}` } })).status, 421);
      assert.equal((await http(port, 'GET', '/', { headers: { host: `localhost:${port}` } })).status, 200);
      assert.equal(pins.isPressed('button'), false, 'no refused request pressed anything');
      assert.equal(view.stats.presses, 2);
      const state = JSON.parse((await http(port, 'GET', '/state')).body) as { pins: { name: string; level: number }[] };
      assert.deepEqual(state.pins.map((p) => [p.name, p.level]), [['led', 0], ['button', 1]]);
    } finally {
      await view.close();
    }
  });

  it('streams pin changes and console output, and says goodbye on close', async () => {
    const mirror = new ConsoleMirror();
    const { pins, view, port } = await started({ console: mirror });
    const s = await stream(port);
    try {
      await waitFor(() => s.events.some((e) => e.event === 'pins'), 'the first pins event');
      const led = pins.factory('led')({ mode: DigitalMode.Output });
      led.write(1);
      await waitFor(() => s.events.some((e) => e.event === 'pins' && (JSON.parse(e.data) as { name: string; lit: boolean }[]).some((p) => p.name === 'led' && p.lit)), 'the LED lit in the stream');
      mirror.pushBytes('hello, board\n');
      await waitFor(() => s.events.some((e) => e.event === 'console'), 'console output');
      const c = JSON.parse(s.events.find((e) => e.event === 'console')!.data) as { offset: number; b64: string };
      assert.equal(c.offset, 0);
      assert.equal(Buffer.from(c.b64, 'base64').toString('latin1'), 'hello, board\n');
      await view.close('guest exited');
      await waitFor(() => s.events.some((e) => e.event === 'bye'), 'the goodbye');
      assert.deepEqual(JSON.parse(s.events.find((e) => e.event === 'bye')!.data), { reason: 'guest exited' });
    } finally {
      s.close();
      await view.close();
    }
  });

  it('keeps a stuck viewer bounded: it is skipped, not buffered for', async () => {
    const mirror = new ConsoleMirror({ capacity: 1024 * 1024 });
    const { view, port } = await started({ console: mirror });
    // A viewer that asks for the stream and never reads it.
    const stuck = connect({ host: '127.0.0.1', port });
    let closeReader = (): void => {};
    try {
      await new Promise<void>((r) => stuck.once('connect', () => r()));
      stuck.pause();
      stuck.write(`GET /events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
      await waitFor(() => view.stats.viewers === 1, 'the viewer');
      // A viewer that reads: once it has the last byte, the server has been through every viewer after the last output.
      const reader = await stream(port);
      closeReader = reader.close;
      await waitFor(() => view.stats.viewers === 2, 'the reading viewer');
      const readTo = (): number => reader.events.filter((e) => e.event === 'console').reduce((end, e) => {
        const d = JSON.parse(e.data) as { offset: number; b64: string };
        return Math.max(end, d.offset + Buffer.from(d.b64, 'base64').length);
      }, 0);
      const chunk = 'x'.repeat(64 * 1024);
      for (let i = 0; i < 160; i++) {
        // 10 MiB of output, far beyond the socket's buffers, each chunk once the reader has the one before.
        mirror.pushBytes(chunk);
        await waitFor(() => readTo() === mirror.total, `chunk ${i} at the reading viewer`, 10_000);
      }
      assert.ok(view.stats.maxBuffered < 256 * 1024, `buffered ${view.stats.maxBuffered} bytes for a stuck viewer`);
      assert.ok(view.stats.maxBuffered > 0, 'the connection pushed back (else the test proves nothing)');
    } finally {
      closeReader();
      stuck.destroy();
      await view.close();
    }
  });

  it('caps viewers, refuses a port in use and bad options', async () => {
    const { view, port } = await started({ maxViewers: 1 });
    const first = await stream(port);
    try {
      await waitFor(() => view.stats.viewers === 1, 'the first viewer');
      const r = await http(port, 'GET', '/events');
      assert.equal(r.status, 503);
      assert.equal(view.stats.viewersRefused, 1);
      const pins = new SimulatedBoardPins({ lines: LINES });
      const other = new BoardView({ pins, port });
      await assert.rejects(other.start(), (e: unknown) => e instanceof BoardViewError && e.reason === 'address-in-use');
      await other.close();
      assert.throws(() => new BoardView({ pins, port: -1 }), (e: unknown) => e instanceof BoardViewError && e.reason === 'bad-option');
    } finally {
      first.close();
      await view.close();
    }
  });
});
