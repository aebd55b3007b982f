/**
 * Monitor configuration: several VMs on one board, as JSON, validated
 * before anything boots (keys and defaults: docs/monitor.md).
 *
 * Owns the schema and its checks. Refuses unknown keys, bad types, unknown
 * devices and pins, a pin or UART given to two VMs (both named), duplicate
 * VM names and RAM beyond the board's budget (the sum of all VMs); every
 * problem is collected, with its JSON path, into one
 * {@link MonitorConfigError}. No file I/O: the host reads the text, loads
 * the board through a callback and reads the images afterwards.
 * See docs/design.md#the-monitor.
 */

import {
  DEVICE_NAMES,
  describeJsonError,
  formatSize,
  parseHostSerial,
  parseJsonText,
  parseSize,
  REQUIRED_DEVICES,
  SizeError,
  type Board,
  type DeviceName,
  type GpioLineWiring,
  type HostSerial,
  type UartWiring,
} from '../board/index.js';
import { VIRT_GPIO_LINES as GPIO_LINES } from '../machine/index.js';

/** Most VMs one monitor runs: one per console focus key (Ctrl-A 1-9). */
export const MAX_VMS = 9;
/** RAM a VM gets when its entry says nothing. */
export const DEFAULT_VM_RAM = 16 * 1024 * 1024;
/** Instructions a VM runs per round when the config says nothing. */
export const DEFAULT_ROUND_SLICE = 20_000;

/** One thing wrong in a monitor configuration. */
export interface ConfigProblem {
  /** JSONPath of the offending value (`$.vms[1].pins.0`), `$` for the whole document. */
  readonly path: string;
  readonly problem: string;
}

/** A configuration that cannot be used. The message lists every problem, one per line, each as `FILE: PATH: PROBLEM`. */
export class MonitorConfigError extends Error {
  readonly file: string;
  /** Every problem, in document order; never empty. */
  readonly problems: readonly ConfigProblem[];
  /** The first problem's path and description. */
  readonly path: string;
  readonly problem: string;

  constructor(file: string, problems: readonly ConfigProblem[]) {
    const list = problems.length > 0 ? problems : [{ path: '$', problem: 'is not a valid configuration' }];
    super(list.map((p) => `${file}: ${p.path}: ${p.problem}`).join('\n'));
    Object.defineProperty(this, 'name', { value: 'MonitorConfigError', writable: true, configurable: true });
    this.file = file;
    this.problems = Object.freeze(list.slice());
    this.path = list[0].path;
    this.problem = list[0].problem;
  }
}

/** Where a VM's UART0 goes. */
export type VmUart =
  /** The board's UART0, for this VM alone. */
  | { readonly kind: 'board-uart'; readonly wiring: UartWiring }
  /** The board's UART0, shared with the other `console` VMs. */
  | { readonly kind: 'console'; readonly wiring: UartWiring }
  /** A host serial of the VM's own. */
  | { readonly kind: 'host'; readonly serial: HostSerial }
  | { readonly kind: 'none' };

/** One guest GPIO line wired to a board pin. */
export interface VmPin {
  /** The line in the VM's GPIO block. */
  readonly guestLine: number;
  /** The board line it reaches (name, pin number, direction, pull). */
  readonly boardLine: GpioLineWiring;
}

/** One VM of a validated configuration. Frozen. */
export interface VmConfig {
  readonly name: string;
  /** The image path as written (the host resolves it against the config file's folder). */
  readonly image: string;
  readonly ramSize: number;
  readonly firmware: 'none' | 'sbi';
  /** Data images (`load`): a file (as written, relative to the configuration's folder) and its guest address. */
  readonly loads: readonly { readonly file: string; readonly addr: number }[];
  readonly uart: VmUart;
  readonly pins: readonly VmPin[];
  readonly devices: readonly DeviceName[];
  readonly onFault: 'stop' | 'restart';
  /**
   * The board as this VM sees it: its devices, and `gpioLines` renumbered
   * to the VM's guest lines (so {@link VirtVm} wires exactly the pins it was
   * given, and no other line reaches a pin).
   */
  readonly board: Board;
  /** JSON path of the entry (`$.vms[2]`), for later messages. */
  readonly path: string;
}

/** A validated configuration. Frozen. */
export interface MonitorConfig {
  readonly file: string;
  readonly board: Board;
  readonly deterministic: boolean;
  /** `icount`: 2^N ns per instruction (0-10) or `auto`; null when not given. */
  readonly icount: number | 'auto' | null;
  /** Instructions per VM per round. */
  readonly slice: number;
  readonly vms: readonly VmConfig[];
}

