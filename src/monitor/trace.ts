/**
 * Tracing and statistics of one VM: what its devices, interrupt lines,
 * traps and SBI calls do, as text lines and as counts.
 *
 * Owns the observer a VM takes at construction ({@link VmObserver}, the
 * `observe` option of `VirtVmOptions`), the proxies it puts around the
 * devices, interrupt lines and SBI, the trap-name tables, the line formats
 * (docs/trace.md) and the statistics block. A VM without an observer has
 * no proxies, so tracing that is off costs nothing. No output of its own:
 * lines go to the sink the host passes. See docs/design.md#the-monitor.
 */

import type { GuestAddressSpace } from '../addrspace/index.js';
import type { AccessFault } from '../addrspace/index.js';
import type { GuestPhysAddr } from '../addr/index.js';
import { ExitReason, PrivilegeMode, type Hart, type TrapRecord } from '../cpu/index.js';
import type { AccessRules, AccessValue, AccessWidth, BaseDeviceOps, EmuDeviceType, InterruptTarget, IrqLine } from '../device/index.js';
import { SbiExt, type MachineObserver } from '../machine/index.js';

// ------------------------------------------------------------ categories

/** What `--trace` can select, in the order lines are documented. */
export const TRACE_CATEGORIES = Object.freeze(['mmio', 'irq', 'trap', 'sbi'] as const);

/** One trace category: `mmio` device accesses and access faults, `irq` line changes and interrupt traps, `trap` every trap, `sbi` SBI calls. */
export type TraceCategory = (typeof TRACE_CATEGORIES)[number];

/** A trace list that names something other than the categories or `all`. */
export class TraceListError extends Error {
  /** The item at fault (empty for an empty item). */
  readonly item: string;
  constructor(item: string, message: string) {
    super(message);
    Object.defineProperty(this, 'name', { value: 'TraceListError', writable: true, configurable: true });
    this.item = item;
  }
}

/**
 * Takes a comma-separated list of categories (`mmio,irq`), or `all`;
 * returns the categories, each once, in {@link TRACE_CATEGORIES} order.
 * Refuses an empty list, an empty item and an unknown name with a
 * {@link TraceListError} naming it and the choices.
 */
export function parseTraceList(text: string): readonly TraceCategory[] {
  const choices = `${TRACE_CATEGORIES.join(', ')} or all`;
  if (text.trim() === '') throw new TraceListError('', `the list is empty (expected a comma-separated list of ${choices})`);
  const wanted = new Set<string>();
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (item === '') throw new TraceListError('', `'${text}' has an empty item (expected a comma-separated list of ${choices})`);
    if (item === 'all') {
      for (const c of TRACE_CATEGORIES) wanted.add(c);
    } else if ((TRACE_CATEGORIES as readonly string[]).includes(item)) {
      wanted.add(item);
    } else {
      throw new TraceListError(item, `unknown category '${item}' (expected ${choices})`);
    }
  }
  return Object.freeze(TRACE_CATEGORIES.filter((c) => wanted.has(c)));
}

// ------------------------------------------------------------ trap names

/** Names of the exception codes (privileged spec 1.12, table 3.6), as trace lines print them. */
export const EXCEPTION_NAMES: Readonly<Record<number, string>> = Object.freeze({
  0: 'fetch-misaligned',
  1: 'fetch-access-fault',
  2: 'illegal-instruction',
  3: 'breakpoint',
  4: 'load-misaligned',
  5: 'load-access-fault',
  6: 'store-misaligned',
  7: 'store-access-fault',
  8: 'ecall-u',
  9: 'ecall-s',
  11: 'ecall-m',
  12: 'fetch-page-fault',
  13: 'load-page-fault',
  15: 'store-page-fault',
});

/** Names of the interrupt codes (privileged spec 1.12, table 3.6). */
export const INTERRUPT_NAMES: Readonly<Record<number, string>> = Object.freeze({
  1: 's-software',
  3: 'm-software',
  5: 's-timer',
  7: 'm-timer',
  9: 's-external',
  11: 'm-external',
});

