/**
 * Board files: what a board offers its guests, and how the virtual devices
 * of the `virt` machine are wired to real (or simulated) peripherals.
 *
 * Owns the board file schema and its validation (the keys: README, "Board
 * files"; an example: docs/design.md#board-files). Refuses unknown keys, a
 * misspelt key being otherwise silently ignored; every error names the
 * file, the JSON path and the problem. No file I/O here: the host or the
 * board entry point reads the text and names the file.
 */

import { GPIO_LINES } from '../devices/index.js';
import { BoardError, type BoardProblem } from './errors.js';
import { formatSize, parseSize, SizeError } from './size.js';
import { describeJsonError, parseJsonText } from './json-text.js';

/** Where a board's code runs; decides pin and UART numbering. */
export type Platform = 'host' | 'esp32' | 'rp2040' | 'simulator';

/** Limits of each platform. Host pins are simulated, so any small number will do. */
export const PLATFORMS: Readonly<Record<Platform, { readonly maxPin: number; readonly uarts: number }>> = Object.freeze({
  host: Object.freeze({ maxPin: 63, uarts: 0 }),
  // ESP32: GPIO 0-39; UART0-2.
  esp32: Object.freeze({ maxPin: 39, uarts: 3 }),
  // RP2040: GPIO 0-29; UART0-1.
  rp2040: Object.freeze({ maxPin: 29, uarts: 2 }),
  // Moddable's simulator (mcsim, `mcconfig -p lin`): its serial port opens a host device; its pins are simulated.
  simulator: Object.freeze({ maxPin: 63, uarts: 1 }),
});

/** The devices of the `virt` machine a board may offer. */
export const DEVICE_NAMES = Object.freeze([
  'clint',
  'plic',
  'uart0',
  'gpio',
  'test-finisher',
  'virtio-mmio',
  'htif',
] as const);

/** One of {@link DEVICE_NAMES}. */
export type DeviceName = (typeof DEVICE_NAMES)[number];

/**
 * Devices every board must list: the core of the `virt` machine, which
 * every guest built for it expects and its device tree always describes.
 * The others (gpio, virtio-mmio, htif) are a board's choice.
 */
export const REQUIRED_DEVICES: readonly DeviceName[] = Object.freeze(['clint', 'plic', 'uart0', 'test-finisher'] as const);


/** Smallest and largest RAM budget a board may declare: room for a device tree; RAM below 2^32 (RV32 without paging). */
export const MIN_RAM_BUDGET = 64 * 1024;
export const MAX_RAM_BUDGET = 2 * 1024 * 1024 * 1024;
const RAM_GRANULE = 4096;

/**
 * A serial port on the host running the monitor (`none`: output discarded,
 * no input). `tcp`: a server on the port; with `wait` (the default, as
 * QEMU's `server,wait=on`) the guest starts only once a client connects,
 * without it (`tcp:PORT,nowait`) at once, its output discarded until then.
 */
export type HostSerial =
  | { readonly kind: 'stdio' }
  | { readonly kind: 'none' }
  | { readonly kind: 'tcp'; readonly port: number; readonly wait: boolean }
  | { readonly kind: 'pty' };

/** The spellings {@link parseHostSerial} takes, for messages. */
export const HOST_SERIAL_SPELLINGS = '"stdio", "pty", "none", "tcp:PORT" or "tcp:PORT,nowait" (PORT 1-65535)';

/**
 * Reads a host serial as board files, configurations and `--serial` spell
 * it: `stdio`, `pty`, `none`, `tcp:PORT` or `tcp:PORT,nowait` (PORT
 * 1-65535). Returns a frozen {@link HostSerial}, or null for anything else
 * (the caller words the error for its place).
 */
export function parseHostSerial(text: string): HostSerial | null {
  if (text === 'stdio' || text === 'pty' || text === 'none') return Object.freeze({ kind: text });
  const m = /^tcp:([0-9]{1,5})(,nowait)?$/.exec(text);
  if (m === null) return null;
  const port = Number(m[1]);
  return port >= 1 && port <= 65535 ? Object.freeze({ kind: 'tcp' as const, port, wait: m[2] === undefined }) : null;
}

