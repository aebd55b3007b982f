/**
 * The app with a monitor configuration in flash: several VMs on the board,
 * run by the engine-neutral Monitor (src/monitor/monitor.ts), as
 * `xsvisor run --config` runs them on a computer.
 *
 * The configuration is the resource `vms.json`, the same schema validated
 * by the same code (src/monitor/config.ts); its `board` must name the
 * board file in flash, and each `image` (and `load` file) is a resource.
 * VMs whose `uart` is `console` share the board's UART0 through the
 * console multiplexer (lines tagged `[name]`, input to the VM in focus:
 * Ctrl-A 1-9 on the serial line); `uart0` gives it to one VM. Each VM's
 * GPIO block reaches only the pins it was given. Faults are contained as
 * on the host; the monitor sleeps on Timer when every VM waits.
 * See docs/moddable.md#several-vms-from-a-configuration.
 */

import { formatSize, parseJsonText, type Board } from '../board/index.js';
import { formatAddr } from '../addr/index.js';
import {
  formatRegisterDump, Monitor, parseMonitorConfig, SharedConsole, validateMonitorConfig, VirtVm,
  type MonitorConfig, type MonitorEvent, type MonitorVmOptions, type VmExit, type VmOutcome,
} from '../monitor/index.js';
import type { SerialPortFactory } from '../ports/index.js';
import { ModdableAppError } from './errors.js';
import {
  consoleEscapes, digitalPinFactory, moddableClock, serialPortFactory, sharedConsole, timerScheduler,
  type DigitalClassLike, type HeldDigitalPinFactory, type SerialClassLike, type SerialGlueStats, type TimeLike, type TimerClassLike,
} from './glue.js';
import { minimumRam, planGuestImage, type GuestImagePlan } from './image.js';
import { decodeUtf8, resourceBytes, type ResourceClassLike } from './resources.js';

/** What a configuration's run takes from the app's host (app.ts ModdableHost, described by the parts used, so that Node's type-check need not know Moddable's modules). */
export interface ConfigHost<M = unknown, T = unknown> {
  readonly Serial: SerialClassLike;
  readonly Digital: DigitalClassLike<M>;
  readonly Timer: TimerClassLike<T>;
  readonly Resource: ResourceClassLike;
  readonly Time: TimeLike;
}

/** The resource that holds a monitor configuration; the app runs it instead of one guest when it is in flash. */
export const CONFIG_RESOURCE = 'vms.json';

/** Sizes of the shared console on a board: a line of 128 bytes, a queue of four (the host's 1 KiB and 16 KiB would not fit a Pico's heap). */
export const BOARD_CONSOLE = Object.freeze({ lineLimit: 128, outputCapacity: 640 });

/** One VM of a started configuration. */
export interface BoardVm {
  readonly name: string;
  readonly vm: VirtVm;
  readonly plan: GuestImagePlan;
}

/** A started configuration. */
export interface ConfigRun {
  readonly config: MonitorConfig;
  readonly monitor: Monitor;
  readonly vms: readonly BoardVm[];
  /** Resolves when every VM has ended and the console's last bytes have gone to the port. Never rejects. */
  readonly done: Promise<ConfigResult>;
}

/** How a configuration's run ended. */
export interface ConfigResult {
  readonly outcomes: readonly VmOutcome[];
  /** The run's status, as `xsvisor run --config` reckons it: 0, a guest's status, or 70 for a VM stopped by a fault or the monitor. */
  readonly status: number;
  /** The exit that decided `status` (the first VM, in configuration order, that did not exit 0; else the first VM's). */
  readonly exit: VmExit;
}

/** The status of a run of several VMs (docs/monitor.md, "Exit status"): the first VM that did not exit 0 decides. */
export function configStatus(outcomes: readonly VmOutcome[]): { status: number; exit: VmExit } {
  for (const o of outcomes) {
    if (o.exit.kind === 'exit' && o.exit.status === 0) continue;
    const status = o.exit.kind === 'exit' ? (o.exit.status % 256) || 1 : 70;
    return { status, exit: o.exit };
  }
  return { status: 0, exit: outcomes[0]!.exit };
}

/** The VM's end in one line. */
function describeVmExit(name: string, exit: VmExit): string {
  switch (exit.kind) {
    case 'exit':
      return `xsvisor: VM '${name}' exited with status ${exit.status} (${exit.source === 'htif' ? 'HTIF' : exit.source === 'sbi' ? 'SBI' : 'test finisher'})`;
    case 'stopped':
      return `xsvisor: VM '${name}' stopped: ${exit.reason}`;
    case 'limit':
      return `xsvisor: VM '${name}' stopped after ${exit.instructions} instructions`;
    default:
      return `xsvisor: VM '${name}' ended (${exit.kind})`;
  }
}

