/**
 * The board view's web page: one self-contained HTML document (inline CSS,
 * SVG and script; nothing fetched but its own server's event stream and
 * button posts).
 *
 * Owns the look and the browser-side behaviour: the board picture
 * (board-svg.ts), the pin list, the console pane (at most 200 000
 * characters, oldest dropped), the EventSource on `/events`, and
 * `POST /pins/NAME` when a button is held by mouse, finger or Space/Enter.
 * Posts go one after another, so a quick click never arrives as release
 * before press.
 */

import type { GpioLineWiring } from '../../src/board/board.js';
import { escapeXml } from './board-svg.js';

/** What the page is made of. */
export interface PageContent {
  /** The board's name (title and heading). */
  readonly boardName: string;
  /** The board's SVG (from renderBoardSvg). */
  readonly svg: string;
  /** The lines, for the pin list. */
  readonly lines: readonly GpioLineWiring[];
  /** The nonce the content security policy allows the inline style and script with. */
  readonly nonce: string;
}

/** Returns the page's HTML. */
export function renderPage(c: PageContent): string {
  const chips = [...c.lines].sort((a, b) => a.line - b.line).map((l) => {
    const what = l.direction === 'output' ? 'LED' : `button, ${l.pull === 'up' ? 'pull-up' : l.pull === 'down' ? 'pull-down' : 'no pull'}`;
    return `<li class="chip" data-line="${escapeXml(l.name)}" data-level="0" data-mode="closed">`
      + `<span class="dot" aria-hidden="true"></span><b>${escapeXml(l.name)}</b>`
      + `<span class="muted">line ${l.line} · IO${l.pin} · ${what}</span>`
      + `<span class="chip-mode">closed</span><span class="chip-level">LOW</span></li>`;
  }).join('\n');
  const title = `xsvisor · ${escapeXml(c.boardName)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="dark">
<link rel="icon" href="data:,">
<title>${title}</title>
<style nonce="${c.nonce}">${CSS}</style>
</head>
<body>
<header>
  <h1><span class="logo" aria-hidden="true">◆</span> xsvisor <span class="muted">· ${escapeXml(c.boardName)}</span></h1>
  <p id="status" class="status" data-state="connecting" role="status"><span class="dot" aria-hidden="true"></span><span>connecting…</span></p>
</header>
<main>
  <section class="board" aria-label="Board">
${c.svg}
  </section>
  <ul class="chips" aria-label="GPIO lines">
${chips}
  </ul>
  <p class="hint">Hold a button with the mouse, or focus it (Tab) and hold Space or Enter. LEDs light while the guest drives their line high.</p>
  <section class="terminal" aria-label="UART0 console">
    <div class="bar"><span class="lights" aria-hidden="true"><i></i><i></i><i></i></span><span>UART0 · console</span><span class="muted">read-only mirror</span></div>
    <pre id="console" role="log" aria-live="off" tabindex="0"></pre>
  </section>
</main>
<script nonce="${c.nonce}">${SCRIPT}</script>
</body>
</html>
`;
}

