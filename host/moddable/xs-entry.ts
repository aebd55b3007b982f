/**
 * The entry of the XS bundle (see xs.ts): runs src/moddable/main.ts in an
 * xsnap worker on a simulated board whose far ends live in Node.
 *
 * Everything crosses through xsnap's synchronous `issueCommand`, one byte
 * of operation then a payload:
 * - `S` set-up: Node answers JSON {boardText, boardFile, guestName, config};
 * - `R` resource NAME: 1 then the bytes, or 0 when there is none;
 * - `T` bytes the guest's UART put on the wire; `P` poll; `W` wait up to
 *   MS milliseconds (Node answers early when input arrives): each is
 *   answered with a flags byte (1 = stop the guest) then input bytes;
 * - `L` traced text; `X` the app's result as JSON.
 * The Timer stand-in blocks in `W` when nothing else is queued, so an
 * idle guest sleeps instead of spinning the worker.
 */

import { parseBoard } from '../../src/board/index.js';
import main, { type MainRun } from 'xsvisor:moddable-main';
import { setUpHostBoard } from './device.js';
import { setIdleWaiter } from './loop.js';
import Timer, { timerStats } from './timer.js';

declare const issueCommand: (request: ArrayBuffer) => ArrayBuffer;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function call(op: string, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const request = new Uint8Array(1 + payload.length);
  request[0] = op.charCodeAt(0);
  request.set(payload, 1);
  return new Uint8Array(issueCommand(request.buffer));
}

interface SetUp {
  readonly boardText: string;
  readonly boardFile: string;
  readonly guestName: string;
  readonly config: Record<string, unknown>;
}

const setup = JSON.parse(decoder.decode(call('S'))) as SetUp;
const found = call('R', encoder.encode(setup.guestName));
if (found[0] !== 1) throw new Error(`the host has no resource ${setup.guestName}`);
const board = parseBoard(setup.boardText, setup.boardFile);
const host = setUpHostBoard({
  board,
  boardText: setup.boardText,
  guest: found.subarray(1),
  guestName: setup.guestName,
  config: setup.config,
  onTrace: (text) => {
    call('L', encoder.encode(text));
  },
});

let running: MainRun | null = null;
let stopping = false;

/** Acts on a `T`/`P`/`W` answer: a stop request, then input for the UART. */
function deliver(answer: Uint8Array): void {
  if ((answer[0] & 1) !== 0 && !stopping && running !== null) {
    stopping = true;
    running.vm.stop('stopped by the host');
  }
  if (answer.length > 1) host.serial?.inject(answer.subarray(1));
}

if (host.serial !== null) host.serial.onTransmit = (bytes) => deliver(call('T', bytes));
setIdleWaiter((ms) => deliver(call('W', encoder.encode(String(Math.ceil(ms))))));
// A guest that polls its UART without ever idling must still see input: look every 20 ms.
const poller = Timer.repeat(() => deliver(call('P')), 20);

void main({ onStart: (run) => { running = run; } }).then((result) => {
  Timer.clear(poller);
  setIdleWaiter(null);
  // Collect now, so the worker's meter (read after this script) counts live slots only: the VM, still referenced, and the code.
  (globalThis as { gc?: () => void }).gc?.();
  const exit = result.ok ? result.exit : undefined;
  call('X', encoder.encode(JSON.stringify({
    ok: result.ok,
    exit: exit === undefined ? undefined : { kind: exit.kind, status: exit.status, source: exit.source, reason: exit.reason },
    error: result.ok ? undefined : String(result.error instanceof Error ? result.error.message : result.error),
    instret: running?.vm.instret ?? 0,
    timers: timerStats,
  })));
});