/** The name of exception or interrupt `code`; `reserved` for a code the spec does not assign. */
export function trapName(code: number, interrupt: boolean): string {
  return (interrupt ? INTERRUPT_NAMES[code] : EXCEPTION_NAMES[code]) ?? 'reserved';
}

const PRIV_LETTER: Readonly<Record<number, string>> = Object.freeze({
  [PrivilegeMode.User]: 'U',
  [PrivilegeMode.Supervisor]: 'S',
  [PrivilegeMode.Machine]: 'M',
});

/** Extension names for `sbi` lines and statistics: the keys of {@link SbiExt}, by extension id. */
const SBI_EXT_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(SbiExt).map(([k, v]) => [v as number, k]));

/** The name of SBI extension `eid` (a key of {@link SbiExt}), or its id in hex. */
export function sbiExtensionName(eid: number): string {
  return SBI_EXT_NAMES.get(eid >>> 0) ?? hex(eid);
}

// ------------------------------------------------------------ formatting

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}

/** An address: at least 8 hex digits (the bus has 34 bits). */
function addrHex(a: number): string {
  return `0x${a.toString(16).padStart(8, '0')}`;
}

/** A device value as unsigned hex, whatever form the handler returned it in (an int32 for a word, say). */
function valueHex(v: AccessValue, width: AccessWidth): string {
  if (typeof v === 'bigint' || width === 8) return `0x${BigInt.asUintN(64, BigInt(v)).toString(16)}`;
  return `0x${(width === 4 ? v >>> 0 : v & (width === 1 ? 0xff : 0xffff)).toString(16)}`;
}

/** Width of the instruction-count field of a trace line (it grows past 10 digits). */
export const TRACE_COUNT_WIDTH = 10;

// ------------------------------------------------------------ observer

/** What an observer may read of the VM it watches (given by the VM at construction). */
export interface ObservedVm {
  /** Instructions retired since the VM was built (resets included): the count at the start of each trace line. */
  readonly instret: number;
  /** The VM's address space, whose `lastFault` names the access fault behind an access-fault trap. */
  readonly space: GuestAddressSpace;
}

/**
 * Watches one VM. The VM calls these at construction only (and `trap`,
 * `runExit` as things happen); each wrapper returns the object the VM then
 * uses instead of the original. A VM without an observer calls none of
 * them and uses its objects unwrapped.
 */
export interface VmObserver extends MachineObserver {
  /** The VM under construction hands itself over, before any other call. */
  attach(vm: ObservedVm): void;
  /** A hart run inside the VM's run loop returned `reason` (an {@link ExitReason}). */
  runExit(reason: number): void;
}

/** Reads, writes and faults of one device (or region). */
export interface DeviceCounts {
  readonly name: string;
  reads: number;
  writes: number;
  /** Access faults the address space reported on the region (refused widths, misaligned, handler errors). */
  faults: number;
}

/** What a {@link VmTracer} counted. */
export interface VmTraceStats {
  /** Devices in registration order. */
  readonly devices: readonly DeviceCounts[];
  /** Access faults by kind (`unassigned`, `read-only`, `device-error`, ...). */
  readonly faults: ReadonlyMap<string, number>;
  /** Returns of the hart's run inside the VM's run loop, by reason. */
  readonly runExits: { budget: number; wfi: number; stop: number; fatal: number };
  /** Traps taken, keyed by the xcause value (bit 31 set for interrupts). */
  readonly traps: ReadonlyMap<number, number>;
  /** SBI calls, by extension id. */
  readonly sbi: ReadonlyMap<number, number>;
}

/** Options of a {@link VmTracer}. */
export interface VmTracerOptions {
  /** Categories to print (default none: count only, for statistics). */
  readonly trace?: readonly TraceCategory[];
  /** Receives each trace line, without a newline. Required when `trace` selects anything. */
  readonly sink?: (line: string) => void;
  /** Printed after the count on every line (`[   12] NAME: ...`) to tell several VMs apart; omitted: no name. */
  readonly vmName?: string;
}

