/**
 * The xsvisor app on a Moddable host: reads the board file and the guest
 * image from flash, wires UART0 and the GPIO lines to ECMA-419 IO, and
 * runs the VM in slices on Timer until the guest ends; with a monitor
 * configuration in flash (`vms.json`), runs its VMs instead (vms.ts).
 *
 * Everything it touches comes in through {@link ModdableHost} (main.ts on a
 * board, host/moddable/ under Node and xsnap); nothing runs at load, so it
 * can be preloaded. The board file is the resource `board.json`. Build
 * settings come in `config` (mc/config): `platform` (`esp32`, `rp2040`; a
 * board file for another is refused), `guest` (the image's resource,
 * default `guest.elf`), `slice` (instructions per turn, default 1000).
 * See docs/design.md#the-board-app.
 */

import type Digital from 'embedded:io/digital';
import type Serial from 'embedded:io/serial';
import type Resource from 'Resource';
import type Time from 'time';
import type Timer from 'timer';
import { formatSize, parseBoard, type Board } from '../board/index.js';
import { formatAddr } from '../addr/index.js';
import { runVm, VirtVm, type VmExit } from '../monitor/index.js';
import { ModdableAppError } from './errors.js';
import { digitalPinFactory, moddableClock, serialPortFactory, sharedConsole, timerScheduler, type HeldDigitalPinFactory, type SerialGlueStats, type SharedConsole } from './glue.js';
import { minimumRam, planGuestImage, type GuestImagePlan } from './image.js';
import { decodeUtf8, resourceBytes } from './resources.js';
import { CONFIG_RESOURCE, startConfig, type ConfigResult, type ConfigRun } from './vms.js';

/** What the app needs from its host: Moddable's modules and classes, or stand-ins for them. */
export interface ModdableHost {
  /** ECMA-419 `embedded:io/serial`. */
  readonly Serial: typeof Serial;
  /** ECMA-419 `embedded:io/digital`. */
  readonly Digital: typeof Digital;
  /** The `timer` module. */
  readonly Timer: typeof Timer;
  /** The `Resource` module: read-only data in flash. */
  readonly Resource: typeof Resource;
  /** The `time` module. */
  readonly Time: typeof Time;
  /** Build settings (`mc/config`); see the module note for the keys. */
  readonly config: { readonly [key: string]: unknown };
  /** Where the monitor's own messages go, one line per call (`trace` on a board). */
  log(line: string): void;
}

/** Values used when the build does not set them. */
export const APP_DEFAULTS = Object.freeze({
  guest: 'guest.elf',
  /**
   * Instructions per turn of the event loop. XS on a microcontroller runs
   * tens of thousands of guest instructions a second, so 1000 keeps a turn
   * in the tens of milliseconds: IO callbacks stay prompt and the ESP32's
   * task watchdog stays fed.
   */
  slice: 1000,
  /** Longest wait for UART0's FIFO to drain into the port after the guest ends, in milliseconds. */
  drainMs: 2000,
});

/** A started guest, or a started configuration (see vms.ts). */
export interface AppRun {
  readonly board: Board;
  /** The guest's image plan; with a configuration, the first VM's. */
  readonly plan: GuestImagePlan;
  /** The guest's VM; with a configuration, the first VM's. */
  readonly vm: VirtVm;
  /** The configuration's run, or null when flash holds one guest. */
  readonly config: ConfigRun | null;
  /** Stops every VM that still runs, for `reason`. */
  stop(reason: string): void;
  /** Resolves when the guest has ended and UART0's last bytes have gone to the port (with a configuration: the deciding VM's exit). Never rejects. */
  readonly done: Promise<VmExit>;
}

/** How a run of the app ended; `config` holds every VM's outcome and the run's status when flash held a configuration. */
export type AppResult =
  | { readonly ok: true; readonly exit: VmExit; readonly board: Board; readonly plan: GuestImagePlan; readonly config: ConfigResult | null }
  | { readonly ok: false; readonly error: unknown };

function configString(config: ModdableHost['config'], key: string, fallback?: string): string {
  const v = config[key];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'string' || v === '') {
    throw new ModdableAppError('bad-config', key, `mc/config must give "${key}" as a non-empty string, not ${v === undefined ? 'nothing' : JSON.stringify(v)}`);
  }
  return v;
}

function configSlice(config: ModdableHost['config']): number {
  const v = config['slice'];
  if (v === undefined) return APP_DEFAULTS.slice;
  // mcconfig's command line (`slice=500`) hands over strings.
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0) {
    throw new ModdableAppError('bad-config', 'slice', `must be a positive integer (guest instructions per turn), not ${JSON.stringify(v)}`);
  }
  return n;
}