/** Finds a board by the name in `$.board`; throws (any Error) when it cannot. */
export type BoardLoader = (name: string) => Board;

const TOP_KEYS = Object.freeze(['board', 'deterministic', 'icount', 'slice', 'vms']);
const VM_KEYS = Object.freeze(['name', 'image', 'ram', 'firmware', 'uart', 'pins', 'devices', 'onFault', 'load']);
// A function, not a module-level RegExp: Moddable 8.2.3 corrupts RegExps made at preload
// time (docs/moddable.md, "The stock SDK's defects"); a literal here is made at each call.
/** VM names: short, as they tag console lines. */
function isVmName(s: string): boolean {
  return /^[A-Za-z][A-Za-z0-9_-]{0,15}$/.test(s);
}

type Json = unknown;

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: Json): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === 'object') return 'an object';
  return String(v);
}

/** `.key` for plain keys, `["key"]` otherwise (JSONPath). */
function member(path: string, key: string): string {
  return /^[A-Za-z0-9_]+$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** A resource (a UART or a pin) and the VM holding it, for conflict messages. */
interface Holder {
  readonly vm: string;
  readonly path: string;
  readonly shared: boolean;
}

/**
 * Takes the text of a configuration file, the name to report it under and
 * a board loader; returns the validated {@link MonitorConfig}. Refuses
 * text that is not JSON, and anything {@link validateMonitorConfig}
 * refuses, with a {@link MonitorConfigError}.
 */
export function parseMonitorConfig(text: string, file: string, loadBoard: BoardLoader): MonitorConfig {
  const r = parseJsonText(text);
  if (!r.ok) throw new MonitorConfigError(file, [{ path: '$', problem: `is not valid JSON: ${describeJsonError(r)}` }]);
  return validateMonitorConfig(r.value as Json, file, loadBoard);
}

/**
 * Takes a parsed configuration, the file name for messages and a board
 * loader; returns the validated, frozen {@link MonitorConfig}. Collects
 * every problem into one {@link MonitorConfigError}: unknown keys, missing
 * or mistyped values, a board the loader refuses, unknown devices, UARTs
 * and pins, a UART or pin given to two VMs (naming both), duplicate names,
 * and RAM whose sum exceeds the board's `ramBudget`.
 */
export function validateMonitorConfig(doc: Json, file: string, loadBoard: BoardLoader): MonitorConfig {
  const problems: ConfigProblem[] = [];
  const add = (path: string, problem: string): void => {
    problems.push({ path, problem });
  };
  if (!isObject(doc)) throw new MonitorConfigError(file, [{ path: '$', problem: `must be an object, not ${show(doc)}` }]);
  for (const k of Object.keys(doc)) if (!TOP_KEYS.includes(k)) add(member('$', k), `unknown key (allowed here: ${TOP_KEYS.join(', ')})`);

  let board: Board | null = null;
  if (typeof doc.board !== 'string' || doc.board === '') {
    add('$.board', `must be a board name (boards/NAME.json) or a path to a board file, not ${show(doc.board)}`);
  } else {
    try {
      board = loadBoard(doc.board);
    } catch (e) {
      add('$.board', `board ${JSON.stringify(doc.board)} cannot be used: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  let deterministic = false;
  if (doc.deterministic !== undefined) {
    if (typeof doc.deterministic !== 'boolean') add('$.deterministic', `must be true or false, not ${show(doc.deterministic)}`);
    else deterministic = doc.deterministic;
  }

  let icount: number | 'auto' | null = null;
  if (doc.icount !== undefined) {
    const v = doc.icount;
    if (v !== 'auto' && (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 10)) add('$.icount', `must be an integer 0-10 (2^N ns per instruction) or "auto", not ${show(v)}`);
    else if (doc.deterministic !== undefined) add('$.icount', 'and $.deterministic both set the clock: give one (deterministic is 1000 ns per instruction)');
    else icount = v;
  }

  let slice = DEFAULT_ROUND_SLICE;
  if (doc.slice !== undefined) {
    const s = doc.slice;
    if (typeof s !== 'number' || !Number.isInteger(s) || s < 1 || s > 10_000_000) add('$.slice', `must be an integer 1-10000000 (instructions per VM per round), not ${show(s)}`);
    else slice = s;
  }

  const vms: VmConfig[] = [];
  if (!Array.isArray(doc.vms)) {
    add('$.vms', doc.vms === undefined ? 'is missing (an array of VMs)' : `must be an array of VMs, not ${show(doc.vms)}`);
  } else if (doc.vms.length === 0 || doc.vms.length > MAX_VMS) {
    add('$.vms', `must list 1-${MAX_VMS} VMs, not ${doc.vms.length}`);
  } else {
    const names = new Map<string, string>();
    const uarts = new Map<string, Holder[]>();
    const pins = new Map<string, Holder>();
    let ramTotal = 0;
    const ramShares: string[] = [];
    doc.vms.forEach((entry, i) => {
      const path = `$.vms[${i}]`;
      const vm = checkVm(entry, path, board, add, names, uarts, pins);
      // The budget counts every VM whose RAM is readable, even one with other problems.
      const ram = !isObject(entry) ? null : entry.ram === undefined ? DEFAULT_VM_RAM : ramOf(entry.ram);
      if (board !== null && typeof ram === 'number') {
        const name = isObject(entry) && typeof entry.name === 'string' ? `'${entry.name}'` : `at ${path}`;
        ramTotal += ram;
        if (ramTotal > board.ramBudget) {
          add(`${path}.ram`, `${formatSize(ram)} for VM ${name} brings the VMs' RAM to ${formatSize(ramTotal)}, more than the ramBudget ` +
            `of board '${board.name}' (${formatSize(board.ramBudget)})` + (ramShares.length > 0 ? ` (already given: ${ramShares.join(', ')})` : ''));
        }
        ramShares.push(`${name} ${formatSize(ram)}`);
      }
      if (vm !== null) vms.push(vm);
    });
  }

  if (problems.length > 0) throw new MonitorConfigError(file, problems);
  return Object.freeze({ file, board: board!, deterministic, icount, slice, vms: Object.freeze(vms) });
}