/**
 * A device standing in for another in the address space: counts and
 * traces each access, then hands it on. The original is {@link inner}.
 */
export class ObservedDevice implements BaseDeviceOps {
  readonly name: string;
  readonly accessRules?: AccessRules;
  /** The device this one stands for. */
  readonly inner: BaseDeviceOps;
  private readonly counts: DeviceCounts;
  private readonly tracer: VmTracer | null;
  /** The device's base address, for printing accesses by address rather than offset. */
  private readonly base: number;

  /** Takes the device, its counters and the tracer to print through (null: count only). */
  constructor(options: { inner: BaseDeviceOps; counts: DeviceCounts; tracer: VmTracer | null }) {
    this.inner = options.inner;
    this.name = options.inner.name;
    if (options.inner.accessRules !== undefined) this.accessRules = options.inner.accessRules;
    this.counts = options.counts;
    this.tracer = options.tracer;
    this.base = options.inner.addressRange().start;
  }

  emuType(): EmuDeviceType {
    return this.inner.emuType();
  }

  addressRange(): ReturnType<BaseDeviceOps['addressRange']> {
    return this.inner.addressRange();
  }

  /** Counts, reads through, and prints the value read (after whatever the read caused, e.g. a lowered line). */
  handleRead(offset: number, width: AccessWidth): AccessValue {
    this.counts.reads++;
    const v = this.inner.handleRead(offset, width);
    if (this.tracer !== null) this.tracer.emit(`mmio ${this.name} r ${addrHex(this.base + offset)}/${width} = ${valueHex(v, width)}`);
    return v;
  }

  /** Counts, prints the write (before its effects, so causes come first), and writes through. */
  handleWrite(offset: number, width: AccessWidth, val: AccessValue): void {
    this.counts.writes++;
    if (this.tracer !== null) this.tracer.emit(`mmio ${this.name} w ${addrHex(this.base + offset)}/${width} = ${valueHex(val, width)}`);
    this.inner.handleWrite(offset, width, val);
  }
}

const EXIT_NAMES: Readonly<Record<number, 'budget' | 'wfi' | 'stop' | 'fatal'>> = Object.freeze({
  [ExitReason.BudgetSpent]: 'budget',
  [ExitReason.Wfi]: 'wfi',
  [ExitReason.Stop]: 'stop',
  [ExitReason.Fatal]: 'fatal',
});

/** Exception codes whose trap may come from an address-space fault. */
const ACCESS_CAUSES = Object.freeze([1, 4, 5, 6, 7]);

/**
 * The observer the CLI uses: counts everything (see {@link stats}) and
 * prints the selected categories to the sink, one line per event, in the
 * formats of docs/trace.md. Refuses (TypeError) a trace selection without
 * a sink.
 */
export class VmTracer implements VmObserver {
  readonly stats: VmTraceStats;
  private readonly sink: ((line: string) => void) | null;
  private readonly prefix: string;
  private readonly mmio: boolean;
  private readonly irq: boolean;
  private readonly traps: boolean;
  private readonly sbi: boolean;
  private vm: ObservedVm | null = null;
  private readonly devices: DeviceCounts[] = [];
  private readonly byName = new Map<string, DeviceCounts>();
  private readonly faults = new Map<string, number>();
  private readonly trapCounts = new Map<number, number>();
  private readonly sbiCounts = new Map<number, number>();
  private readonly exits = { budget: 0, wfi: 0, stop: 0, fatal: 0 };
  /** The last fault reported, so that a trap the address space did not cause (a misaligned atomic) reports no stale fault. */
  private lastFault: AccessFault | null = null;

  constructor(options: VmTracerOptions = {}) {
    const trace = options.trace ?? [];
    this.sink = options.sink ?? null;
    if (trace.length > 0 && typeof this.sink !== 'function') throw new TypeError('VmTracer: tracing needs a sink (line: string) => void');
    this.prefix = options.vmName === undefined ? '' : `${options.vmName}: `;
    this.mmio = trace.includes('mmio');
    this.irq = trace.includes('irq');
    this.traps = trace.includes('trap');
    this.sbi = trace.includes('sbi');
    this.stats = Object.freeze({ devices: this.devices, faults: this.faults, runExits: this.exits, traps: this.trapCounts, sbi: this.sbiCounts });
  }

