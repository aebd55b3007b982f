/**
 * The command side of a GDB remote stub: turns one packet payload into a
 * reply, or into an action (resume, step, kill, detach) for the host, over
 * a small {@link DebugTarget} interface. GDB manual, appendix E.4 "Packets",
 * E.3 "Stop Reply Packets", E.4 "General Query Packets"
 * (https://sourceware.org/gdb/current/onlinedocs/gdb.html/Packets.html).
 *
 * Owns the packet grammar and the replies: `?`, `g`/`G`, `p`/`P`,
 * `m`/`M`/`X`, `c`/`s` (with an optional address), `Z0`-`Z4`/`z0`-`z4`,
 * `qSupported`, `qXfer:features:read:target.xml`, `qAttached`, `qC`,
 * `qfThreadInfo`/`qsThreadInfo`, `H`, `T`, `k`, `vKill`, `D`,
 * `QStartNoAckMode`; everything else gets the empty reply ("not
 * supported"). Malformed packets get `E` replies, never an exception: the
 * stub is fed whatever arrives on a socket.
 */

import { escapeBinary, fromHex, hex2, parseHexNumber, regFromHex, regToHex, toHex, unescapeBinary } from './rsp.js';
import { G_REGISTERS, TARGET_XML } from './target-xml.js';

/** Breakpoint and watchpoint types of `Z`/`z` (GDB manual E.4). */
export const BreakType = Object.freeze({
  Software: 0,
  Hardware: 1,
  Write: 2,
  Read: 3,
  Access: 4,
} as const);
export type BreakType = (typeof BreakType)[keyof typeof BreakType];

/** Why the target stopped: what the stop reply says. */
export type StopEvent =
  /** A software breakpoint (`Z0`, or `Z1` mapped to it) at pc. */
  | { readonly kind: 'breakpoint' }
  /** A watchpoint: the access at pc is about to happen (RISC-V watchpoints are non-steppable in GDB). */
  | { readonly kind: 'watch'; readonly type: 'watch' | 'rwatch' | 'awatch'; readonly address: number }
  /** A single step completed. */
  | { readonly kind: 'step' }
  /** Halted on request (attach, Ctrl-C, or before the first instruction). */
  | { readonly kind: 'interrupt' }
  /** The guest exited with `status`. */
  | { readonly kind: 'exited'; readonly status: number }
  /** The VM ended otherwise (fatal error, timeout, signal). */
  | { readonly kind: 'terminated' };

/** What the stub needs of the thing it debugs. Every method reports failure by its return value, never by throwing. */
export interface DebugTarget {
  /** Register `n` in the remote numbering (target-xml.ts), unsigned; null if it does not exist. */
  readRegister(n: number): number | null;
  /** Writes register `n`; false if it does not exist or refuses the value. */
  writeRegister(n: number, value: number): boolean;
  /** Up to `length` bytes at guest virtual address `address` as the hart sees it; fewer (or none) where they become unreadable. */
  readMemory(address: number, length: number): Uint8Array;
  /** Writes bytes at a guest virtual address; false if any byte could not be written. */
  writeMemory(address: number, bytes: Uint8Array): boolean;
  /** Sets a breakpoint or watchpoint covering `[address, address + length)`; false if unsupported. */
  insertBreakpoint(type: BreakType, address: number, length: number): boolean;
  /** Clears one; false if unsupported. */
  removeBreakpoint(type: BreakType, address: number, length: number): boolean;
}

/** What the host must do with a packet. */
export type StubAction =
  /** Send this payload (a binary string, escaped where needed). */
  | { readonly kind: 'reply'; readonly payload: string }
  /** Resume (`step` false) or single-step; the stop reply comes later. `address`: new pc, or null. */
  | { readonly kind: 'resume'; readonly step: boolean; readonly address: number | null }
  /** Send `OK`, then switch acknowledgements off. */
  | { readonly kind: 'no-ack' }
  /** `k`/`vKill`: end the run (for `vKill`, after replying `OK`). */
  | { readonly kind: 'kill'; readonly reply: string | null }
  /** `D`: reply `OK`, drop breakpoints, let the target run, close the connection. */
  | { readonly kind: 'detach' };

/** Packet size advertised in qSupported (hex in the reply): bounds `m` replies and `X`/`M` requests. */
export const PACKET_SIZE = 0x4000;