const CSS = `
:root { --bg: #14171b; --fg: #d9dfe6; --muted: #8b96a3; --panel: #0b0e11; --edge: #2a3139; }
* { box-sizing: border-box; }
html { background: var(--bg) radial-gradient(ellipse at 30% -10%, #2c333c 0%, var(--bg) 55%) no-repeat; min-height: 100%; }
body { margin: 0; color: var(--fg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header { display: flex; align-items: center; justify-content: space-between; max-width: 1000px; margin: 0 auto; padding: 18px 24px 6px; }
h1 { font-size: 19px; font-weight: 650; margin: 0; letter-spacing: .2px; }
.logo { color: #4dd68a; }
.muted { color: var(--muted); font-weight: 400; }
.status { margin: 0; display: inline-flex; align-items: center; gap: 8px; padding: 4px 12px; border-radius: 999px; border: 1px solid var(--edge); background: #1b2026; font-size: 13px; }
.status .dot { width: 9px; height: 9px; border-radius: 50%; background: #8b96a3; }
.status[data-state="live"] .dot { background: #39d67a; box-shadow: 0 0 8px #39d67a; }
.status[data-state="down"] .dot { background: #ffb02e; }
.status[data-state="stopped"] .dot, .status[data-state="error"] .dot { background: #ff5a4e; }
main { max-width: 1000px; margin: 0 auto; padding: 8px 24px 32px; display: grid; gap: 14px; }
.board svg { display: block; width: 100%; height: auto; user-select: none; -webkit-user-select: none; touch-action: none; }
.silk { fill: #eef7f1; font: 600 13px ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
.silk-title { font-size: 17px; letter-spacing: 1px; }
.silk-small { fill: #cfe6d9; font: 10px ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; opacity: .85; }
.silk-line { stroke: #eef7f1; stroke-opacity: .45; stroke-width: 1.2; }
.chip-text { fill: #c9ccd2; font: 600 12px ui-monospace, Menlo, Consolas, monospace; letter-spacing: 1px; }
.chip-big { font-size: 17px; fill: #e6e8ec; }
.chip-small { font-size: 9px; fill: #8e939b; font-weight: 400; }
.pad .pad-ring { fill: #d9ae4c; transition: fill .12s; }
.pad[data-level="1"] .pad-ring { fill: #ffe07a; }
.led .rim { fill: #c9ced6; }
.led .glow, .status-led .glow { opacity: 0; transition: opacity .08s; }
.led[data-lit="true"] .glow, .led[data-flash="true"] .glow, .status-led[data-on="true"] .glow { opacity: 1; }
.c-red .lens { fill: #5b1713; } .c-red[data-lit="true"] .lens, .c-red[data-flash="true"] .lens { fill: #ff5a4e; }
.c-green .lens { fill: #123f22; } .c-green[data-lit="true"] .lens, .c-green[data-flash="true"] .lens { fill: #5dff95; }
.c-amber .lens { fill: #4f3a0c; } .c-amber[data-lit="true"] .lens, .c-amber[data-flash="true"] .lens { fill: #ffc847; }
.c-blue .lens { fill: #102f52; } .c-blue[data-lit="true"] .lens, .c-blue[data-flash="true"] .lens { fill: #6cb8ff; }
.c-white .lens { fill: #3a3d44; } .c-white[data-lit="true"] .lens, .c-white[data-flash="true"] .lens { fill: #ffffff; }
.status-led .lens.c-green { fill: #123f22; } .status-led[data-on="true"] .lens.c-green { fill: #5dff95; }
.status-led .lens.c-amber { fill: #4f3a0c; } .status-led[data-on="true"] .lens.c-amber { fill: #ffc847; }
.button { cursor: pointer; outline: none; }
.button .cap { fill: url(#cap); transform-box: fill-box; transform-origin: center; transition: transform .06s; }
.button:hover .cap { fill: #3a3b41; }
.button[data-pressed="true"] .cap { fill: url(#cap-down); transform: translateY(1.5px) scale(.9); }
.button .focus { fill: none; stroke: #8ecbff; stroke-width: 3; stroke-dasharray: 6 4; opacity: 0; }
.button:focus-visible .focus { opacity: 1; }
.chips { list-style: none; display: flex; flex-wrap: wrap; gap: 8px; margin: 0; padding: 0; }
.chip { display: inline-flex; align-items: center; gap: 8px; padding: 5px 12px; border: 1px solid var(--edge); border-radius: 999px; background: #1a1f25; font-size: 13px; }
.chip .dot { width: 8px; height: 8px; border-radius: 50%; background: #39424c; }
.chip[data-level="1"] .dot { background: #ffd45c; box-shadow: 0 0 6px #ffd45c; }
.chip-mode { color: var(--muted); font-size: 12px; }
.chip-level { font: 600 11px ui-monospace, Menlo, Consolas, monospace; padding: 1px 6px; border-radius: 5px; background: #262d35; color: #aab4bf; }
.chip[data-level="1"] .chip-level { background: #5a4712; color: #ffe49a; }
.hint { margin: 0; color: var(--muted); font-size: 13px; }
.terminal { border: 1px solid var(--edge); border-radius: 12px; overflow: hidden; background: var(--panel); box-shadow: 0 10px 30px rgba(0,0,0,.35); }
.bar { display: flex; align-items: center; gap: 12px; padding: 8px 14px; background: #161b21; border-bottom: 1px solid var(--edge); font-size: 13px; }
.bar .muted { margin-left: auto; font-size: 12px; }
.lights { display: inline-flex; gap: 6px; } .lights i { width: 11px; height: 11px; border-radius: 50%; background: #ff5f57; display: inline-block; }
.lights i:nth-child(2) { background: #febc2e; } .lights i:nth-child(3) { background: #28c840; }
#console { margin: 0; padding: 12px 16px; height: 280px; overflow: auto; color: #b8f5c9; white-space: pre-wrap; word-break: break-all;
  font: 13px/1.4 ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; outline: none; }
#console:empty::before { content: "waiting for the guest to print…"; color: #4d5a66; }
`;