/**
 * Takes the host, the board in flash, and the instructions per turn that
 * mc/config gives (used when the configuration gives no `slice`); checks
 * the configuration and every image, builds the VMs and starts the
 * monitor. Refuses, before any pin or port is opened: a configuration the
 * validator refuses (MonitorConfigError, every problem with its JSON
 * path), one naming another board than the one in flash, a missing image
 * ({@link ModdableAppError} `missing-resource`), an image bigger than its
 * VM's RAM (`no-room`, naming the VM and the bytes), and a VM the machine
 * refuses (VmConfigError).
 */
export function startConfig<M, T>(host: ConfigHost<M, T>, board: Board, boardSlice: number, say: (line: string) => void): ConfigRun {
  const text = decodeUtf8(resourceBytes(host.Resource, CONFIG_RESOURCE), CONFIG_RESOURCE);
  const file = `flash:${CONFIG_RESOURCE}`;
  const loadBoard = (name: string): Board => {
    if (name !== board.name) throw new Error(`this firmware holds board '${board.name}' (flash:board.json); rebuild with the configuration's board`);
    return board;
  };
  const parsed = parseJsonText(text);
  // Not JSON: the validator's own parse refuses it, with the place.
  const config = parsed.ok ? validateMonitorConfig(parsed.value, file, loadBoard) : parseMonitorConfig(text, file, loadBoard);
  const doc: unknown = parsed.ok ? parsed.value : undefined;
  const given = typeof doc === 'object' && doc !== null && (doc as { slice?: unknown }).slice !== undefined;
  const slice = given ? config.slice : boardSlice;

  const plans = config.vms.map((v) => {
    const image = resourceBytes(host.Resource, v.image);
    const plan = planGuestImage(image, v.image);
    const need = minimumRam(plan, { ramSize: v.ramSize, gpio: v.board.has('gpio'), virtio: v.board.has('virtio-mmio') });
    if (need > v.ramSize) {
      throw new ModdableAppError('no-room', `${v.path}.ram`,
        `VM '${v.name}' (${v.image}) needs ${need} bytes (${formatSize(need)}) of guest RAM, its image up to ${formatAddr(plan.highAddr)} and the device tree above it; it is given ${v.ramSize} bytes (${formatSize(v.ramSize)})`);
    }
    return { image, plan };
  });

  // The board's UART0: the VM that has it alone, or the console shared by the `console` VMs; the monitor's messages join it.
  const uart = board.uart0.kind === 'board' ? board.uart0 : null;
  const stats: SerialGlueStats = { refusedWrites: 0 };
  const consoleNames = config.vms.filter((v) => v.uart.kind === 'console').map((v) => v.name);
  const wanted = uart !== null && config.vms.some((v) => v.uart.kind !== 'none');
  const port = wanted && uart !== null ? serialPortFactory(host.Serial, uart, stats) : undefined;
  const messages = port !== undefined && uart !== null && uart.messages ? sharedConsole(port) : null;
  const sayAll = (line: string): void => {
    say(line);
    messages?.say(line);
  };
  const boardPort: SerialPortFactory | undefined = messages?.factory ?? port;
  let mux: SharedConsole | null = null;
  const heldPins: HeldDigitalPinFactory[] = [];
  const built: BoardVm[] = [];
  const release = (): void => {
    for (const b of built) b.vm.close();
    mux?.close();
    for (const f of heldPins) f.dispose();
  };
  try {
    if (consoleNames.length > 0 && boardPort !== undefined) {
      // Ctrl-A 1-9 moves the input focus; the move waits for the event loop (never inside a port's read).
      const filtered = consoleEscapes(boardPort, (key) => {
        const index = key - 0x31;
        host.Timer.set(() => {
          if (mux?.focus(index) === true) sayAll(`xsvisor: console input now goes to VM '${consoleNames[index]}'`);
        }, 0);
      });
      mux = new SharedConsole({ serial: filtered, names: consoleNames, ...BOARD_CONSOLE });
    }
    const clock = moddableClock(host.Time);
    config.vms.forEach((v, i) => {
      const serial = v.uart.kind === 'console' ? mux?.factory(consoleNames.indexOf(v.name)) : v.uart.kind === 'board-uart' ? boardPort : undefined;
      let line = '';
      const vm = new VirtVm({
        image: plans[i]!.image,
        imageName: v.image,
        ramSize: v.ramSize,
        rom: plans[i]!.plan.rom,
        board: v.board,
        clock,
        serial,
        firmware: v.firmware,
        loads: v.loads.map((l) => ({ name: l.file, addr: l.addr, bytes: resourceBytes(host.Resource, l.file) })),
        // Only the lines this VM was given: the validator renumbered them to its guest lines.
        pins: (wiring) => {
          const f = digitalPinFactory(host.Digital, wiring);
          heldPins.push(f);
          return f;
        },
        onConsoleOutput: (byte: number): void => {
          if (byte === 0x0a) {
            sayAll(`xsvisor: [${v.name}] guest: ${line}`);
            line = '';
          } else if (line.length < 128) line += String.fromCharCode(byte);
        },
      });
      built.push(Object.freeze({ name: v.name, vm, plan: plans[i]!.plan }));
    });
  } catch (e) {
    release();
    throw e;
  }

  sayAll(`xsvisor: board ${board.name} (${board.platform}), ${config.vms.length} VMs from ${file}, ${formatSize(config.vms.reduce((s, v) => s + v.ramSize, 0))} of ${formatSize(board.ramBudget)} guest RAM, ${slice} instructions a turn`);
  for (const v of config.vms) {
    const p = built.find((b) => b.name === v.name)!.plan;
    const pins = v.pins.map((p2) => `line ${p2.guestLine} ${p2.boardLine.name}`).join(', ');
    sayAll(`xsvisor: VM '${v.name}': ${v.image}, ${p.format}, entry ${formatAddr(p.entry)}, RAM ${formatSize(v.ramSize)}, ` +
      `${v.firmware === 'sbi' ? 'S-mode under the SBI, ' : ''}UART0 ${v.uart.kind === 'board-uart' ? 'on UART0' : v.uart.kind}, pins ${pins === '' ? 'none' : pins}, onFault ${v.onFault}`);
  }
  if (consoleNames.length > 1) sayAll(`xsvisor: console shared by ${consoleNames.join(', ')}: Ctrl-A 1-${consoleNames.length} moves the input`);
  sayAll(`xsvisor: clock ${typeof host.Time.microseconds === 'number' ? 'Time.microseconds (1 us)' : 'Time.ticks (1 ms)'}`);

  const started = host.Time.ticks;
  const ended = new Set<string>();
  const monitor = new Monitor({
    vms: built.map((b, i): MonitorVmOptions => ({ name: b.name, vm: b.vm, onFault: config.vms[i]!.onFault })),
    scheduler: timerScheduler(host.Timer),
    sliceInstructions: slice,
    onRound: mux === null ? undefined : () => mux?.pump(),
    onEvent: (e: MonitorEvent) => {
      if (e.kind === 'ended') ended.add(e.vm);
      if (e.kind === 'fault') {
        const what = e.action === 'restarted' ? `restarted after a fault (restart ${e.restarts})` : 'stopped by a fault';
        sayAll(`xsvisor: VM '${e.vm}' ${what}: ${e.fault.reason}`);
        // The whole dump goes to the log; the console gets its first two lines (the port's queue is small).
        const dump = formatRegisterDump(e.fault.dump).split('\n');
        dump.forEach((l, k) => (k < 2 ? sayAll : say)(`xsvisor:   ${l}`));
      } else if (e.exit.kind !== 'stopped' || !e.exit.reason.startsWith('fault: ')) {
        sayAll(describeVmExit(e.vm, e.exit));
      }
      // Input goes on to a VM that can still read it.
      if (e.kind === 'ended' && mux !== null && consoleNames[mux.focused] === e.vm) {
        const next = consoleNames.findIndex((n) => n !== e.vm && built.some((b) => b.name === n && b.vm.exit === null && !ended.has(n)));
        if (next >= 0) host.Timer.set(() => mux?.focus(next), 0);
      }
    },
  });
  const done = monitor.run().then((result) => {
    const ms = host.Time.ticks - started;
    const { status, exit } = configStatus(result.vms);
    mux?.flush();
    sayAll(`xsvisor: all VMs ended, status ${status}`);
    sayAll(`xsvisor: ${result.vms.reduce((s, o) => s + o.instret, 0)} instructions in ${(ms / 1000).toFixed(1)} s` +
      (stats.refusedWrites > 0 ? `; ${stats.refusedWrites} bytes refused by the serial port` : ''));
    return drain(host, built, mux, messages, uart === null ? 115200 : uart.baud).then(() => {
      release();
      return Object.freeze({ outcomes: result.vms, status, exit });
    });
  });
  return Object.freeze({ config, monitor, vms: Object.freeze(built), done });
}

/** Waits (polling on Timer, at most 2 s) until the UARTs' FIFOs, the console's queue and the messages have gone to the port, then for the port's own FIFO to reach the wire. */
function drain<M, T>(host: ConfigHost<M, T>, vms: readonly BoardVm[], mux: SharedConsole | null, messages: { readonly pending: number } | null, baud: number): Promise<void> {
  const pollMs = 10;
  const wireMs = Math.ceil((256 * 10 * 1000) / baud);
  return new Promise<void>((resolve) => {
    let waited = 0;
    const poll = (): void => {
      mux?.pump();
      const busy = vms.some((b) => b.vm.uart.txFifoLength > 0) || (mux?.queued ?? 0) > 0 || (messages?.pending ?? 0) > 0;
      if (busy && waited < 2000) {
        waited += pollMs;
        host.Timer.set(poll, pollMs);
        return;
      }
      host.Timer.set(() => resolve(), wireMs);
    };
    poll();
  });
}
