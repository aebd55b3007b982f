/**
 * The picture of the board: an SVG drawing of a small dev board (PCB,
 * USB connector, the RISC-V "SoC", a pin header, status LEDs) with one LED
 * per output line and one push button per input line, each joined to its
 * header pin by a copper trace.
 *
 * Owns the layout and the markup only. Live state is carried by data
 * attributes the page's script and CSS act on: `data-line` (the line's
 * name) on every element that shows a line, `data-lit` on LEDs,
 * `data-pressed` on buttons, `data-level` on all of them. Buttons are
 * `role="button"` with `tabindex="0"`, so they can be pressed from the
 * keyboard. Colours live in the page's stylesheet (classes `c-red`, ...),
 * because the page's content security policy allows no inline styles.
 */

import type { GpioLineWiring } from '../../src/board/board.js';

/** What the drawing needs to know about the board. */
export interface BoardDrawing {
  /** The board's name, printed on the silkscreen. */
  readonly name: string;
  /** The GPIO lines, in any order. */
  readonly lines: readonly GpioLineWiring[];
}

/** LED colours, given to output lines in line-number order. */
export const LED_COLOURS = Object.freeze(['red', 'green', 'amber', 'blue', 'white'] as const);

const W = 760;
const HEADER_Y = 50;
const LED_DX = 100;
const LED_DY = 104;
const BTN_DX = 100;
const BTN_DY = 118;
const ZONE_X = 330;
const COLS_LED = 4;
const COLS_BTN = 4;

