/**
 * The one byte protocol between Node and a script in an xsnap worker
 * (`--engine xs`'s engine-entry.ts, the Moddable app's xs-entry.ts): the
 * operations XS sends through `issueCommand` and the layout of requests
 * and replies. Shared by both sides: it imports nothing, runs in both engines.
 *
 * A request is `[op u8][room u32 LE][payload]`, `room` being the input
 * bytes XS can take now. Replies to T, C, P and W are `[flags u8][room u32
 * LE][payload]`: with {@link REPLY_STOP}, the payload is the reason the host
 * wants the guest stopped; otherwise it is input for the guest's UART (at
 * most the request's room), and `room` is how many output bytes the host
 * takes in the next T. Exchanges happen per slice of guest instructions or
 * batch of bytes, never per byte. More serial streams (a configuration's
 * ports, GDB's connection) are lanes: U and K name theirs; controls from
 * Node ride in replies ({@link REPLY_CONTROL}).
 */

/** Operations XS asks of Node (the request's first byte). */
export const OP = Object.freeze({
  /** Set-up: Node answers JSON (the script's own: {@link XsRunSetup} for engine-entry.ts). */
  SETUP: 0x53, // 'S'
  /** The guest image: Node answers its bytes. */
  IMAGE: 0x49, // 'I'
  /** A data file (payload: its index, u32 LE): Node answers its bytes; index 0 is `--dtb` when the set-up names one, the `--load` files follow. */
  DATA: 0x44, // 'D'
  /** Bytes the guest's UART sent (payload); answered with flags, room and input. */
  TRANSMIT: 0x54, // 'T'
  /** Bytes of the HTIF console (payload); answered as T. */
  CONSOLE: 0x43, // 'C'
  /** Nothing to send: asks for input and for a stop. */
  POLL: 0x50, // 'P'
  /** The guest is idle: wait up to the payload's milliseconds (u32 LE) for input or a stop. */
  WAIT: 0x57, // 'W'
  /** Instructions retired so far (payload: float64 LE), about twice a second while the guest runs: the CLI's progress. */
  PROGRESS: 0x52, // 'R'
  /** Text for the host's log (UTF-8 payload): a loader warning, the app's trace. */
  LOG: 0x4c, // 'L'
  /** With `--snapshot-save`: the VM's snapshot at the run's end (payload: src/snapshot's bytes), just before EXIT. */
  SNAPSHOT: 0x4e, // 'N'
  /** With `--trace`: trace lines, each ending in a newline (UTF-8 payload), a bounded chunk at a time. */
  TRACE: 0x45, // 'E'
  /** The run's end: JSON (the script's own: {@link XsRunReport} for engine-entry.ts). */
  EXIT: 0x58, // 'X'
  /** Bytes a UART sent on lane k >= 1 (payload: [lane u8][bytes]; lane 0 is T's); answered as T, with that lane's room and input. */
  LANE: 0x55, // 'U'
  /** HTIF console bytes of the VM on lane k >= 1 (payload: [lane u8][bytes]); answered as U. */
  LANE_CONSOLE: 0x4b, // 'K'
  /** A monitor event of a configuration's run (JSON: {@link XsMonitorEvent}), said by Node as it happens. */
  EVENT: 0x56, // 'V'
  /** `--view`: the board's lines that changed since the last report (JSON: host/view's PinState[]). */
  PINS: 0x51, // 'Q'
  /** `--gdb`: the debugger's connection ended (W, k, D); its lane's bytes were all sent before: Node closes the socket. */
  GDB_END: 0x47, // 'G'
});

/** Reply flag: the host asks the VM to stop; the payload is the reason. */
export const REPLY_STOP = 1;
/** Reply flag: the host asks for the guest's restart (Ctrl-A r); the payload is input as usual. */
export const REPLY_RESTART = 2;
/**
 * Reply flag: controls from the host come first in the payload, as
 * `[length u16 LE][JSON array of {@link XsControl}]`; the input follows.
 */
export const REPLY_CONTROL = 4;
/** Bytes before the payload in requests and in replies. */
export const HEADER_BYTES = 5;

/** Lanes at most: each is a serial stream between a port in XS and one in Node (a VM's UART, a shared console). */
export const MAX_LANES = 16;

/** What the host asks of a configuration's run, besides stop and restart (carried by {@link REPLY_CONTROL}). */
export type XsControl =
  /** Ctrl-A 1-9: the shared console's input goes to its VM `index`. */
  | { readonly kind: 'focus'; readonly index: number }
  /** The VM's port has its client (`tcp:PORT` without `nowait`): it may run. */
  | { readonly kind: 'release'; readonly vm: string }
  /** `--gdb`: a debugger connected (its bytes come on the GDB lane), or went away. */
  | { readonly kind: 'gdb'; readonly event: 'connect' | 'gone' }
  /** `--view`: a button pressed or released on the page. */
  | { readonly kind: 'press'; readonly name: string; readonly pressed: boolean };

/** One VM of a configuration: where its bytes come from and go, by index. */
export interface XsVmSetup {
  /** The DATA file of its image, and of its `load` files in order. */
  readonly image: number;
  readonly loads: readonly number[];
  /** The lane of its UART0 (its own port), or null (the shared console, or none). */
  readonly lane: number | null;
  /** Its place on the shared console, or null. */
  readonly shared: number | null;
  /** Whether its HTIF console bytes go to its lane (as the Node engine: when the lane is the terminal). */
  readonly console: boolean;
  /** It waits for {@link XsControl} `release` (its port waits for a client). */
  readonly held: boolean;
}