/** The resource that holds the board file. */
export const BOARD_RESOURCE = 'board.json';

/** Reads and checks the board file built into flash. */
export function loadBoard(host: Pick<ModdableHost, 'Resource' | 'config'>): Board {
  const resource = BOARD_RESOURCE;
  const board = parseBoard(decodeUtf8(resourceBytes(host.Resource, resource), resource), `flash:${resource}`);
  const platform = host.config['platform'];
  if (platform !== undefined && board.platform !== platform) {
    throw new ModdableAppError('platform-mismatch', 'board',
      `flash:${resource} (board ${board.name}) is for ${board.platform}, but this build is for ${String(platform)} (pick a board for it, e.g. with 'npm run flash -- --board NAME')`);
  }
  if (board.uart0.kind !== 'board') {
    throw new ModdableAppError('not-a-board-uart', 'board', `flash:${resource} (board ${board.name}) wires UART0 to the host's ${board.uart0.serial.kind}, which a device does not have`);
  }
  return board;
}

function pinName(board: Board, pin: number): string {
  return board.platform === 'rp2040' ? `GP${pin}` : board.platform === 'simulator' ? `pin ${pin}` : `GPIO${pin}`;
}

/** The boot banner: what the user sees first on the console. */
function banner(board: Board, guest: string, plan: GuestImagePlan, microseconds: boolean): string[] {
  const u = board.uart0.kind === 'board' ? board.uart0 : null;
  const lines = [
    `xsvisor: board ${board.name} (${board.platform}), guest RAM ${formatSize(board.ramBudget)}`,
    `xsvisor: guest ${guest}: ${plan.format}, entry ${formatAddr(plan.entry)}, ${formatSize(plan.romBytes)} read-only, ${formatSize(plan.ramBytes)} writable`,
  ];
  if (u !== null && u.device !== undefined) lines.push(`xsvisor: guest UART0 on ${u.device} at ${u.baud} baud`);
  else if (u !== null) lines.push(`xsvisor: guest UART0 on UART${u.uart} (TX ${pinName(board, u.tx)}, RX ${pinName(board, u.rx)}) at ${u.baud} baud`);
  if (board.gpioLines.length > 0) {
    lines.push(`xsvisor: GPIO ${board.gpioLines.map((l) => `line ${l.line} ${l.name} on ${pinName(board, l.pin)}`).join(', ')}`);
  }
  // The Pico build of Moddable 8.2.3 has no Time.microseconds (its module does not compile there): say which clock the CLINT follows.
  lines.push(`xsvisor: clock ${microseconds ? 'Time.microseconds (1 us)' : 'Time.ticks (1 ms)'}`);
  return lines;
}

/** One line saying how the run ended. */
export function describeExit(exit: VmExit): string {
  switch (exit.kind) {
    case 'exit':
      return `xsvisor: guest exited with status ${exit.status} (${exit.source === 'htif' ? 'HTIF' : 'test finisher'})`;
    case 'stopped':
      return `xsvisor: guest stopped: ${exit.reason}`;
    case 'fatal':
      return `xsvisor: monitor error: ${exit.reason}`;
    case 'limit':
      return `xsvisor: stopped after ${exit.instructions} instructions`;
    default:
      return `xsvisor: run ended (${exit.kind})`;
  }
}

/**
 * Takes the host; checks the board file and the image, builds the VM and
 * starts it. Returns at once; `done` follows the run. Refuses a bad
 * configuration or resource ({@link ModdableAppError}), a bad board file
 * (BoardError), a bad image (ImageError) and a VM the monitor refuses
 * (VmConfigError), before any pin or port is opened.
 */