function checkVm(
  entry: Json,
  path: string,
  board: Board | null,
  add: (path: string, problem: string) => void,
  names: Map<string, string>,
  uarts: Map<string, Holder[]>,
  pins: Map<string, Holder>,
): VmConfig | null {
  if (!isObject(entry)) {
    add(path, `must be an object, not ${show(entry)}`);
    return null;
  }
  let ok = true;
  const bad = (p: string, problem: string): void => {
    add(p, problem);
    ok = false;
  };
  for (const k of Object.keys(entry)) if (!VM_KEYS.includes(k)) bad(member(path, k), `unknown key (allowed here: ${VM_KEYS.join(', ')})`);

  let name = '';
  if (typeof entry.name !== 'string' || !isVmName(entry.name)) {
    bad(`${path}.name`, `must be a name of 1-16 letters, digits, '-' or '_', starting with a letter, not ${show(entry.name)}`);
  } else {
    name = entry.name;
    const prev = names.get(name);
    if (prev !== undefined) bad(`${path}.name`, `"${name}" is already the name of the VM at ${prev}`);
    else names.set(name, path);
  }
  const who = name === '' ? `the VM at ${path}` : `VM '${name}'`;

  let image = '';
  if (typeof entry.image !== 'string' || entry.image === '') bad(`${path}.image`, `must be the path of the guest image, not ${show(entry.image)}`);
  else image = entry.image;

  let ramSize = DEFAULT_VM_RAM;
  if (entry.ram !== undefined) {
    const r = ramOf(entry.ram);
    if (typeof r === 'string') bad(`${path}.ram`, r);
    else ramSize = r;
  }

  const firmware = oneOf(entry.firmware ?? 'none', ['none', 'sbi'] as const);
  if (firmware === null) bad(`${path}.firmware`, `must be "none" or "sbi", not ${show(entry.firmware)}`);
  const loads: { file: string; addr: number }[] = [];
  if (entry.load !== undefined) {
    if (!Array.isArray(entry.load)) bad(`${path}.load`, `must be an array of { "file": PATH, "addr": ADDRESS }, not ${show(entry.load)}`);
    else {
      entry.load.forEach((l, i) => {
        const lp = `${path}.load[${i}]`;
        if (!isObject(l)) return bad(lp, `must be { "file": PATH, "addr": ADDRESS }, not ${show(l)}`);
        for (const k of Object.keys(l)) if (k !== 'file' && k !== 'addr') bad(member(lp, k), 'unknown key (allowed here: file, addr)');
        if (typeof l.file !== 'string' || l.file === '') bad(`${lp}.file`, `must be the path of a file, not ${show(l.file)}`);
        const a = l.addr;
        const addr = typeof a === 'number' ? a : typeof a === 'string' && /^0[xX][0-9a-fA-F]{1,9}$/.test(a) ? parseInt(a.slice(2), 16) : NaN;
        if (!Number.isSafeInteger(addr) || addr < 0 || addr >= 2 ** 34) bad(`${lp}.addr`, `must be a guest physical address (a number, or "0x..."), not ${show(a)}`);
        else if (typeof l.file === 'string' && l.file !== '') loads.push(Object.freeze({ file: l.file, addr }));
      });
    }
  }

  const onFault = oneOf(entry.onFault ?? 'stop', ['stop', 'restart'] as const);
  if (onFault === null) bad(`${path}.onFault`, `must be "stop" or "restart", not ${show(entry.onFault)}`);

  // Devices: a subset of the board's; default all of them.
  let devices: DeviceName[] = board === null ? [] : board.devices.slice();
  if (entry.devices !== undefined) {
    if (!Array.isArray(entry.devices)) bad(`${path}.devices`, `must be an array of device names, not ${show(entry.devices)}`);
    else {
      devices = [];
      entry.devices.forEach((d, k) => {
        const p = `${path}.devices[${k}]`;
        if (typeof d !== 'string' || !(DEVICE_NAMES as readonly string[]).includes(d)) {
          bad(p, `${show(d)} is not a device of the virt machine (one of ${DEVICE_NAMES.join(', ')})`);
        } else if (board !== null && !board.has(d as DeviceName)) {
          bad(p, `"${d}" is not a device of board '${board.name}' (it has ${board.devices.join(', ')})`);
        } else if (devices.includes(d as DeviceName)) {
          bad(p, `"${d}" is listed twice`);
        } else devices.push(d as DeviceName);
      });
      const missing = REQUIRED_DEVICES.filter((d) => !devices.includes(d));
      if (missing.length > 0) bad(`${path}.devices`, `must list ${missing.map((d) => `"${d}"`).join(', ')}: every virt machine has them`);
    }
  }

  const uart = checkUart(entry.uart, `${path}.uart`, board, name, bad, uarts);

  // Pins: guest line -> board pin name, each board pin to one VM only.
  const vmPins: VmPin[] = [];
  if (entry.pins !== undefined) {
    const p = `${path}.pins`;
    if (!isObject(entry.pins)) bad(p, `must be an object mapping guest GPIO lines to board pin names, not ${show(entry.pins)}`);
    else if (board !== null && !board.has('gpio')) bad(p, `board '${board.name}' has no GPIO ("gpio" is not among its devices)`);
    else if (board !== null && !devices.includes('gpio')) bad(p, `${who} has no GPIO: add "gpio" to ${path}.devices`);
    else {
      for (const key of Object.keys(entry.pins)) {
        const kp = member(p, key);
        const value = entry.pins[key];
        const line = /^(0|[1-9][0-9]?)$/.test(key) ? Number(key) : -1;
        if (line < 0 || line >= GPIO_LINES) bad(kp, `the key must be a guest GPIO line 0-${GPIO_LINES - 1}, not ${JSON.stringify(key)}`);
        if (typeof value !== 'string') {
          bad(kp, `must name a board pin (a GPIO line name of the board), not ${show(value)}`);
          continue;
        }
        if (board === null) continue;
        const boardLine = board.gpioLines.find((l) => l.name === value);
        if (boardLine === undefined) {
          const known = board.gpioLines.map((l) => l.name);
          bad(kp, `board '${board.name}' has no pin named "${value}" (its pins: ${known.length > 0 ? known.join(', ') : 'none'})`);
          continue;
        }
        const prev = pins.get(value);
        if (prev !== undefined) {
          bad(kp, `pin "${value}" is already given to ${prev.vm === name ? 'this VM' : `VM '${prev.vm}'`} at ${prev.path}; a pin goes to one guest line of one VM`);
          continue;
        }
        pins.set(value, { vm: name, path: kp, shared: false });
        if (line >= 0 && line < GPIO_LINES) vmPins.push(Object.freeze({ guestLine: line, boardLine }));
      }
    }
  }

  if (!ok || board === null || uart === null || firmware === null || onFault === null) return null;
  vmPins.sort((a, b) => a.guestLine - b.guestLine);
  const deviceList = Object.freeze(devices.slice());
  const vmBoard: Board = Object.freeze({
    name: board.name,
    description: `${board.description} (as VM '${name}' sees it)`,
    platform: board.platform,
    ramBudget: board.ramBudget,
    devices: deviceList,
    uart0: board.uart0,
    gpioLines: Object.freeze(vmPins.map((v) => Object.freeze({ ...v.boardLine, line: v.guestLine }))),
    has: (d: DeviceName): boolean => deviceList.includes(d),
  });
  return Object.freeze({
    name, image, ramSize, firmware, uart, onFault, path,
    loads: Object.freeze(loads),
    pins: Object.freeze(vmPins),
    devices: deviceList,
    board: vmBoard,
  });
}