  /** Prints one line: the instruction count, the VM's name if any, and `text`. */
  emit(text: string): void {
    const n = this.vm === null ? 0 : this.vm.instret;
    this.sink!(`[${String(n).padStart(TRACE_COUNT_WIDTH)}] ${this.prefix}${text}`);
  }

  attach(vm: ObservedVm): void {
    this.vm = vm;
  }

  device(device: BaseDeviceOps): BaseDeviceOps {
    const counts = this.countsOf(device.name);
    return new ObservedDevice({ inner: device, counts, tracer: this.mmio ? this : null });
  }

  irqLine(source: string, sink: string, number: number, line: IrqLine): IrqLine {
    if (!this.irq) return line;
    let level = false;
    const text = `irq ${source} -> ${sink} ${number} = `;
    return {
      set: (high: boolean): void => {
        // Lines are levels that devices set again and again: only changes are events.
        if (high !== level) {
          level = high;
          this.emit(text + (high ? '1' : '0'));
        }
        line.set(high);
      },
    };
  }

  interruptTarget(source: string, target: InterruptTarget): InterruptTarget {
    if (!this.irq) return target;
    let levels = 0;
    return {
      setInterruptPending: (cause: number, high: boolean): void => {
        const bit = 2 ** cause;
        if (((levels & bit) !== 0) !== high) {
          levels = high ? levels | bit : levels & ~bit;
          this.emit(`irq ${source} -> hart ${cause} = ${high ? '1' : '0'}`);
        }
        target.setInterruptPending(cause, high);
      },
    };
  }

  trap(_hart: Hart, r: TrapRecord): void {
    if (!r.interrupt && ACCESS_CAUSES.includes(r.code) && this.vm !== null) {
      const f = this.vm.space.lastFault;
      if (f !== null && f !== this.lastFault) {
        this.lastFault = f;
        this.faults.set(f.kind, (this.faults.get(f.kind) ?? 0) + 1);
        if (f.region !== null) {
          const c = this.byName.get(f.region);
          if (c !== undefined) c.faults++;
        }
        if (this.mmio) this.emit(`mmio ${f.region ?? '-'} ${f.op === 'read' ? 'r' : 'w'} ${addrHex(f.address)}/${f.width} fault ${f.kind}`);
      }
    }
    this.trapCounts.set(r.cause, (this.trapCounts.get(r.cause) ?? 0) + 1);
    if (this.traps || (this.irq && r.interrupt)) {
      this.emit(`trap ${r.interrupt ? 'int' : 'exc'} ${r.code} ${trapName(r.code, r.interrupt)} tval=${addrHex(r.tval)} epc=${addrHex(r.epc)} ` +
        `${PRIV_LETTER[r.fromPriv]}->${PRIV_LETTER[r.priv]}`);
    }
  }

  ecall(handler: (hart: Hart) => void): (hart: Hart) => void {
    return (hart: Hart): void => {
      const x = hart.regs;
      const eid = x[17] >>> 0;
      this.sbiCounts.set(eid, (this.sbiCounts.get(eid) ?? 0) + 1);
      if (!this.sbi) {
        handler(hart);
        return;
      }
      const call = `sbi ${sbiExtensionName(eid)} fid=${x[16] >>> 0} a0=${hex(x[10])} a1=${hex(x[11])} a2=${hex(x[12])} a3=${hex(x[13])} a4=${hex(x[14])} a5=${hex(x[15])}`;
      handler(hart);
      // Legacy extensions (0x00-0x08) return a0 only (SBI spec chapter 5); the others an error in a0 and a value in a1.
      this.emit(eid <= SbiExt.LEGACY_SHUTDOWN ? `${call} -> ret=${hex(x[10])}` : `${call} -> err=${x[10] | 0} val=${hex(x[11])}`);
    };
  }