/** The spelling of a host serial that {@link parseHostSerial} reads back. */
export function formatHostSerial(serial: HostSerial): string {
  return serial.kind === 'tcp' ? `tcp:${serial.port}${serial.wait ? '' : ',nowait'}` : serial.kind;
}

/** Where UART0's bytes go. */
export type UartWiring =
  | { readonly kind: 'host'; readonly serial: HostSerial }
  | {
    readonly kind: 'board';
    readonly uart: number;
    readonly tx: number;
    readonly rx: number;
    readonly baud: number;
    /** The monitor's own messages go to this line too, between the guest's lines (default true): a board's console is its UART. */
    readonly messages: boolean;
    /** Simulator boards: the host serial device Moddable's simulator opens (a path such as /dev/pts/3). */
    readonly device?: string;
  };

/** One guest GPIO line wired to a pin. */
export interface GpioLineWiring {
  /** Line number in the guest's `sifive,gpio0` block (0-31); PLIC source 64 + line. */
  readonly line: number;
  /** What the line is for (`led`, `button`); unique on the board. */
  readonly name: string;
  /** The board's pin number (simulated on the host). */
  readonly pin: number;
  readonly direction: 'input' | 'output';
  /** Pull resistor for an input; `none` for outputs. */
  readonly pull: 'up' | 'down' | 'none';
}

/** A validated board. Frozen. */
export interface Board {
  readonly name: string;
  readonly description: string;
  readonly platform: Platform;
  /** Bytes of RAM the board can give a guest. */
  readonly ramBudget: number;
  readonly devices: readonly DeviceName[];
  /** Where UART0's bytes go (every board has UART0). */
  readonly uart0: UartWiring;
  /** The GPIO lines, by line number; empty when the board has no `gpio` device. */
  readonly gpioLines: readonly GpioLineWiring[];
  /** True when `name` is among the board's devices. */
  has(name: DeviceName): boolean;
}

const TOP_KEYS = Object.freeze(['name', 'description', 'platform', 'ramBudget', 'devices', 'uart0', 'gpio']);
const HOST_UART_KEYS = Object.freeze(['serial']);
const BOARD_UART_KEYS = Object.freeze(['uart', 'tx', 'rx', 'baud', 'messages', 'device']);
const GPIO_KEYS = Object.freeze(['lines']);
const LINE_KEYS = Object.freeze(['line', 'name', 'pin', 'direction', 'pull']);
// A function, not a module-level RegExp: Moddable 8.2.3 corrupts RegExps made at preload
// time (docs/moddable.md, "The stock SDK's defects"); a literal here is made at each call.
function isBoardName(s: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(s);
}

type Json = unknown;

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === 'object') return 'an object';
  return String(v);
}

/** Collects problems while walking the document. */
class Checker {
  readonly problems: BoardProblem[] = [];

  add(path: string, problem: string): void {
    this.problems.push({ path, problem });
  }

  /** Reports keys of `obj` not in `allowed`; returns false when there were any. */
  keys(obj: Record<string, Json>, path: string, allowed: readonly string[]): boolean {
    let ok = true;
    for (const k of Object.keys(obj)) {
      if (!allowed.includes(k)) {
        this.add(`${path}.${k}`, `unknown key (allowed here: ${allowed.join(', ')})`);
        ok = false;
      }
    }
    return ok;
  }

  int(v: Json, path: string, min: number, max: number): number | null {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.add(path, `must be an integer ${min}-${max}, not ${describe(v)}`);
      return null;
    }
    return v;
  }

  oneOf<T extends string>(v: Json, path: string, allowed: readonly T[]): T | null {
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      this.add(path, `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}, not ${describe(v)}`);
      return null;
    }
    return v as T;
  }
}