export function startXsvisor(host: ModdableHost): AppRun {
  const board = loadBoard(host);
  const slice = configSlice(host.config);
  if (host.Resource.exists(CONFIG_RESOURCE)) {
    const run = startConfig(host, board, slice, (line) => host.log(line));
    const first = run.vms[0]!;
    return Object.freeze({
      board, plan: first.plan, vm: first.vm, config: run,
      stop: (reason: string): void => run.monitor.stop(reason),
      done: run.done.then((r) => r.exit),
    });
  }
  const guest = configString(host.config, 'guest', APP_DEFAULTS.guest);
  const image = resourceBytes(host.Resource, guest);
  const plan = planGuestImage(image, guest);
  const need = minimumRam(plan, { ramSize: board.ramBudget, gpio: board.has('gpio'), virtio: board.has('virtio-mmio') });
  if (need > board.ramBudget) {
    throw new ModdableAppError('no-room', guest,
      `needs ${formatSize(need)} of guest RAM (its image up to ${formatAddr(plan.highAddr)} and the device tree above it); ` +
      `board ${board.name} offers ${formatSize(board.ramBudget)} (ramBudget)`);
  }

  const uart = board.uart0.kind === 'board' ? board.uart0 : null;
  const stats: SerialGlueStats = { refusedWrites: 0 };
  const port = uart === null ? undefined : serialPortFactory(host.Serial, uart, stats);
  // The board's console carries the monitor's messages too, unless its board file says `messages: false`.
  const shared = port !== undefined && uart !== null && uart.messages ? sharedConsole(port) : null;
  const say = (line: string): void => {
    host.log(line);
    shared?.say(line);
  };
  let consoleLine = '';
  const heldPins: HeldDigitalPinFactory[] = [];
  let vm: VirtVm;
  try {
    vm = new VirtVm({
      image,
      imageName: guest,
      ramSize: board.ramBudget,
      // The image's read-only segments stay in flash: RAM is allocated only for the rest.
      rom: plan.rom,
      board,
      clock: moddableClock(host.Time),
      serial: shared?.factory ?? port,
      pins: (line) => {
        const f = digitalPinFactory(host.Digital, line);
        heldPins.push(f);
        return f;
      },
      // HTIF console bytes have no UART to go to: they join the monitor's messages, a line at a time.
      onConsoleOutput: (byte: number): void => {
        if (byte === 0x0a) {
          say(`guest: ${consoleLine}`);
          consoleLine = '';
        } else if (consoleLine.length < 256) consoleLine += String.fromCharCode(byte);
      },
    });
  } catch (e) {
    // The pins it opened before it refused are held by the glue: let them go.
    for (const f of heldPins) f.dispose();
    throw e;
  }
  for (const line of banner(board, guest, plan, typeof host.Time.microseconds === 'number')) say(line);
  for (const w of vm.image.warnings) say(`xsvisor: warning: ${w}`);

  const scheduler = timerScheduler(host.Timer);
  const started = host.Time.ticks;
  const done = runVm({ vm, scheduler, sliceInstructions: slice }).then((exit) => {
    const ms = host.Time.ticks - started;
    say(describeExit(exit));
    say(`xsvisor: ${vm.instret} instructions in ${(ms / 1000).toFixed(1)} s` +
      (stats.refusedWrites > 0 ? `; ${stats.refusedWrites} bytes refused by the serial port` : ''));
    return drainThenClose(vm, shared, host.Timer, uart === null ? 115200 : uart.baud).then(() => {
      for (const f of heldPins) f.dispose();
      return exit;
    });
  });
  return Object.freeze({ board, plan, vm, config: null, stop: (reason: string): void => vm.stop(reason), done });
}

/**
 * After the guest ends: waits (polling on Timer) until UART0's transmit
 * FIFO and the monitor's last messages have gone to the port, then for
 * the port's own FIFO to reach the wire, then closes the VM's port and
 * pins. Closing at once would cut off the last words.
 */
function drainThenClose(vm: VirtVm, shared: SharedConsole | null, TimerClass: typeof Timer, baud: number): Promise<void> {
  const pollMs = 10;
  // A Moddable port buffers at most a few hundred bytes; at 10 bits a byte this is how long 256 take.
  const wireMs = Math.ceil((256 * 10 * 1000) / baud);
  return new Promise<void>((resolve) => {
    let waited = 0;
    const poll = (): void => {
      if ((vm.uart.txFifoLength > 0 || (shared?.pending ?? 0) > 0) && waited < APP_DEFAULTS.drainMs) {
        waited += pollMs;
        TimerClass.set(poll, pollMs);
        return;
      }
      TimerClass.set(() => {
        vm.close();
        resolve();
      }, wireMs);
    };
    poll();
  });
}

/**
 * Runs the app: starts the guest and resolves when it has ended. Never
 * rejects: a refusal to start is logged and resolves `{ ok: false }`.
 * `onStart` receives the running guest (the host harness uses it to stop
 * a run or drive pins).
 */
export function runXsvisor(host: ModdableHost, options: { onStart?(run: AppRun): void } = {}): Promise<AppResult> {
  let run: AppRun;
  try {
    run = startXsvisor(host);
  } catch (error) {
    host.log(`xsvisor: cannot start: ${error instanceof Error ? error.message : String(error)}`);
    return Promise.resolve({ ok: false, error });
  }
  options.onStart?.(run);
  if (run.config !== null) {
    return run.config.done.then((r) => ({ ok: true as const, exit: r.exit, board: run.board, plan: run.plan, config: r }));
  }
  return run.done.then((exit) => ({ ok: true as const, exit, board: run.board, plan: run.plan, config: null }));
}