/** Escapes text for XML content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const f = (n: number): string => (Math.round(n * 10) / 10).toString();

function pullText(pull: GpioLineWiring['pull']): string {
  return pull === 'up' ? 'pull-up' : pull === 'down' ? 'pull-down' : 'no pull';
}

/** Returns the board as an SVG element (a string), sized by its viewBox to fill its container's width. */
export function renderBoardSvg(board: BoardDrawing): string {
  const lines = [...board.lines].sort((a, b) => a.line - b.line);
  const outputs = lines.filter((l) => l.direction === 'output');
  const inputs = lines.filter((l) => l.direction === 'input');
  const rowsOut = Math.ceil(outputs.length / COLS_LED);
  const rowsIn = Math.ceil(inputs.length / COLS_BTN);

  // Traces run from the header down to a bus lane each, then across to their part: parts start below the lanes.
  const laneTop = HEADER_Y + 34;
  const laneGap = 5;
  const partsTop = Math.max(150, laneTop + lines.length * laneGap + 40);
  const ledY0 = partsTop;
  const btnY0 = partsTop + rowsOut * LED_DY + (rowsOut > 0 ? 14 : 0);
  const contentBottom = btnY0 + rowsIn * BTN_DY;
  const H = Math.max(420, contentBottom + 40);

  // Few parts move towards the middle of the parts zone rather than hug its left edge; LEDs and buttons share columns.
  const usedCols = Math.max(Math.min(outputs.length, COLS_LED), Math.min(inputs.length, COLS_BTN), 1);
  const colX0 = ZONE_X + 30 + ((COLS_BTN - usedCols) * BTN_DX) / 4;
  const pos = new Map<string, { x: number; y: number; top: number }>();
  outputs.forEach((l, i) => {
    const x = colX0 + (i % COLS_LED) * LED_DX;
    const y = ledY0 + Math.floor(i / COLS_LED) * LED_DY + 20;
    pos.set(l.name, { x, y, top: y - 22 });
  });
  inputs.forEach((l, i) => {
    const x = colX0 + (i % COLS_BTN) * BTN_DX;
    const y = btnY0 + Math.floor(i / COLS_BTN) * BTN_DY + 34;
    pos.set(l.name, { x, y, top: y - 30 });
  });

  // The header: 3V3, GND, one pad per line, GND, 5V; spread over what is right of the "GPIO" legend.
  const pads: { label: string; line?: GpioLineWiring }[] = [{ label: '3V3' }, { label: 'GND' }];
  for (const l of lines) pads.push({ label: `IO${l.pin}`, line: l });
  pads.push({ label: 'GND' }, { label: '5V' });
  const padX0 = 250;
  const padSpan = W - 86 - padX0; // clear of the top-right mounting hole
  const padDx = Math.min(30, padSpan / Math.max(1, pads.length - 1));
  const tilt = padDx < 24;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" class="board-svg" role="group" aria-label="${escapeXml(`The ${board.name} board`)}">`);
  out.push(DEFS);
  out.push(`<rect class="pcb" x="16" y="16" width="${W - 32}" height="${H - 32}" rx="22" fill="url(#pcb)" stroke="#0c3a25" stroke-width="3" filter="url(#shadow)"/>`);
  out.push(`<rect x="26" y="26" width="${W - 52}" height="${H - 52}" rx="16" fill="none" stroke="#2f8a5e" stroke-opacity=".35" stroke-width="1.2"/>`);
  for (const [x, y] of [[46, 46], [W - 46, 46], [46, H - 46], [W - 46, H - 46]]) {
    out.push(`<circle cx="${x}" cy="${y}" r="11" fill="#d9ae4c"/><circle cx="${x}" cy="${y}" r="6" fill="#0d2118"/>`);
  }

  // Copper traces, drawn first so the parts sit on top of them.
  out.push('<g class="traces" fill="none" stroke="#48a877" stroke-opacity=".55" stroke-width="2.4" stroke-linejoin="round" stroke-linecap="round">');
  // Only the first row of parts is reached straight down from the lanes. Every other part's trace goes down
  // a gap between columns (LEDs and buttons share one column pitch), then across just above its row, so no
  // trace runs under another part.
  const firstRow = new Set((rowsOut > 0 ? outputs : inputs).slice(0, rowsOut > 0 ? COLS_LED : COLS_BTN));
  const gaps = Array.from({ length: usedCols + 1 }, (_, k) => colX0 + (k - 0.5) * BTN_DX);
  pads.forEach((p, i) => {
    if (p.line === undefined) return;
    const px = padX0 + i * padDx;
    const target = pos.get(p.line.name)!;
    const j = lines.indexOf(p.line);
    const lane = laneTop + j * laneGap;
    if (firstRow.has(p.line)) {
      out.push(`<path d="M${f(px)},${HEADER_Y + 8} V${lane} H${f(target.x)} V${f(target.top)}"/>`);
      return;
    }
    const gap = gaps.reduce((best, g) => (Math.abs(g - target.x) < Math.abs(best - target.x) ? g : best), gaps[0]) + ((j % 3) - 1) * 5;
    const across = target.top - 10 - (j % 3) * 4;
    out.push(`<path d="M${f(px)},${HEADER_Y + 8} V${lane} H${f(gap)} V${f(across)} H${f(target.x)} V${f(target.top)}"/>`);
  });
  // The SoC's own traces: to the USB connector and the status LEDs.
  out.push('<path d="M70,205 H54"/><path d="M70,215 H54"/><path d="M130,270 V300"/><path d="M160,270 V300"/>');
  out.push('</g>');

  // USB connector on the left edge.
  out.push('<g class="usb"><rect x="4" y="188" width="52" height="44" rx="5" fill="url(#metal)" stroke="#7b828b"/><rect x="14" y="200" width="34" height="20" rx="3" fill="#3b4148"/><rect x="18" y="207" width="26" height="6" rx="2" fill="#9aa2ab"/></g>');

  // The SoC.
  out.push('<g class="soc">');
  // Ten legs a side, centred on the package (x 70-220, y 113-257).
  for (let i = 0; i < 10; i++) {
    const lx = 86 + i * 13;
    const ly = 127 + i * 13;
    out.push(`<rect x="${lx}" y="105" width="4" height="10" fill="#c3c8cf"/><rect x="${lx}" y="255" width="4" height="10" fill="#c3c8cf"/>`);
    out.push(`<rect x="62" y="${ly}" width="10" height="4" fill="#c3c8cf"/><rect x="218" y="${ly}" width="10" height="4" fill="#c3c8cf"/>`);
  }
  out.push('<rect x="70" y="113" width="150" height="144" rx="7" fill="url(#chip)" stroke="#050506"/>');
  out.push('<circle cx="86" cy="129" r="5" fill="#2e2f33"/>');
  out.push('<text x="145" y="178" class="chip-text chip-big" text-anchor="middle">xsvisor</text>');
  out.push('<text x="145" y="198" class="chip-text" text-anchor="middle">RV32IMAC</text>');
  out.push('<text x="145" y="214" class="chip-text chip-small" text-anchor="middle">virt · hypervisor</text>');
  out.push('</g>');

  // Crystal and status LEDs under the SoC.
  out.push('<rect x="236" y="132" width="16" height="40" rx="8" fill="url(#metal)" stroke="#7b828b"/><text x="244" y="188" class="silk-small" text-anchor="middle">10M</text>');
  out.push(statusLed(130, 312, 'pwr', 'PWR'));
  out.push(statusLed(160, 312, 'tx', 'TX'));

  // Header.
  out.push(`<text x="${padX0 - 26}" y="${HEADER_Y + 4}" class="silk" text-anchor="end">GPIO</text>`);
  pads.forEach((p, i) => {
    const x = padX0 + i * padDx;
    const attrs = p.line === undefined ? '' : ` data-line="${escapeXml(p.line.name)}" data-level="0"`;
    const shape = i === 0
      ? `<rect class="pad-ring" x="${f(x - 8)}" y="${HEADER_Y - 8}" width="16" height="16" rx="2"/>`
      : `<circle class="pad-ring" cx="${f(x)}" cy="${HEADER_Y}" r="8"/>`;
    const label = tilt
      ? `<text class="silk-small" transform="translate(${f(x + 3)},${HEADER_Y + 18}) rotate(60)">${escapeXml(p.label)}</text>`
      : `<text class="silk-small" x="${f(x)}" y="${HEADER_Y + 22}" text-anchor="middle">${escapeXml(p.label)}</text>`;
    out.push(`<g class="pad"${attrs}>${shape}<circle cx="${f(x)}" cy="${HEADER_Y}" r="3.6" fill="#161a17"/>${label}</g>`);
  });

  outputs.forEach((l, i) => out.push(led(l, pos.get(l.name)!, LED_COLOURS[i % LED_COLOURS.length])));
  inputs.forEach((l) => out.push(button(l, pos.get(l.name)!)));
  if (lines.length === 0) out.push(`<text x="${ZONE_X + 200}" y="${partsTop + 40}" class="silk" text-anchor="middle">no GPIO lines on this board</text>`);

  // Silkscreen legend.
  out.push(`<text x="74" y="${H - 58}" class="silk silk-title">${escapeXml(board.name)}</text>`);
  out.push(`<text x="74" y="${H - 42}" class="silk-small">xsvisor · RISC-V virt · rev A</text>`);
  out.push('</svg>');
  return out.join('\n');
}