/**
 * Takes the text of a board file and the name to report it under; returns
 * the validated {@link Board}. Refuses text that is not JSON, and anything
 * {@link validateBoard} refuses, with a {@link BoardError}.
 */
export function parseBoard(text: string, file: string): Board {
  const r = parseJsonText(text);
  if (!r.ok) throw new BoardError(file, [{ path: '$', problem: `is not valid JSON: ${describeJsonError(r)}` }]);
  return validateBoard(r.value as Json, file);
}

/**
 * Takes a parsed board document and the file name for messages; returns the
 * validated, frozen {@link Board}. Refuses unknown keys, missing or
 * mistyped values, pins and UARTs the platform lacks, duplicate lines, names
 * or pins, and a device listed without its wiring (or wiring without its
 * device), with one {@link BoardError} listing every problem found.
 */
export function validateBoard(doc: Json, file: string): Board {
  const c = new Checker();
  if (!isObject(doc)) {
    throw new BoardError(file, [{ path: '$', problem: `must be an object, not ${describe(doc)}` }]);
  }
  c.keys(doc, '$', TOP_KEYS);

  let name = '';
  if (typeof doc.name !== 'string' || !isBoardName(doc.name)) {
    c.add('$.name', `must be a name of letters, digits, '-', '_' or '.' (1-64 characters), not ${describe(doc.name)}`);
  } else name = doc.name;

  let description = '';
  if (doc.description !== undefined) {
    if (typeof doc.description !== 'string') c.add('$.description', `must be a string, not ${describe(doc.description)}`);
    else description = doc.description;
  }

  const platform = doc.platform === undefined
    ? (c.add('$.platform', 'is missing (one of "host", "esp32", "rp2040", "simulator")'), null)
    : c.oneOf<Platform>(doc.platform, '$.platform', Object.keys(PLATFORMS) as Platform[]);

  const ramBudget = checkRamBudget(c, doc.ramBudget);
  const devices = checkDevices(c, doc.devices);
  const listed = (d: DeviceName): boolean => devices !== null && devices.includes(d);

  let uart0: UartWiring | null = null;
  if (doc.uart0 === undefined) {
    if (listed('uart0')) c.add('$.uart0', 'is missing: $.devices lists "uart0", so say where its bytes go');
  } else {
    if (devices !== null && !listed('uart0')) c.add('$.uart0', 'is given but $.devices does not list "uart0"');
    uart0 = checkUart(c, doc.uart0, platform);
  }

  let gpioLines: GpioLineWiring[] = [];
  if (doc.gpio === undefined) {
    if (listed('gpio')) c.add('$.gpio', 'is missing: $.devices lists "gpio", so give its lines (may be empty)');
  } else {
    if (devices !== null && !listed('gpio')) c.add('$.gpio', 'is given but $.devices does not list "gpio"');
    // Pins the UART holds are not free for GPIO lines.
    const reserved = new Map<number, string>();
    if (uart0 !== null && uart0.kind === 'board') {
      reserved.set(uart0.tx, '$.uart0.tx');
      reserved.set(uart0.rx, '$.uart0.rx');
    }
    gpioLines = checkGpio(c, doc.gpio, platform, reserved);
  }

  if (c.problems.length > 0) throw new BoardError(file, c.problems);
  const deviceList = Object.freeze(devices!.slice());
  return Object.freeze({
    name,
    description,
    platform: platform!,
    ramBudget: ramBudget!,
    devices: deviceList,
    uart0: uart0!,
    gpioLines: Object.freeze(gpioLines.slice().sort((a, b) => a.line - b.line)),
    has: (d: DeviceName): boolean => deviceList.includes(d),
  });
}