function ramOf(v: Json): number | string {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string') {
    try {
      n = parseSize(v);
    } catch (e) {
      return e instanceof SizeError ? e.message : String(e);
    }
  } else return `must be a number of bytes or a size such as "16MiB", not ${show(v)}`;
  if (!Number.isSafeInteger(n) || n <= 0 || n % 4096 !== 0) return `must be a positive multiple of 4 KiB, not ${show(v)}`;
  return n;
}

function oneOf<T extends string>(v: Json, allowed: readonly T[]): T | null {
  return typeof v === 'string' && (allowed as readonly string[]).includes(v) ? (v as T) : null;
}

/**
 * Keys naming the real resources behind a UART choice, for conflicts: the
 * board's UART0 is one resource whatever it is wired to, and the host
 * serial it is wired to (the terminal, a TCP port) is one too, so `"uart0"`
 * and `"stdio"` clash on a board whose UART0 is the terminal.
 */
function resourcesOf(uart: VmUart): { key: string; what: string }[] {
  if (uart.kind === 'none') return [];
  if (uart.kind === 'host') return hostResource(uart.serial);
  const own = { key: 'uart0', what: "the board's UART0" };
  return uart.wiring.kind === 'board' ? [own] : [own, ...hostResource(uart.wiring.serial)];
}