function statusLed(x: number, y: number, id: string, label: string): string {
  return `<g class="status-led" id="led-${id}" data-on="${id === 'pwr' ? 'true' : 'false'}">`
    + `<circle class="glow" cx="${x}" cy="${y + 4}" r="14" fill="url(#glow-${id === 'pwr' ? 'green' : 'amber'})"/>`
    + `<rect x="${x - 8}" y="${y}" width="16" height="9" rx="1.5" fill="#e9ecef"/>`
    + `<rect class="lens ${id === 'pwr' ? 'c-green' : 'c-amber'}" x="${x - 5}" y="${y}" width="10" height="9"/>`
    + `<text x="${x}" y="${y + 24}" class="silk-small" text-anchor="middle">${label}</text></g>`;
}

function led(l: GpioLineWiring, p: { x: number; y: number }, colour: string): string {
  const name = escapeXml(l.name);
  const { x, y } = p;
  return `<g class="led c-${colour}" data-line="${name}" data-lit="false" data-level="0" role="img" aria-label="LED ${name} (GPIO line ${l.line}, pin ${l.pin}): off">`
    + `<circle class="glow" cx="${x}" cy="${y}" r="42" fill="url(#glow-${colour})"/>`
    + `<circle cx="${x}" cy="${y}" r="22" fill="none" class="silk-line"/>`
    + `<circle class="rim" cx="${x}" cy="${y}" r="16"/>`
    + `<circle class="lens" cx="${x}" cy="${y}" r="12.5"/>`
    + `<ellipse cx="${x - 4}" cy="${y - 5}" rx="5" ry="3.2" fill="#fff" opacity=".45"/>`
    + `<text x="${x}" y="${y + 40}" class="silk" text-anchor="middle">${name}</text>`
    + `<text x="${x}" y="${y + 54}" class="silk-small" text-anchor="middle">IO${l.pin} · line ${l.line}</text></g>`;
}