function checkRamBudget(c: Checker, v: Json): number | null {
  const path = '$.ramBudget';
  let n: number;
  if (v === undefined) {
    c.add(path, 'is missing (bytes, or a size such as "128MiB")');
    return null;
  }
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string') {
    try {
      n = parseSize(v);
    } catch (e) {
      c.add(path, e instanceof SizeError ? e.message : String(e));
      return null;
    }
  } else {
    c.add(path, `must be a number of bytes or a size string such as "128MiB", not ${describe(v)}`);
    return null;
  }
  if (!Number.isInteger(n) || n < MIN_RAM_BUDGET || n > MAX_RAM_BUDGET) {
    c.add(path, `must be between ${formatSize(MIN_RAM_BUDGET)} and ${formatSize(MAX_RAM_BUDGET)}, not ${describe(v)}`);
    return null;
  }
  if (n % RAM_GRANULE !== 0) {
    c.add(path, `must be a multiple of 4 KiB, not ${describe(v)}`);
    return null;
  }
  return n;
}

function checkDevices(c: Checker, v: Json): DeviceName[] | null {
  const path = '$.devices';
  if (!Array.isArray(v)) {
    c.add(path, v === undefined ? `is missing (a list drawn from ${DEVICE_NAMES.join(', ')})` : `must be an array, not ${describe(v)}`);
    return null;
  }
  const out: DeviceName[] = [];
  v.forEach((d, i) => {
    const name = c.oneOf<DeviceName>(d, `${path}[${i}]`, DEVICE_NAMES);
    if (name === null) return;
    if (out.includes(name)) c.add(`${path}[${i}]`, `"${name}" is listed twice`);
    else out.push(name);
  });
  const missing = REQUIRED_DEVICES.filter((d) => !out.includes(d));
  if (missing.length > 0) {
    c.add(path, `must list ${missing.map((d) => `"${d}"`).join(', ')}: every virt machine has ${missing.length === 1 ? 'it' : 'them'}`);
  }
  return out;
}

function checkUart(c: Checker, v: Json, platform: Platform | null): UartWiring | null {
  const path = '$.uart0';
  if (!isObject(v)) {
    c.add(path, `must be an object, not ${describe(v)}`);
    return null;
  }
  if (platform === 'host' || (platform === null && 'serial' in v)) {
    c.keys(v, path, HOST_UART_KEYS);
    const serial = checkHostSerial(c, v.serial, `${path}.serial`);
    return serial === null ? null : Object.freeze({ kind: 'host' as const, serial });
  }
  c.keys(v, path, BOARD_UART_KEYS);
  const limits = platform === null ? null : PLATFORMS[platform];
  const maxUart = limits === null ? 7 : limits.uarts - 1;
  const maxPin = limits === null ? 63 : limits.maxPin;
  const uart = v.uart === undefined ? (c.add(`${path}.uart`, `is missing (the board's UART number, 0-${maxUart})`), null)
    : c.int(v.uart, `${path}.uart`, 0, maxUart);
  const tx = v.tx === undefined ? (c.add(`${path}.tx`, 'is missing (the transmit pin)'), null) : c.int(v.tx, `${path}.tx`, 0, maxPin);
  const rx = v.rx === undefined ? (c.add(`${path}.rx`, 'is missing (the receive pin)'), null) : c.int(v.rx, `${path}.rx`, 0, maxPin);
  const baud = v.baud === undefined ? 115200 : c.int(v.baud, `${path}.baud`, 300, 5_000_000);
  let messages = true;
  if (v.messages !== undefined) {
    if (typeof v.messages === 'boolean') messages = v.messages;
    else c.add(`${path}.messages`, 'must be true or false (whether the monitor\'s messages go to this line too)');
  }
  let device: string | undefined;
  if (v.device !== undefined) {
    if (platform !== 'simulator') c.add(`${path}.device`, 'is only for a simulator board (Moddable\'s simulator opens a host serial device; a board has pins)');
    else if (typeof v.device !== 'string' || v.device === '') c.add(`${path}.device`, 'must be a serial device path, such as "/dev/pts/3"');
    else device = v.device;
  } else if (platform === 'simulator') c.add(`${path}.device`, 'is missing (the host serial device the simulator opens, such as "/dev/pts/3")');
  if (tx !== null && rx !== null && tx === rx) c.add(`${path}.rx`, `is pin ${rx}, the same pin as $.uart0.tx`);
  if (uart === null || tx === null || rx === null || baud === null) return null;
  return Object.freeze(device === undefined ? { kind: 'board' as const, uart, tx, rx, baud, messages } : { kind: 'board' as const, uart, tx, rx, baud, messages, device });
}

