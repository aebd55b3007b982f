/**
 * The entry of the XS bundle (see xs.ts): runs src/moddable/main.ts in an
 * xsnap worker on a simulated board whose far ends live in Node. Everything
 * crosses through the XS bridge (host/xs/bridge.ts, host/xs/protocol.ts):
 * SETUP (JSON {boardText, boardFile, guestName, config, resources}), IMAGE (the
 * guest), the UART's bytes, LOG (traced text) and EXIT (the app's result).
 * The Timer stand-in blocks in the bridge's idle wait when nothing else is
 * queued, so an idle guest sleeps instead of spinning the worker.
 */

import { parseBoard } from '../../src/board/index.js';
import main, { type MainRun } from 'xsvisor:moddable-main';
import { INPUT_CAPACITY, XsBridge } from '../xs/bridge.js';
import { OP } from '../xs/protocol.js';
import { setUpHostBoard, type HostBoard } from './device.js';
import { setIdleWaiter } from './loop.js';
import Timer, { timerStats } from './timer.js';

declare const issueCommand: (request: ArrayBuffer) => ArrayBuffer;

interface SetUp {
  readonly boardText: string;
  readonly boardFile: string;
  readonly guestName: string;
  readonly config: Record<string, unknown>;
  /** More resources, each as Latin-1 text (a byte per character). */
  readonly resources?: Record<string, string>;
}

let host: HostBoard | null = null;
// Input goes to the board's serial line; its backlog is bounded by the room reported.
const bridge = new XsBridge((request) => issueCommand(request), {
  room: () => (host?.serial === null || host === null ? 0 : Math.max(0, INPUT_CAPACITY - host.serial.backlog.length)),
  push: (bytes) => host?.serial?.inject(bytes),
});
const setup = JSON.parse(new TextDecoder().decode(bridge.send(OP.SETUP))) as SetUp;
const board = parseBoard(setup.boardText, setup.boardFile);
host = setUpHostBoard({
  board,
  boardText: setup.boardText,
  guest: bridge.send(OP.IMAGE),
  guestName: setup.guestName,
  config: setup.config,
  resources: Object.fromEntries(Object.entries(setup.resources ?? {}).map(([name, text]) => {
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return [name, bytes];
  })),
  onTrace: (text) => bridge.log(text),
});

let running: MainRun | null = null;
let stopFor: string | null = null;
bridge.onStop = (reason) => {
  stopFor = reason;
  running?.stop(reason);
};
if (host.serial !== null) host.serial.onTransmit = (bytes) => bridge.transmit(bytes);
setIdleWaiter((ms) => bridge.wait(ms));
// A guest that polls its UART without ever idling must still see input: look every 20 ms.
const poller = Timer.repeat(() => bridge.sync(), 20);

void main({
  onStart: (run) => {
    running = run;
    if (stopFor !== null) run.stop(stopFor);
  },
}).then((result) => {
  Timer.clear(poller);
  setIdleWaiter(null);
  // Collect now, so the worker's meter (read after this script) counts live slots only: the VM, still referenced, and the code.
  (globalThis as { gc?: () => void }).gc?.();
  const exit = result.ok ? result.exit : undefined;
  bridge.send(OP.EXIT, new TextEncoder().encode(JSON.stringify({
    ok: result.ok,
    exit: exit === undefined ? undefined : { kind: exit.kind, status: exit.status, source: exit.source, reason: exit.reason },
    error: result.ok ? undefined : String(result.error instanceof Error ? result.error.message : result.error),
    instret: running?.vm.instret ?? 0,
    config: !result.ok || result.config === null ? null : {
      status: result.config.status,
      vms: result.config.outcomes.map((o) => ({ name: o.name, kind: o.exit.kind, status: o.exit.status, restarts: o.restarts })),
    },
    timers: timerStats,
  })));
});