const SCRIPT = String.raw`
(function () {
  'use strict';
  var MAX_TEXT = 200000;
  var byLine = new Map();
  document.querySelectorAll('[data-line]').forEach(function (el) {
    var n = el.getAttribute('data-line');
    if (!byLine.has(n)) byLine.set(n, []);
    byLine.get(n).push(el);
  });
  var statusEl = document.getElementById('status');
  var out = document.getElementById('console');
  var txLed = document.getElementById('led-tx');
  var seenChanges = new Map();
  var held = new Set();

  function setStatus(state, text) {
    statusEl.setAttribute('data-state', state);
    statusEl.lastChild.textContent = text;
    document.body.setAttribute('data-connection', state);
  }

  function flash(el) {
    el.setAttribute('data-flash', 'true');
    setTimeout(function () { el.removeAttribute('data-flash'); }, 90);
  }

  function applyPin(p) {
    var els = byLine.get(p.name);
    if (!els) return;
    var before = seenChanges.get(p.name);
    seenChanges.set(p.name, p.changes);
    els.forEach(function (el) {
      el.setAttribute('data-level', String(p.level));
      el.setAttribute('data-mode', p.mode);
      if (el.classList.contains('led')) {
        el.setAttribute('data-lit', String(p.lit));
        el.setAttribute('aria-label', el.getAttribute('aria-label').replace(/: (on|off)$/, p.lit ? ': on' : ': off'));
        // Dark now, but it changed at least twice since the last update: a blink shorter than a frame. Show it.
        if (!p.lit && before !== undefined && p.changes - before >= 2) flash(el);
      } else if (el.classList.contains('button')) {
        if (!held.has(p.name)) {
          el.setAttribute('data-pressed', String(p.pressed));
          el.setAttribute('aria-pressed', String(p.pressed));
        }
      } else if (el.classList.contains('chip')) {
        el.querySelector('.chip-level').textContent = p.level ? 'HIGH' : 'LOW';
        el.querySelector('.chip-mode').textContent = p.mode;
      }
    });
  }

  // Console: text kept here, drawn once per frame; ANSI sequences stripped, backspace honoured.
  var decoder = new TextDecoder('utf-8');
  var text = '';
  var nextOffset = 0;
  var epoch = null;
  var drawPending = false;
  var follow = true;
  out.addEventListener('scroll', function () {
    follow = out.scrollTop + out.clientHeight >= out.scrollHeight - 8;
  });
  function draw() {
    drawPending = false;
    out.textContent = text;
    if (follow) out.scrollTop = out.scrollHeight;
  }
  function append(s) {
    s = s.replace(/\x1b\[[0-9;?]*[ -\/]*[@-~]/g, '')
      .replace(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)?/g, '')
      .replace(/\x1b[@-_]?/g, '')
      .replace(/\r\n/g, '\n');
    for (var i = 0; i < s.length; i++) {
      var ch = s.charCodeAt(i);
      if (ch === 8 || ch === 127) text = text.slice(0, -1);
      else if (ch === 10 || ch === 9 || ch >= 32) text += s[i];
      // Other control characters (a lone CR, BEL, NUL) are not shown.
    }
    if (text.length > MAX_TEXT) text = text.slice(text.length - MAX_TEXT / 2);
    if (!drawPending) {
      drawPending = true;
      requestAnimationFrame(draw);
    }
  }
  var txTimer = 0;
  function blinkTx() {
    if (!txLed) return;
    txLed.setAttribute('data-on', 'true');
    clearTimeout(txTimer);
    txTimer = setTimeout(function () { txLed.setAttribute('data-on', 'false'); }, 70);
  }
  function onConsole(m) {
    var bin = atob(m.b64);
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    if (epoch !== null && m.epoch !== epoch) {
      // The page reconnected to a later run on the same port: its offsets start again from 0.
      append('\n--- a new run ---\n');
      nextOffset = 0;
      decoder = new TextDecoder('utf-8');
    }
    epoch = m.epoch;
    if (m.offset + bytes.length <= nextOffset) return; // already shown (resent after a reconnect)
    var start = m.offset < nextOffset ? nextOffset - m.offset : 0;
    if (m.offset > nextOffset) append('\n[' + (m.offset - nextOffset) + ' earlier bytes were not kept]\n');
    nextOffset = m.offset + bytes.length;
    append(decoder.decode(bytes.subarray(start), { stream: true }));
    blinkTx();
  }

  // Buttons: one post after another, so a release never overtakes its press.
  var queue = Promise.resolve();
  function post(name, pressed) {
    queue = queue.then(function () {
      return fetch('/pins/' + encodeURIComponent(name), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ pressed: pressed }),
      });
    }).then(function (r) {
      if (!r.ok) setStatus('error', 'button refused (' + r.status + ')');
    }).catch(function () {});
  }
  function setPressed(el, name, down) {
    if (down === held.has(name)) return;
    if (down) held.add(name); else held.delete(name);
    el.setAttribute('data-pressed', String(down));
    el.setAttribute('aria-pressed', String(down));
    post(name, down);
  }
  var buttons = [];
  document.querySelectorAll('.button[data-line]').forEach(function (el) {
    var name = el.getAttribute('data-line');
    var up = function () { setPressed(el, name, false); };
    buttons.push(up);
    el.addEventListener('pointerdown', function (e) {
      if (e.button !== 0) return;
      e.preventDefault();
      el.focus({ preventScroll: true });
      try { el.setPointerCapture(e.pointerId); } catch (err) { /* the pointer is gone already */ }
      setPressed(el, name, true);
    });
    el.addEventListener('pointerup', up);
    el.addEventListener('pointercancel', up);
    el.addEventListener('lostpointercapture', up);
    el.addEventListener('keydown', function (e) {
      if (e.key !== ' ' && e.key !== 'Enter') return;
      e.preventDefault();
      if (!e.repeat) setPressed(el, name, true);
    });
    el.addEventListener('keyup', function (e) {
      if (e.key !== ' ' && e.key !== 'Enter') return;
      e.preventDefault();
      up();
    });
    el.addEventListener('blur', up);
  });
  // A button held while the window loses focus would otherwise stay down.
  window.addEventListener('blur', function () { buttons.forEach(function (up) { up(); }); });

  var es = new EventSource('/events');
  es.addEventListener('open', function () { setStatus('live', 'live'); });
  es.addEventListener('error', function () {
    if (statusEl.getAttribute('data-state') !== 'stopped') setStatus('down', 'reconnecting…');
  });
  es.addEventListener('pins', function (e) { JSON.parse(e.data).forEach(applyPin); });
  es.addEventListener('console', function (e) { onConsole(JSON.parse(e.data)); });
  es.addEventListener('bye', function (e) {
    es.close();
    setStatus('stopped', JSON.parse(e.data).reason || 'stopped');
  });
})();
`;