function checkHostSerial(c: Checker, v: Json, path: string): HostSerial | null {
  if (v === undefined) {
    c.add(path, `is missing: ${HOST_SERIAL_SPELLINGS}`);
    return null;
  }
  const serial = typeof v === 'string' ? parseHostSerial(v) : null;
  if (serial === null) c.add(path, `must be ${HOST_SERIAL_SPELLINGS}, not ${describe(v)}`);
  return serial;
}

function checkGpio(c: Checker, v: Json, platform: Platform | null, reserved: Map<number, string>): GpioLineWiring[] {
  const path = '$.gpio';
  if (!isObject(v)) {
    c.add(path, `must be an object, not ${describe(v)}`);
    return [];
  }
  c.keys(v, path, GPIO_KEYS);
  if (!Array.isArray(v.lines)) {
    c.add(`${path}.lines`, v.lines === undefined ? 'is missing (an array, may be empty)' : `must be an array, not ${describe(v.lines)}`);
    return [];
  }
  if (v.lines.length > GPIO_LINES) c.add(`${path}.lines`, `has ${v.lines.length} entries; the GPIO block has ${GPIO_LINES} lines`);
  const maxPin = platform === null ? 63 : PLATFORMS[platform].maxPin;
  const out: GpioLineWiring[] = [];
  const seenLine = new Map<number, string>();
  const seenName = new Map<string, string>();
  const seenPin = new Map<number, string>(reserved);
  v.lines.forEach((entry, i) => {
    const p = `${path}.lines[${i}]`;
    if (!isObject(entry)) {
      c.add(p, `must be an object, not ${describe(entry)}`);
      return;
    }
    c.keys(entry, p, LINE_KEYS);
    const line = entry.line === undefined ? (c.add(`${p}.line`, `is missing (0-${GPIO_LINES - 1})`), null)
      : c.int(entry.line, `${p}.line`, 0, GPIO_LINES - 1);
    let name: string | null = null;
    if (typeof entry.name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_-]{0,31}$/.test(entry.name)) {
      c.add(`${p}.name`, `must be a name of letters, digits, '_' or '-' (1-32 characters), not ${describe(entry.name)}`);
    } else name = entry.name;
    const pin = entry.pin === undefined ? (c.add(`${p}.pin`, `is missing (0-${maxPin})`), null)
      : c.int(entry.pin, `${p}.pin`, 0, maxPin);
    const direction = entry.direction === undefined
      ? (c.add(`${p}.direction`, 'is missing ("input" or "output")'), null)
      : c.oneOf(entry.direction, `${p}.direction`, ['input', 'output'] as const);
    let pull: 'up' | 'down' | 'none' = 'none';
    if (entry.pull !== undefined) {
      const got = c.oneOf(entry.pull, `${p}.pull`, ['up', 'down', 'none'] as const);
      if (got !== null) pull = got;
      if (direction === 'output' && got !== null && got !== 'none') c.add(`${p}.pull`, 'applies to inputs only; this line is an output');
    }
    const dup = <K>(seen: Map<K, string>, key: K | null, field: string, show: string): void => {
      if (key === null) return;
      const prev = seen.get(key);
      if (prev !== undefined) c.add(`${p}.${field}`, `${show} is already used by ${prev}`);
      else seen.set(key, p);
    };
    dup(seenLine, line, 'line', `line ${line}`);
    dup(seenName, name, 'name', `name "${name}"`);
    dup(seenPin, pin, 'pin', `pin ${pin}`);
    if (line !== null && name !== null && pin !== null && direction !== null) {
      out.push(Object.freeze({ line, name, pin, direction, pull }));
    }
  });
  return out;
}