  runExit(reason: number): void {
    const k = EXIT_NAMES[reason];
    if (k !== undefined) this.exits[k]++;
  }

  private countsOf(name: string): DeviceCounts {
    let c = this.byName.get(name);
    if (c === undefined) {
      c = { name, reads: 0, writes: 0, faults: 0 };
      this.byName.set(name, c);
      this.devices.push(c);
    }
    return c;
  }
}

// ------------------------------------------------------------ output

/** Options of a {@link TraceBuffer}. */
export interface TraceBufferOptions {
  /** Takes a chunk of lines, each ending in a newline (the host's stderr or file). */
  readonly write: (text: string) => void;
  /** Characters to collect before writing (default 64 Ki); 0 writes every line at once. */
  readonly chunk?: number;
}

/**
 * Collects trace lines and hands them to the host in chunks, so that a
 * busy trace does not cost one host write per line. Call {@link flush}
 * before printing anything that must come after the trace (statistics)
 * and at the end. Refuses a missing `write` or a negative chunk (TypeError).
 */
export class TraceBuffer {
  /** The sink to give {@link VmTracer}s: takes one line without its newline. */
  readonly sink: (line: string) => void;
  private readonly write: (text: string) => void;
  private readonly chunk: number;
  private parts: string[] = [];
  private size = 0;

  constructor(options: TraceBufferOptions) {
    if (typeof options.write !== 'function') throw new TypeError('TraceBuffer needs write(text)');
    const chunk = options.chunk ?? 65536;
    if (!(chunk >= 0)) throw new TypeError(`TraceBuffer: chunk ${chunk} is not a non-negative number`);
    this.write = options.write;
    this.chunk = chunk;
    this.sink = (line: string): void => {
      this.parts.push(line, '\n');
      this.size += line.length + 1;
      if (this.size >= this.chunk) this.flush();
    };
  }

  /** Writes what is collected, if anything. */
  flush(): void {
    if (this.size === 0) return;
    const text = this.parts.join('');
    this.parts = [];
    this.size = 0;
    this.write(text);
  }
}

// ------------------------------------------------------------ statistics

/**
 * The statistics block of `--stats` for `stats` (docs/trace.md), one
 * string per line without a newline: devices that were accessed or
 * faulted (registration order), access faults by kind, run-loop exits,
 * traps by cause, SBI calls by extension. Lines with nothing to count say
 * `none`.
 */
export function formatTraceStats(stats: VmTraceStats): string[] {
  const out: string[] = [];
  for (const d of stats.devices) {
    if (d.reads + d.writes + d.faults === 0) continue;
    out.push(`device ${d.name}: ${d.reads} reads, ${d.writes} writes, ${d.faults} faults`);
  }
  out.push(`access faults: ${tally([...stats.faults.keys()].sort().map((k) => [k, stats.faults.get(k)!]))}`);
  const e = stats.runExits;
  out.push(`run exits: budget ${e.budget}, wfi ${e.wfi}, stop ${e.stop}, fatal ${e.fatal}`);
  // Exceptions first, then interrupts, each by code: xcause values sort that way as unsigned numbers.
  out.push(`traps: ${tally([...stats.traps.keys()].sort((a, b) => a - b).map((c) => {
    const interrupt = c >= 0x80000000;
    const code = interrupt ? c - 0x80000000 : c;
    return [`${interrupt ? 'int' : 'exc'} ${code} ${trapName(code, interrupt)}`, stats.traps.get(c)!];
  }))}`);
  out.push(`sbi calls: ${tally([...stats.sbi.keys()].sort((a, b) => a - b).map((eid) => [sbiExtensionName(eid), stats.sbi.get(eid)!]))}`);
  return out;
}

/** `TOTAL (label n, label n, ...)`, or `none` when there is nothing. */
function tally(entries: readonly (readonly [string, number])[]): string {
  let total = 0;
  for (const [, n] of entries) total += n;
  return total === 0 ? 'none' : `${total} (${entries.map(([label, n]) => `${label} ${n}`).join(', ')})`;
}
