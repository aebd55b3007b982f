/**
 * The hart's snapshot record (src/snapshot/, docs/snapshot.md): its whole
 * architectural state out, and back in after checking every field.
 */

import { DeviceStateError, stateBool, stateBytes, stateInt, stateWords, type DeviceState } from '../state/index.js';
import { guardRefresh } from './csr.js';
import { TRIGGERS, tdata1Legal } from './trigger.js';
import { ENVCFG_WRITABLE, EV_IRQ, EV_MMU, IRQ_CAUSES, M, MCOUNTINHIBIT_WRITABLE, MEDELEG_WRITABLE, MIDELEG_WRITABLE, MIE_WRITABLE, MIP_SW_WRITABLE, MSTATUS_WRITABLE, NO_RESV, S, U, type HartCore } from './core.js';

/** The hart's plain number fields a snapshot carries as they are held. */
const HART_STATE_FIELDS = Object.freeze([
  'mstatus', 'medeleg', 'mideleg', 'mie', 'mipSw', 'mipHw', 'mtvec', 'stvec', 'mscratch', 'sscratch', 'mepc', 'sepc',
  'mcause', 'scause', 'mtval', 'stval', 'mcounteren', 'scounteren', 'menvcfg', 'senvcfg', 'mcountinhibit', 'satp', 'resvW',
  'trapCountv', 'trapCause', 'trapTval', 'trapEpc', 'trapPriv', 'trapFrom',
] as const);

/**
 * The hart's whole architectural state as a record (src/state/state.ts):
 * x1-x31, pc, mode, every CSR field as held (counters as their offsets
 * from `instret`, which is saved too), PMP, the LR/SC reservation, the
 * mip bits software and devices set, parked (after WFI), the last trap.
 * Call between runs. Caches (TLB, windows, decoded parcels) are not state.
 */
export function saveHartState(h: HartCore): DeviceState {
  const out: { [field: string]: number | boolean | Uint8Array | Uint32Array } = {
    regs: new Uint32Array(h.regs.buffer.slice(h.regs.byteOffset, h.regs.byteOffset + 128)),
    pc: h.pcv >>> 0, priv: h.privv, retired: h.instret, parked: h.parkedv,
    pmpcfg: h.pmp.cfg.slice(), pmpaddr: h.pmp.addr.slice(), ctr: h.ctr.slice(),
    tselect: h.trig.select, tdata1: h.trig.tdata1.slice(), tdata2: h.trig.tdata2.slice(),
  };
  for (const f of HART_STATE_FIELDS) out[f] = h[f];
  return out;
}

/**
 * Takes a record from {@link saveState}; refuses a bad one (a field
 * missing or out of range, bits no guest write could set, a reserved
 * MPP or trap-vector mode) with a DeviceStateError before changing
 * anything. Then resets the hart, which drops every cached translation
 * and window as a reset does, and sets the saved state; the next run()
 * goes on from it.
 */
export function restoreHartState(hart: HartCore, st: DeviceState): void {
  const h = 'hart';
  const regs = stateWords(st, h, 'regs', 32);
  const pc = stateInt(st, h, 'pc', 0, 0xfffffffe);
  if ((pc & 1) !== 0) throw new DeviceStateError(h, 'pc', `0x${pc.toString(16)} is odd`);
  const priv = stateInt(st, h, 'priv', 0, 3);
  if (priv === 2) throw new DeviceStateError(h, 'priv', 'is 2, a reserved mode');
  const retired = stateInt(st, h, 'retired', 0, Number.MAX_SAFE_INTEGER);
  const parked = stateBool(st, h, 'parked');
  const pmpcfg = stateBytes(st, h, 'pmpcfg', 16);
  const pmpaddr = stateWords(st, h, 'pmpaddr', 16);
  const ctr = stateWords(st, h, 'ctr', 8);
  // The trigger module (absent from snapshots made before it existed: reset values then).
  const hasTrig = st['tdata1'] !== undefined || st['tdata2'] !== undefined || st['tselect'] !== undefined;
  const tselect = hasTrig ? stateInt(st, h, 'tselect', 0, TRIGGERS - 1) : 0;
  const tdata1 = hasTrig ? stateWords(st, h, 'tdata1', TRIGGERS) : null;
  const tdata2 = hasTrig ? stateWords(st, h, 'tdata2', TRIGGERS) : null;
  if (tdata1 !== null) {
    for (let i = 0; i < TRIGGERS; i++) if (tdata1Legal(tdata1[i]) !== tdata1[i]) throw new DeviceStateError(h, 'tdata1', `trigger ${i} holds 0x${tdata1[i].toString(16)}, which no write leaves`);
  }
  const v: { [field: string]: number } = {};
  for (const f of HART_STATE_FIELDS) v[f] = f === 'trapCountv' ? stateInt(st, h, f, 0, Number.MAX_SAFE_INTEGER) : stateInt(st, h, f, -0x80000000, 0xffffffff);
  const within = (f: string, mask: number): void => {
    if ((v[f] & ~mask) !== 0) throw new DeviceStateError(h, f, `0x${(v[f] >>> 0).toString(16)} has bits outside 0x${(mask >>> 0).toString(16)}`);
  };
  within('mstatus', MSTATUS_WRITABLE);
  if (((v.mstatus >>> 11) & 3) === 2) throw new DeviceStateError(h, 'mstatus', 'MPP is 2, a reserved mode');
  within('medeleg', MEDELEG_WRITABLE);
  within('mideleg', MIDELEG_WRITABLE);
  within('mie', MIE_WRITABLE);
  within('mipSw', MIP_SW_WRITABLE);
  within('mipHw', IRQ_CAUSES);
  within('menvcfg', ENVCFG_WRITABLE);
  within('senvcfg', ENVCFG_WRITABLE);
  within('mcountinhibit', MCOUNTINHIBIT_WRITABLE);
  if ((v.mtvec & 3) >= 2 || (v.stvec & 3) >= 2) throw new DeviceStateError(h, 'mtvec', 'a trap vector has a reserved mode');
  for (let i = 0; i < 16; i++) if ((pmpcfg[i] & 0x60) !== 0 || (pmpcfg[i] & 3) === 2) throw new DeviceStateError(h, 'pmpcfg', `entry ${i} has reserved bits set`);
  if (v.resvW !== NO_RESV && (v.resvW < -0x20000000 || v.resvW >= 0x20000000)) throw new DeviceStateError(h, 'resvW', `${v.resvW} is no word address`);
  const tc = v.trapCause >>> 0;
  if ((tc & 0x7fffffff) > 63) throw new DeviceStateError(h, 'trapCause', `0x${tc.toString(16)} is no trap cause`);
  for (const f of ['trapPriv', 'trapFrom']) if (v[f] !== U && v[f] !== S && v[f] !== M) throw new DeviceStateError(h, f, `${v[f]} is no privilege mode`);

  hart.reset(pc);
  hart.regs.set(new Int32Array(regs.buffer, regs.byteOffset, 32));
  hart.regs[0] = 0;
  hart.privv = priv;
  for (const f of HART_STATE_FIELDS) hart[f] = v[f];
  hart.pmp.restore(pmpcfg, pmpaddr);
  if (tdata1 !== null && tdata2 !== null) {
    hart.trig.select = tselect;
    hart.trig.tdata1.set(tdata1);
    hart.trig.tdata2.set(tdata2);
  }
  guardRefresh(hart);
  hart.ctr.set(ctr);
  hart.retiredBase = retired;
  hart.parkedv = parked;
  hart.gen = -1; // rebuild the RAM window and fetch page on the next run
  hart.events |= EV_IRQ | EV_MMU;
}