/** Error replies; GDB shows only that an error happened. E14 is EFAULT, as gdbserver uses for memory. */
const E_PARSE = 'E01';
const E_REG = 'E02';
const E_FAULT = 'E14';

/** The stop reply for an event (thread 1 named, as the only thread). */
export function stopReply(event: StopEvent): string {
  switch (event.kind) {
    case 'breakpoint':
      return 'T05swbreak:;thread:1;';
    case 'watch':
      return `T05${event.type}:${event.address.toString(16)};thread:1;`;
    case 'step':
      return 'T05thread:1;';
    case 'interrupt':
      return 'T02thread:1;';
    case 'exited':
      return `W${hex2(event.status & 0xff)}`;
    default:
      return 'X09';
  }
}

const ok = (payload: string): StubAction => ({ kind: 'reply', payload });

/**
 * The stub's command handling. Takes the target and a function that gives
 * the current stop event (for `?`). `handle(payload)` never throws for any
 * input: malformed packets get an `E` reply, unknown ones the empty reply.
 */
export class GdbStub {
  private readonly target: DebugTarget;
  private readonly lastStop: () => StopEvent;

  constructor(options: { target: DebugTarget; lastStop(): StopEvent }) {
    this.target = options.target;
    this.lastStop = options.lastStop;
  }

  /** Handles one packet payload (a binary string); returns what to do. */
  handle(payload: string): StubAction {
    try {
      return this.dispatch(payload);
    } catch {
      // A target that broke its promise not to throw: still an answer, never a dead connection.
      return ok(E_PARSE);
    }
  }

  private dispatch(p: string): StubAction {
    if (p.length === 0) return ok('');
    const c = p[0];
    const rest = p.slice(1);
    switch (c) {
      case '?':
        return ok(stopReply(this.lastStop()));
      case 'g':
        return ok(rest === '' ? this.readAll() : E_PARSE);
      case 'G':
        return ok(this.writeAll(rest));
      case 'p': {
        const n = parseHexNumber(rest, 0xffff);
        if (n === null) return ok(E_PARSE);
        const v = this.target.readRegister(n);
        return ok(v === null ? E_REG : regToHex(v));
      }
      case 'P': {
        const eq = rest.indexOf('=');
        const n = eq < 0 ? null : parseHexNumber(rest.slice(0, eq), 0xffff);
        const v = eq < 0 ? null : regFromHex(rest.slice(eq + 1));
        if (n === null || v === null) return ok(E_PARSE);
        return ok(this.target.writeRegister(n, v) ? 'OK' : E_REG);
      }
      case 'm':
        return ok(this.readMemory(rest));
      case 'M':
        return ok(this.writeMemory(rest, false));
      case 'X':
        return ok(this.writeMemory(rest, true));
      case 'c':
      case 's': {
        if (rest === '') return { kind: 'resume', step: c === 's', address: null };
        const a = parseHexNumber(rest);
        if (a === null || (a & 1) !== 0) return ok(E_PARSE);
        return { kind: 'resume', step: c === 's', address: a };
      }
      case 'Z':
      case 'z':
        return ok(this.breakpoint(c === 'Z', rest));
      case 'H':
        return ok(/^[gcm](-1|0|[0-9a-fA-F]{1,8})$/.test(rest) ? 'OK' : E_PARSE);
      case 'T':
        return ok(rest === '1' || rest === '01' ? 'OK' : E_PARSE);
      case 'k':
        return { kind: 'kill', reply: null };
      case 'D':
        return { kind: 'detach' };
      case 'q':
      case 'Q':
        return this.query(p);
      case 'v':
        if (p === 'vKill' || p.startsWith('vKill;')) return { kind: 'kill', reply: 'OK' };
        return ok('');
      default:
        return ok('');
    }
  }

  private query(p: string): StubAction {
    if (p.startsWith('qSupported')) {
      return ok(`PacketSize=${PACKET_SIZE.toString(16)};qXfer:features:read+;swbreak+;hwbreak+;QStartNoAckMode+`);
    }
    if (p === 'QStartNoAckMode') return { kind: 'no-ack' };
    if (p === 'qAttached' || p.startsWith('qAttached:')) return ok('1');
    if (p === 'qC') return ok('QC1');
    if (p === 'qfThreadInfo') return ok('m1');
    if (p === 'qsThreadInfo') return ok('l');
    if (p.startsWith('qXfer:features:read:')) return ok(this.features(p.slice('qXfer:features:read:'.length)));
    return ok('');
  }

