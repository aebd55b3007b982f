/**
 * The platform-level interrupt controller, `sifive,plic-1.0.0`, as the virt
 * machine has it: sources 1-95, priorities 0-7, two contexts for hart 0
 * (0 = M-mode, drives MEIP; 1 = S-mode, drives SEIP), the register map of
 * the PLIC spec 1.0.0.
 *
 * Owns priorities, pending and enable bits, thresholds, claim/complete and
 * the gateways (level or edge per source). Accesses other than 32-bit fault,
 * as in QEMU 7.2; other offsets read 0 and ignore writes. Follows the spec
 * where QEMU 7.2 departs from it (claims ignore the threshold; source 0's
 * enable bit is hardwired to 0). Offsets and rules: docs/design.md#plic.
 */

import { type DeviceState, DeviceStateError, stateBool, stateBytes, stateWords } from '../state/index.js';
import { EmuDeviceType, InterruptCause, accessRules, type AccessRules, type AccessValue, type AccessWidth, type BaseDeviceOps, type InterruptTarget, type IrqLine } from '../device/index.js';
import { MmioDevice } from './mmio.js';

/** Sources, counting the reserved source 0: ids 0..95 (QEMU virt's VIRT_IRQCHIP_NUM_SOURCES = 96). */
export const PLIC_NUM_SOURCES = 96;
/** Priority bits (QEMU virt's VIRT_IRQCHIP_NUM_PRIO_BITS): priorities and thresholds are 0..7. */
export const PLIC_PRIORITY_BITS = 3;
/** Bytes in the PLIC's window, as QEMU's virt maps it (contexts past hart 0's two read 0). */
export const PLIC_SIZE = 0x60_0000;

const RULES = accessRules({ minWidth: 4, maxWidth: 4 });
const WORDS = PLIC_NUM_SOURCES / 32; // 3 words of pending/enable bits
const PRIORITY_MASK = (1 << PLIC_PRIORITY_BITS) - 1;

/** Register offsets (PLIC spec 1.0.0). */
export const PlicReg = Object.freeze({
  Priority: 0x000000,
  Pending: 0x001000,
  Enable: 0x002000,
  EnableStride: 0x80,
  Context: 0x200000,
  ContextStride: 0x1000,
  /** Offset of claim/complete inside a context block (threshold is at 0). */
  Claim: 4,
} as const);

/** The contexts of hart 0 on virt, in QEMU's order. */
export const PlicContext = Object.freeze({
  Machine: 0,
  Supervisor: 1,
} as const);

const CONTEXT_CAUSE = Object.freeze([InterruptCause.MachineExternal, InterruptCause.SupervisorExternal]);
const CONTEXTS = CONTEXT_CAUSE.length;

/** Options of a {@link Plic}. */
export interface PlicOptions {
  /** Device name (default `plic`). */
  name?: string;
  /** Base address of the window. */
  base: number;
  /** The hart's interrupt-pending bits (MEIP for context 0, SEIP for context 1). */
  target: InterruptTarget;
  /** Sources whose gateway is edge-triggered; all others are level-triggered. */
  edgeTriggered?: readonly number[];
}

/** The virt machine's PLIC. */
export class Plic extends MmioDevice implements BaseDeviceOps {
  readonly accessRules: AccessRules = RULES;
  /** Number of sources counting the reserved source 0 (96: ids 0..95). */
  readonly numSources = PLIC_NUM_SOURCES;

  private readonly target: InterruptTarget;
  private readonly priority = new Uint8Array(PLIC_NUM_SOURCES);
  private readonly pending = new Uint32Array(WORDS);
  private readonly enable = new Uint32Array(WORDS * CONTEXTS);
  private readonly threshold = new Uint8Array(CONTEXTS);
  private readonly inService = new Uint32Array(WORDS);
  private readonly level = new Uint32Array(WORDS); // current line levels
  private readonly edge = new Uint32Array(WORDS); // edge-triggered sources
  private readonly latched = new Uint32Array(WORDS); // edges seen during service
  private readonly eip = [false, false];
  private readonly lines: (IrqLine | undefined)[] = [];

  /** Refuses a missing target (TypeError) and an edge-triggered source outside 1..95 (RangeError). */
  constructor(options: PlicOptions) {
    super({ name: options.name, defaultName: 'plic', base: options.base, size: PLIC_SIZE, kind: EmuDeviceType.InterruptController });
    if (options.target === undefined) throw new TypeError('Plic needs a target');
    this.target = options.target;
    for (const src of options.edgeTriggered ?? []) {
      this.checkSource(src);
      this.edge[src >>> 5] |= 1 << (src & 31);
    }
    for (let c = 0; c < CONTEXTS; c++) this.target.setInterruptPending(CONTEXT_CAUSE[c], false);
  }