function button(l: GpioLineWiring, p: { x: number; y: number }): string {
  const name = escapeXml(l.name);
  const { x, y } = p;
  const legs = [[-31, -18], [25, -18], [-31, 12], [25, 12]]
    .map(([dx, dy]) => `<rect x="${x + dx}" y="${y + dy}" width="6" height="6" fill="#a7adb4"/>`).join('');
  const rivets = [[-19, -19], [19, -19], [-19, 19], [19, 19]]
    .map(([dx, dy]) => `<circle cx="${x + dx}" cy="${y + dy}" r="2.4" fill="#7d848c"/>`).join('');
  return `<g class="button" data-line="${name}" data-pressed="false" data-level="0" role="button" tabindex="0" aria-pressed="false" `
    + `aria-label="Button ${name} (GPIO line ${l.line}, pin ${l.pin}, ${pullText(l.pull)}): hold to press">`
    + `<rect class="focus" x="${x - 38}" y="${y - 38}" width="76" height="76" rx="12"/>`
    + legs
    + `<rect x="${x - 26}" y="${y - 26}" width="52" height="52" rx="5" fill="url(#metal)" stroke="#858c94"/>`
    + rivets
    + `<circle cx="${x}" cy="${y + 2}" r="17" fill="#000" opacity=".35"/>`
    + `<circle class="cap" cx="${x}" cy="${y}" r="16.5"/>`
    + `<text x="${x}" y="${y + 52}" class="silk" text-anchor="middle">${name}</text>`
    + `<text x="${x}" y="${y + 66}" class="silk-small" text-anchor="middle">IO${l.pin} · ${pullText(l.pull)}</text></g>`;
}

/** Gradients and filters; the glows' colours match the page's LED classes. */
const GLOWS: readonly [string, string][] = [
  ['red', '#ff5a4e'], ['green', '#4dff88'], ['amber', '#ffc23d'], ['blue', '#4aa8ff'], ['white', '#f4f7ff'],
];

const DEFS = [
  '<defs>',
  '<linearGradient id="pcb" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#1f7a4f"/><stop offset="1" stop-color="#135436"/></linearGradient>',
  '<linearGradient id="metal" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#eef1f4"/><stop offset="1" stop-color="#a9b0b8"/></linearGradient>',
  '<linearGradient id="chip" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#2a2b30"/><stop offset="1" stop-color="#111214"/></linearGradient>',
  '<radialGradient id="cap" cx=".4" cy=".35" r=".7"><stop offset="0" stop-color="#55565c"/><stop offset="1" stop-color="#141416"/></radialGradient>',
  '<radialGradient id="cap-down" cx=".5" cy=".5" r=".7"><stop offset="0" stop-color="#1c1c1f"/><stop offset="1" stop-color="#08080a"/></radialGradient>',
  ...GLOWS.map(([n, c]) => `<radialGradient id="glow-${n}"><stop offset="0" stop-color="${c}" stop-opacity=".95"/><stop offset=".35" stop-color="${c}" stop-opacity=".45"/><stop offset="1" stop-color="${c}" stop-opacity="0"/></radialGradient>`),
  '<filter id="shadow" x="-10%" y="-10%" width="120%" height="125%"><feDropShadow dx="0" dy="8" stdDeviation="9" flood-color="#000" flood-opacity=".55"/></filter>',
  '</defs>',
].join('');