  /** `annex:offset,length` of qXfer:features:read. */
  private features(args: string): string {
    const m = /^([^:]*):([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(args);
    if (m === null) return E_PARSE;
    if (m[1] !== 'target.xml') return 'E00';
    const offset = parseHexNumber(m[2]);
    const length = parseHexNumber(m[3]);
    if (offset === null || length === null) return E_PARSE;
    if (offset >= TARGET_XML.length) return 'l';
    // Escaping can double a byte: stay within the packet size.
    const n = Math.min(length, (PACKET_SIZE >> 1) - 8);
    const chunk = TARGET_XML.slice(offset, offset + n);
    return (offset + chunk.length >= TARGET_XML.length ? 'l' : 'm') + escapeBinary(chunk);
  }

  private readAll(): string {
    let s = '';
    for (let i = 0; i < G_REGISTERS; i++) {
      const v = this.target.readRegister(i);
      s += v === null ? 'xxxxxxxx' : regToHex(v);
    }
    return s;
  }

  private writeAll(hex: string): string {
    // GDB may send fewer registers than `g` gave; each is 8 hex digits.
    if (hex.length === 0 || hex.length % 8 !== 0 || hex.length > G_REGISTERS * 8) return E_PARSE;
    const values: number[] = [];
    for (let i = 0; i < hex.length; i += 8) {
      const v = regFromHex(hex.slice(i, i + 8));
      if (v === null) return E_PARSE;
      values.push(v);
    }
    let good = true;
    values.forEach((v, i) => {
      if (i !== 0 && !this.target.writeRegister(i, v)) good = false;
    });
    return good ? 'OK' : E_REG;
  }

  /** `addr,length` with both in range; null otherwise. */
  private span(text: string): { address: number; length: number } | null {
    const comma = text.indexOf(',');
    if (comma < 0) return null;
    const address = parseHexNumber(text.slice(0, comma));
    const length = parseHexNumber(text.slice(comma + 1));
    if (address === null || length === null) return null;
    return { address, length };
  }

  private readMemory(args: string): string {
    const s = this.span(args);
    if (s === null) return E_PARSE;
    if (s.length === 0) return '';
    // A reply may carry fewer bytes than asked (GDB then asks for the rest).
    const length = Math.min(s.length, (PACKET_SIZE >> 1) - 4, 2 ** 32 - s.address);
    const bytes = this.target.readMemory(s.address, length);
    return bytes.length === 0 ? E_FAULT : toHex(bytes);
  }

  private writeMemory(args: string, binary: boolean): string {
    const colon = args.indexOf(':');
    if (colon < 0) return E_PARSE;
    const s = this.span(args.slice(0, colon));
    if (s === null || s.length > PACKET_SIZE) return E_PARSE;
    const data = binary ? unescapeBinary(args.slice(colon + 1)) : fromHex(args.slice(colon + 1));
    if (data === null || data.length !== s.length) return E_PARSE;
    if (s.length === 0) return 'OK'; // GDB probes X support with an empty write
    if (s.address + s.length > 2 ** 32) return E_FAULT;
    return this.target.writeMemory(s.address, data) ? 'OK' : E_FAULT;
  }

  private breakpoint(insert: boolean, args: string): string {
    // type,addr,kind (conditions and commands after ';' are not supported: refused as malformed).
    const m = /^([0-4]),([0-9a-fA-F]{1,8}),([0-9a-fA-F]{1,8})$/.exec(args);
    if (m === null) return /^[0-9a-fA-F]+,/.test(args) && !/^[0-4],/.test(args) ? '' : E_PARSE;
    const type = Number(m[1]) as BreakType;
    const address = parseHexNumber(m[2]);
    const length = parseHexNumber(m[3]);
    if (address === null || length === null) return E_PARSE;
    const done = insert ? this.target.insertBreakpoint(type, address, length) : this.target.removeBreakpoint(type, address, length);
    return done ? 'OK' : '';
  }
}

/** For tests and logs: a payload with non-printable bytes shown as \xNN. */
export function printable(payload: string): string {
  return payload.replace(/[^\x20-\x7e]/g, (ch) => `\\x${hex2(ch.charCodeAt(0))}`);
}