  /**
   * The interrupt line of `source` (1..95), for the device that drives it;
   * the same object on every call. Refuses other numbers (RangeError).
   */
  line(source: number): IrqLine {
    this.checkSource(source);
    let l = this.lines[source];
    if (l === undefined) {
      l = Object.freeze({ set: (lvl: boolean): void => this.setSource(source, lvl) });
      this.lines[source] = l;
    }
    return l;
  }

  /**
   * A system reset: priorities, enables, thresholds, pending and in-service
   * bits clear (QEMU 7.2 does the same, checked from a guest). Line levels
   * are the devices' and are kept: a level-triggered line still high
   * requests again at once, as its gateway would see it. MEIP and SEIP
   * follow.
   */
  reset(): void {
    this.priority.fill(0);
    this.enable.fill(0);
    this.threshold.fill(0);
    this.inService.fill(0);
    this.latched.fill(0);
    for (let w = 0; w < WORDS; w++) this.pending[w] = this.level[w] & ~this.edge[w];
    this.update();
  }

  /** Snapshot (src/state/state.ts): priorities, pending, enables, thresholds, in-service, line levels, latched edges, MEIP/SEIP. */
  saveState(): DeviceState {
    return {
      priority: this.priority.slice(), pending: this.pending.slice(), enable: this.enable.slice(), threshold: this.threshold.slice(),
      inService: this.inService.slice(), level: this.level.slice(), latched: this.latched.slice(), eip0: this.eip[0], eip1: this.eip[1],
    };
  }

  /**
   * Takes a record from {@link saveState}; refuses a bad one (wrong sizes,
   * priorities or thresholds above 7, bits for source 0) with a
   * DeviceStateError before changing anything. MEIP/SEIP are driven to the
   * saved levels, not re-evaluated. The edge-triggered set is configuration.
   */
  restoreState(s: DeviceState): void {
    const n = this.name;
    const priority = stateBytes(s, n, 'priority', PLIC_NUM_SOURCES);
    const threshold = stateBytes(s, n, 'threshold', CONTEXTS);
    const words: Uint32Array[] = [];
    for (const [f, len] of [['pending', WORDS], ['enable', WORDS * CONTEXTS], ['inService', WORDS], ['level', WORDS], ['latched', WORDS]] as const) {
      const w = stateWords(s, n, f, len);
      for (let i = 0; i < len; i += WORDS) if ((w[i] & 1) !== 0) throw new DeviceStateError(n, f, 'has a bit for source 0, which does not exist');
      words.push(w);
    }
    for (const [f, b] of [['priority', priority], ['threshold', threshold]] as const) {
      for (let i = 0; i < b.length; i++) if (b[i] > PRIORITY_MASK) throw new DeviceStateError(n, f, `holds ${b[i]} at ${i}, above ${PRIORITY_MASK}`);
    }
    const eip = [stateBool(s, n, 'eip0'), stateBool(s, n, 'eip1')];
    this.priority.set(priority);
    this.threshold.set(threshold);
    this.pending.set(words[0]);
    this.enable.set(words[1]);
    this.inService.set(words[2]);
    this.level.set(words[3]);
    this.latched.set(words[4]);
    for (let c = 0; c < CONTEXTS; c++) {
      this.eip[c] = eip[c];
      this.target.setInterruptPending(CONTEXT_CAUSE[c], eip[c]);
    }
  }

  /** True while `source`'s pending bit is set. */
  isPending(source: number): boolean {
    return (this.pending[source >>> 5] & (1 << (source & 31))) !== 0;
  }

  /** Raises or lowers `source`'s line (what {@link line}'s `set` does). */
  setSource(source: number, lvl: boolean): void {
    const w = source >>> 5;
    const bit = 1 << (source & 31);
    const was = (this.level[w] & bit) !== 0;
    if (lvl === was) return;
    if (lvl) this.level[w] |= bit;
    else this.level[w] &= ~bit;
    if (!lvl) return; // a request, once made, stays pending until claimed
    if ((this.inService[w] & bit) !== 0) {
      if ((this.edge[w] & bit) !== 0) this.latched[w] |= bit;
      return; // level sources request again at completion if still high
    }
    this.pending[w] |= bit;
    this.update();
  }