/** A monitor configuration (`--config`), parsed again in XS by the same code as in Node. */
export interface XsConfigSetup {
  /** The configuration's text and file name; its board's text and file name (the board is loaded by Node). */
  readonly text: string;
  readonly file: string;
  readonly boardText: string;
  readonly boardFile: string;
  /** Per VM, in configuration order. */
  readonly vms: readonly XsVmSetup[];
  /** Instructions per VM per round (the configuration's `slice`). */
  readonly slice: number;
  /** The lane of the board's UART0 when VMs share it as a console, else null; their names in console order. */
  readonly sharedLane: number | null;
  readonly sharedNames: readonly string[];
}

/** A monitor event as it crosses (src/monitor's MonitorEvent, the fault's dump as plain numbers). */
export type XsMonitorEvent =
  | { readonly kind: 'fault'; readonly vm: string; readonly fault: XsFault; readonly action: 'stopped' | 'restarted'; readonly restarts: number }
  | { readonly kind: 'ended'; readonly vm: string; readonly exit: XsExitDescription };

/** A VM's exit as it crosses (src/monitor's VmExit without the error object). */
export interface XsExitDescription {
  readonly kind: string;
  readonly status?: number;
  readonly source?: string;
  readonly reason?: string;
  readonly instructions?: number;
}

/** A fault as it crosses: the rule, its reason, the registers (src/monitor/fault.ts RegisterDump). */
export interface XsFault {
  readonly kind: string;
  readonly reason: string;
  readonly dump: { readonly [field: string]: number | readonly number[] };
}

/** One VM's end in a configuration's report. */
export interface XsVmOutcome extends XsExitDescription {
  readonly name: string;
  readonly fault?: XsFault;
  readonly restarts: number;
  readonly instret: number;
  /** With `stats`: its tracer's statistics block. */
  readonly traceStats?: readonly string[];
}

/** What Node tells engine-entry.ts at set-up. */
export interface XsRunSetup {
  /** The board file's text and its name for messages; XS parses it again (a Board has methods). */
  readonly boardText: string;
  readonly boardFile: string;
  readonly imageName: string;
  readonly ramSize: number;
  /** The hart's tier (`--tier`, docs/jit.md). */
  readonly tier: 'interp' | 'jit';
  /** Stop after this many instructions; null for no limit. */
  readonly maxInsns: number | null;
  /** Whether UART0 has a port (false for `--serial none`). */
  readonly serial: boolean;
  /** Whether HTIF console bytes are wanted (as the Node engine: only with the terminal). */
  readonly console: boolean;
  /** The VM's clock: XS's wall clock, `deterministic` (1000 ns per instruction), or `--icount` SHIFT or `auto`. */
  readonly clock: 'wall' | 'deterministic' | number | 'auto';
  /** `--firmware`. */
  readonly firmware: 'none' | 'sbi';
  /** `--append`, or null. */
  readonly bootargs: string | null;
  /** `--dtb`'s file name (its bytes are DATA 0), or null. */
  readonly dtbName: string | null;
  /** `--load`: each file's name and address; the bytes are DATA 1, 2, ... (0, 1, ... without --dtb). */
  readonly loads: readonly { readonly name: string; readonly addr: number }[];
  /** `--snapshot-load`'s file name for messages (its bytes are the last DATA file), or null. */
  readonly snapshotLoad: string | null;
  /** With `--snapshot-save`: the producer written into the snapshot (sent as SNAPSHOT); null: none is taken. */
  readonly snapshotProducer: string | null;
  /** `--trace`'s categories (src/monitor/trace.ts); with none and no `stats`, no tracer. */
  readonly trace: readonly string[];
  /** `--stats`: count device accesses, traps and SBI calls (the report's traceStats). */
  readonly stats: boolean;
  /** `--config`: the VMs of this configuration instead of the one image above (whose fields are then unused); null: one image. */
  readonly config: XsConfigSetup | null;
  /** `--gdb`: the lane of the debugger's bytes, the VM debugged (its index), and `--wait`; null: no debugger. */
  readonly gdb: { readonly lane: number; readonly vm: number; readonly wait: boolean } | null;
  /** `--view`: report the board's lines as they change (OP.PINS), take presses. */
  readonly view: boolean;
}

/** How the run in engine-entry.ts ended (its last message). */
export interface XsRunReport {
  /**
   * The VM's exit kind (`exit`, `limit`, `stopped`, `fatal`), or
   * `refused` when the VM could not be built (`error` says why).
   */
  readonly kind: string;
  readonly status?: number;
  readonly source?: string;
  readonly reason?: string;
  readonly instructions?: number;
  /** For `refused`: the error's class name (ImageError, VmConfigError, ...) and message. */
  readonly errorName?: string;
  readonly error?: string;
  /** Instructions retired (resets included). */
  readonly instret: number;
  /** Seconds spent in the run loop, by XS's clock. */
  readonly seconds: number;
  /** With `stats`: the tracer's statistics block (src/monitor/trace.ts formatTraceStats). */
  readonly traceStats?: readonly string[];
  /** When the monitor's fault rules stopped the guest: the rule, its reason, and the registers (src/monitor/fault.ts RegisterDump). */
  readonly fault?: XsFault;
  /** `--config`: every VM's end, in configuration order. */
  readonly vms?: readonly XsVmOutcome[];
}

/** Writes `v` as an unsigned 32-bit little-endian number at `at`. */
export function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  b[at + 2] = (v >>> 16) & 0xff;
  b[at + 3] = (v >>> 24) & 0xff;
}

/** Reads an unsigned 16-bit little-endian number at `at`. */
export function readU16(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8);
}

/** Reads an unsigned 32-bit little-endian number at `at`. */
export function readU32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}