function hostResource(s: HostSerial): { key: string; what: string }[] {
  if (s.kind === 'stdio') return [{ key: 'stdio', what: 'the terminal' }];
  if (s.kind === 'tcp') return [{ key: `tcp:${s.port}`, what: `TCP port ${s.port}` }];
  return []; // none holds nothing; every pty is a new one
}

function checkUart(
  v: Json,
  path: string,
  board: Board | null,
  vmName: string,
  bad: (path: string, problem: string) => void,
  uarts: Map<string, Holder[]>,
): VmUart | null {
  const text = v ?? 'console';
  const expected = '"uart0", "console" (shared, tagged per line), "none", or on a host board "stdio", "pty", "tcp:PORT" or "tcp:PORT,nowait"';
  if (typeof text !== 'string') {
    bad(path, `must be ${expected}, not ${show(v)}`);
    return null;
  }
  let uart: VmUart | null = null;
  if (text === 'none') uart = { kind: 'none' };
  else if (text === 'uart0' || text === 'console') {
    if (board === null) return null;
    uart = text === 'uart0' ? { kind: 'board-uart', wiring: board.uart0 } : { kind: 'console', wiring: board.uart0 };
  } else if (text === 'stdio' || text === 'pty' || /^tcp:/.test(text)) {
    const serial = parseHostSerial(text);
    if (serial === null) {
      bad(path, `${show(text)} is not tcp:PORT or tcp:PORT,nowait with PORT 1-65535`);
      return null;
    }
    if (board !== null && board.platform !== 'host') {
      bad(path, `${show(text)} is a host serial; board '${board.name}' is for ${board.platform}: use "uart0", "console" or "none"`);
      return null;
    }
    uart = { kind: 'host', serial };
  } else {
    const hint = /^uart[0-9]+$/.test(text) && board !== null ? ` (board '${board.name}' has one UART, "uart0")` : '';
    bad(path, `${show(text)} is not a UART of the board${hint}; use ${expected}`);
    return null;
  }
  const shared = uart.kind === 'console';
  const held = resourcesOf(uart);
  for (const res of held) {
    const clash = (uarts.get(res.key) ?? []).find((h) => !h.shared || !shared);
    if (clash === undefined) continue;
    const how = shared ? 'shared as "console"' : 'given';
    bad(path, `${show(text)} (${res.what}) is ${how} to VM '${vmName}' but already ${clash.shared ? 'shared as "console" with' : 'given to'} ` +
      `VM '${clash.vm}' at ${clash.path}; a UART goes to one VM, or to several as "console"`);
    return null;
  }
  for (const res of held) {
    const holders = uarts.get(res.key) ?? [];
    holders.push({ vm: vmName, path, shared });
    uarts.set(res.key, holders);
  }
  return Object.freeze(uart);
}