  handleRead(offset: number, _width: AccessWidth): AccessValue {
    if (offset < PlicReg.Pending) {
      const id = offset >>> 2;
      return id < PLIC_NUM_SOURCES ? this.priority[id] : 0;
    }
    if (offset < PlicReg.Enable) {
      const w = (offset - PlicReg.Pending) >>> 2;
      return w < WORDS ? this.pending[w] >>> 0 : 0;
    }
    if (offset < PlicReg.Context) {
      const ctx = Math.floor((offset - PlicReg.Enable) / PlicReg.EnableStride);
      const w = ((offset - PlicReg.Enable) % PlicReg.EnableStride) >>> 2;
      return ctx < CONTEXTS && w < WORDS ? this.enable[ctx * WORDS + w] >>> 0 : 0;
    }
    const ctx = Math.floor((offset - PlicReg.Context) / PlicReg.ContextStride);
    if (ctx >= CONTEXTS) return 0;
    const r = (offset - PlicReg.Context) % PlicReg.ContextStride;
    if (r === 0) return this.threshold[ctx];
    if (r === PlicReg.Claim) return this.claim(ctx);
    return 0;
  }

  handleWrite(offset: number, _width: AccessWidth, val: AccessValue): void {
    const v = (val as number) >>> 0;
    if (offset < PlicReg.Pending) {
      const id = offset >>> 2;
      if (id === 0 || id >= PLIC_NUM_SOURCES) return;
      this.priority[id] = v & PRIORITY_MASK; // WARL: 3 priority bits on virt
      this.update();
      return;
    }
    if (offset < PlicReg.Enable) return; // pending bits are read-only
    if (offset < PlicReg.Context) {
      const ctx = Math.floor((offset - PlicReg.Enable) / PlicReg.EnableStride);
      const w = ((offset - PlicReg.Enable) % PlicReg.EnableStride) >>> 2;
      if (ctx >= CONTEXTS || w >= WORDS) return;
      this.enable[ctx * WORDS + w] = w === 0 ? v & ~1 : v;
      this.update();
      return;
    }
    const ctx = Math.floor((offset - PlicReg.Context) / PlicReg.ContextStride);
    if (ctx >= CONTEXTS) return;
    const r = (offset - PlicReg.Context) % PlicReg.ContextStride;
    if (r === 0) {
      this.threshold[ctx] = v & PRIORITY_MASK;
      this.update();
    } else if (r === PlicReg.Claim) {
      this.complete(ctx, v);
    }
  }

  private claim(ctx: number): number {
    let best = 0;
    let bestPriority = 0;
    for (let w = 0; w < WORDS; w++) {
      let bits = this.pending[w] & this.enable[ctx * WORDS + w];
      while (bits !== 0) {
        const b = 31 - Math.clz32(bits & -bits); // lowest set bit first, so ties keep the lowest id
        bits &= bits - 1;
        const id = w * 32 + b;
        if (this.priority[id] > bestPriority) {
          best = id;
          bestPriority = this.priority[id];
        }
      }
    }
    if (best !== 0) {
      const w = best >>> 5;
      const bit = 1 << (best & 31);
      this.pending[w] &= ~bit;
      this.inService[w] |= bit;
      this.update();
    }
    return best;
  }

  private complete(ctx: number, id: number): void {
    if (id === 0 || id >= PLIC_NUM_SOURCES) return;
    const w = id >>> 5;
    const bit = 1 << (id & 31);
    if ((this.enable[ctx * WORDS + w] & bit) === 0 || (this.inService[w] & bit) === 0) return;
    this.inService[w] &= ~bit;
    if ((this.edge[w] & bit) !== 0) {
      if ((this.latched[w] & bit) !== 0) {
        this.latched[w] &= ~bit;
        this.pending[w] |= bit;
      }
    } else if ((this.level[w] & bit) !== 0) {
      this.pending[w] |= bit;
    }
    this.update();
  }

  /** Recomputes MEIP/SEIP and drives the hart where they changed. */
  private update(): void {
    for (let c = 0; c < CONTEXTS; c++) {
      const th = this.threshold[c];
      let raise = false;
      for (let w = 0; w < WORDS && !raise; w++) {
        let bits = this.pending[w] & this.enable[c * WORDS + w];
        while (bits !== 0) {
          const b = 31 - Math.clz32(bits & -bits);
          bits &= bits - 1;
          if (this.priority[w * 32 + b] > th) {
            raise = true;
            break;
          }
        }
      }
      if (raise !== this.eip[c]) {
        this.eip[c] = raise;
        this.target.setInterruptPending(CONTEXT_CAUSE[c], raise);
      }
    }
  }

  private checkSource(source: number): void {
    if (!Number.isInteger(source) || source < 1 || source >= PLIC_NUM_SOURCES) {
      throw new RangeError(`PLIC source ${source} is not in 1..${PLIC_NUM_SOURCES - 1}`);
    }
  }
}
