/**
 * The monitor's SBI: what OpenSBI would do for an S-mode guest, done by
 * trap-and-emulate of the guest's ECALLs (RISC-V SBI specification 2.0).
 *
 * Owns the calling convention and every extension offered: BASE, TIME, IPI,
 * RFENCE, HSM, SRST, DBCN and the legacy extensions 0x00-0x08, with the
 * implementation ID 0x7873 ("xs") and {@link SBI_IMPL_VERSION}. The hart calls
 * {@link SbiFirmware.handleEcall} for each ECALL from S-mode; the VM supplies
 * the effects through {@link SbiPlatform} (timer, console, reset). One hart:
 * other hart ids are refused. Registers read and written, and the choice of
 * ID: docs/design.md#the-sbi.
 */

import type { GuestVirtAddr } from '../addr/index.js';
import { Csr, type Hart } from '../cpu/index.js';

/** SBI return codes (spec 3.2, table 1). */
export const SbiError = Object.freeze({
  SUCCESS: 0,
  FAILED: -1,
  NOT_SUPPORTED: -2,
  INVALID_PARAM: -3,
  DENIED: -4,
  INVALID_ADDRESS: -5,
  ALREADY_AVAILABLE: -6,
  ALREADY_STARTED: -7,
  ALREADY_STOPPED: -8,
  NO_SHMEM: -9,
} as const);

/** Extension IDs (spec chapters 4-12; legacy 0x00-0x08 in chapter 5). */
export const SbiExt = Object.freeze({
  LEGACY_SET_TIMER: 0x00,
  LEGACY_CONSOLE_PUTCHAR: 0x01,
  LEGACY_CONSOLE_GETCHAR: 0x02,
  LEGACY_CLEAR_IPI: 0x03,
  LEGACY_SEND_IPI: 0x04,
  LEGACY_REMOTE_FENCE_I: 0x05,
  LEGACY_REMOTE_SFENCE_VMA: 0x06,
  LEGACY_REMOTE_SFENCE_VMA_ASID: 0x07,
  LEGACY_SHUTDOWN: 0x08,
  BASE: 0x10,
  TIME: 0x54494d45, // "TIME"
  IPI: 0x735049, // "sPI"
  RFENCE: 0x52464e43, // "RFNC"
  HSM: 0x48534d, // "HSM"
  SRST: 0x53525354, // "SRST"
  DBCN: 0x4442434e, // "DBCN"
} as const);

/** `sbi_get_spec_version`: major 2 in bits 30:24, minor 0 in bits 23:0 (spec 4.1). */
export const SBI_SPEC_VERSION = 2 << 24;
/** `sbi_get_impl_id`: see the module header. */
export const SBI_IMPL_ID = 0x7873;
/** `sbi_get_impl_version`: this SBI's own version, 0.1 as (major << 16) | minor. */
export const SBI_IMPL_VERSION = 0x00000001;

/** HSM hart states (spec 9, table 23). */
const HSM_STARTED = 0;

/** What a VM gives its SBI. */
export interface SbiPlatform {
  /** Programs the timer: STIP is pending while mtime >= the 64-bit value hi:lo (SBI TIME, spec 6.1). */
  setTimer(hi: number, lo: number): void;
  /** Sends one byte to the console; false when it cannot take it now (a non-blocking caller stops there). */
  putByte(byte: number): boolean;
  /** Sends one byte even when the console is busy (a blocking call that cannot wait inside an ECALL). */
  forceByte(byte: number): void;
  /** Takes one received console byte, or -1 when none is waiting. */
  getByte(): number;
  /** The guest asked to shut down (`status`: 0, or 1 for a system failure) or to reboot. */
  systemReset(kind: 'shutdown' | 'reboot', status: number): void;
}

/** Options of an {@link SbiFirmware}. */
export interface SbiFirmwareOptions {
  /** The VM's RAM pieces (one unless ROM splits it): a DBCN buffer or a legacy hart mask must lie inside one. */
  readonly ram: readonly { readonly base: number; readonly bytes: Uint8Array }[];
  readonly platform: SbiPlatform;
  /** The VM's hart id (the only valid one). */
  readonly hartId: number;
}

/** What the SBI counted, for statistics and tests. */
export interface SbiStats {
  /** Every ECALL handled. */
  calls: number;
  /** Calls answered SBI_ERR_NOT_SUPPORTED (unknown extension or function). */
  unsupported: number;
}

const ALL_ONES = 0xffffffff;
const SSIP = 1 << 1;

/** The SBI of one single-hart VM. */
export class SbiFirmware {
  readonly stats: SbiStats = { calls: 0, unsupported: 0 };
  private readonly pieces: readonly { readonly base: number; readonly bytes: Uint8Array }[];
  /** The piece {@link ramRange} found. */
  private ram: Uint8Array = new Uint8Array(0);
  private readonly platform: SbiPlatform;
  private readonly hartId: number;

  /** Refuses a missing platform or RAM (TypeError). */
  constructor(options: SbiFirmwareOptions) {
    if (options.platform === undefined || options.ram === undefined) throw new TypeError('SbiFirmware needs ram and a platform');
    this.pieces = options.ram.slice();
    this.platform = options.platform;
    this.hartId = options.hartId >>> 0;
  }

  /** Handles one ECALL from S-mode on `hart` (the hart's `onSupervisorEcall` hook). */
  handleEcall(hart: Hart): void {
    const x = hart.regs;
    const eid = x[17] >>> 0;
    const fid = x[16] >>> 0;
    this.stats.calls++;
    if (eid <= SbiExt.LEGACY_SHUTDOWN) {
      x[10] = this.legacy(hart, eid);
      return;
    }
    // Results of the modern calls: error in a0, value in a1 (spec 3.1).
    this.value = 0;
    let error: number;
    switch (eid) {
      case SbiExt.BASE: error = this.base(hart, fid, x[10] >>> 0); break;
      case SbiExt.TIME: error = this.time(fid, x[10] >>> 0, x[11] >>> 0); break;
      case SbiExt.IPI: error = this.ipi(hart, fid, x[10] >>> 0, x[11] >>> 0); break;
      case SbiExt.RFENCE: error = this.rfence(hart, fid, x[10] >>> 0, x[11] >>> 0, x[12] >>> 0, x[13] >>> 0, x[14] >>> 0); break;
      case SbiExt.HSM: error = this.hsm(fid, x[10] >>> 0); break;
      case SbiExt.SRST: error = this.srst(fid, x[10] >>> 0, x[11] >>> 0); break;
      case SbiExt.DBCN: error = this.dbcn(fid, x[10] >>> 0, x[11] >>> 0, x[12] >>> 0); break;
      default: error = SbiError.NOT_SUPPORTED;
    }
    if (error === SbiError.NOT_SUPPORTED) this.stats.unsupported++;
    x[10] = error;
    x[11] = this.value;
  }

  /** a1 of the call being handled. */
  private value = 0;

  // --------------------------------------------------------------- BASE (spec 4)

  private base(hart: Hart, fid: number, a0: number): number {
    switch (fid) {
      case 0: this.value = SBI_SPEC_VERSION; return SbiError.SUCCESS;
      case 1: this.value = SBI_IMPL_ID; return SbiError.SUCCESS;
      case 2: this.value = SBI_IMPL_VERSION; return SbiError.SUCCESS;
      case 3: this.value = this.probe(a0); return SbiError.SUCCESS;
      // mvendorid, marchid, mimpid: the values of the hart's CSRs, which S-mode cannot read itself (spec 4.5-4.7).
      case 4: this.value = hart.readCsr(Csr.mvendorid); return SbiError.SUCCESS;
      case 5: this.value = hart.readCsr(Csr.marchid); return SbiError.SUCCESS;
      case 6: this.value = hart.readCsr(Csr.mimpid); return SbiError.SUCCESS;
      default: return SbiError.NOT_SUPPORTED;
    }
  }

  /** `sbi_probe_extension`: 1 for an extension offered, 0 otherwise (spec 4.4). */
  private probe(eid: number): number {
    if (eid <= SbiExt.LEGACY_SHUTDOWN) return 1;
    switch (eid) {
      case SbiExt.BASE:
      case SbiExt.TIME:
      case SbiExt.IPI:
      case SbiExt.RFENCE:
      case SbiExt.HSM:
      case SbiExt.SRST:
      case SbiExt.DBCN:
        return 1;
      default:
        return 0;
    }
  }

  // --------------------------------------------------------------- TIME (spec 6)

  /** `sbi_set_timer(stime_value)`: on RV32 the 64-bit value is a1:a0. A new value clears STIP unless it has already passed (spec 6.1). */
  private time(fid: number, lo: number, hi: number): number {
    if (fid !== 0) return SbiError.NOT_SUPPORTED;
    this.platform.setTimer(hi, lo);
    return SbiError.SUCCESS;
  }

  // --------------------------------------------------------------- IPI (spec 7) and the hart mask (spec 3.1)

  /**
   * Checks a hart mask (spec 3.1: hart_mask_base = -1 means every hart,
   * the mask then ignored). Returns 1 when the mask selects this hart, 0
   * when it selects nothing, -1 when it names a hart that does not exist.
   */
  private maskSelects(mask: number, base: number): number {
    if (base === ALL_ONES) return 1;
    if (mask === 0) return 0;
    // Every hart id base + i for a set bit i must exist: only hartId does.
    if (base > this.hartId) return -1;
    const bit = this.hartId - base;
    if (bit >= 32) return -1;
    return (mask & ~(1 << bit)) !== 0 ? -1 : 1;
  }

  /** `sbi_send_ipi(hart_mask, hart_mask_base)`: sets SSIP on this hart when selected (spec 7.1). */
  private ipi(hart: Hart, fid: number, mask: number, base: number): number {
    if (fid !== 0) return SbiError.NOT_SUPPORTED;
    const sel = this.maskSelects(mask, base);
    if (sel < 0) return SbiError.INVALID_PARAM;
    if (sel > 0) this.raiseSsip(hart);
    return SbiError.SUCCESS;
  }

  private raiseSsip(hart: Hart): void {
    // No M-mode software runs under the monitor, so the software-written STIP and SEIP bits are
    // always 0: writing exactly SSIP sets it without latching a device-driven level (priv. spec 3.1.9).
    hart.writeCsr(Csr.mip, SSIP);
  }

  // --------------------------------------------------------------- RFENCE (spec 8)

  /**
   * Remote fences (spec 8.1-8.3) on the one hart: FENCE.I needs nothing
   * (the hart caches no instructions by address); SFENCE.VMA drops the
   * hart's cached translations for the range when the mask selects it.
   * The hypervisor fences (FIDs 3-6) need the H extension: not supported.
   */
  private rfence(hart: Hart, fid: number, mask: number, base: number, start: number, size: number, asid: number): number {
    if (fid > 2) return SbiError.NOT_SUPPORTED;
    const sel = this.maskSelects(mask, base);
    if (sel < 0) return SbiError.INVALID_PARAM;
    if (fid === 0) return SbiError.SUCCESS;
    return this.sfence(hart, sel > 0, start, size, fid === 2 ? asid : -1);
  }

  /**
   * SFENCE.VMA on this hart for [start, start + size) (when `selected`),
   * for one ASID or all (-1). The whole space when start and size are both
   * 0 or size is 2^XLEN - 1 (spec 8, "remote fence" range rules), and
   * past 64 pages (cheaper than page by page, as OpenSBI's flush limit);
   * a range that wraps past 2^32 is INVALID_ADDRESS.
   */
  private sfence(hart: Hart, selected: boolean, start: number, size: number, asid: number): number {
    const all = (start === 0 && size === 0) || size === ALL_ONES;
    if (!all && start + size > 4294967296) return SbiError.INVALID_ADDRESS;
    if (!selected) return SbiError.SUCCESS;
    // An ASID wider than the hart's (9 bits on RV32) cannot name one: flush them all.
    const a = asid >= 0 && asid < 512 ? asid : undefined;
    if (all || size > 64 * 4096) {
      hart.flushTranslations(undefined, a);
      return SbiError.SUCCESS;
    }
    for (let page = start - (start % 4096); page < start + size; page += 4096) hart.flushTranslations(page as GuestVirtAddr, a);
    return SbiError.SUCCESS;
  }

  // --------------------------------------------------------------- HSM (spec 9)

  private hsm(fid: number, hartid: number): number {
    switch (fid) {
      case 0: // hart_start: the only hart is running; any other id does not exist (spec 9.1).
        return hartid === this.hartId ? SbiError.ALREADY_AVAILABLE : SbiError.INVALID_PARAM;
      case 1: // hart_stop: stopping the only hart would leave nothing to start it again (spec 9.2: FAILED).
        return SbiError.FAILED;
      case 2: // hart_get_status (spec 9.3)
        if (hartid !== this.hartId) return SbiError.INVALID_PARAM;
        this.value = HSM_STARTED;
        return SbiError.SUCCESS;
      case 3: { // hart_suspend (spec 9.4, table 24): the types are valid but not implemented; reserved ones are invalid.
        const t = hartid; // a0 is suspend_type here
        const reserved = (t >= 0x00000001 && t <= 0x0fffffff) || (t >= 0x80000001 && t <= 0x8fffffff);
        return reserved ? SbiError.INVALID_PARAM : SbiError.NOT_SUPPORTED;
      }
      default:
        return SbiError.NOT_SUPPORTED;
    }
  }

  // --------------------------------------------------------------- SRST (spec 10)

  /**
   * `sbi_system_reset(reset_type, reset_reason)` (spec 10.1, tables 28-29):
   * shutdown ends the VM (status 0, or 1 for reason "system failure" or
   * any reason but "no reason"); cold and warm reboot restart it. Reserved
   * types or reasons are INVALID_PARAM; vendor types NOT_SUPPORTED. On
   * success the call does not return to the guest.
   */
  private srst(fid: number, type: number, reason: number): number {
    if (fid !== 0) return SbiError.NOT_SUPPORTED;
    const reservedReason = reason >= 0x2 && reason <= 0xdfffffff;
    if (type > 2 && type < 0xf0000000) return SbiError.INVALID_PARAM;
    if (reservedReason) return SbiError.INVALID_PARAM;
    if (type >= 0xf0000000) return SbiError.NOT_SUPPORTED;
    this.platform.systemReset(type === 0 ? 'shutdown' : 'reboot', reason === 0 ? 0 : 1);
    return SbiError.SUCCESS;
  }

  // --------------------------------------------------------------- DBCN (spec 12)

  private dbcn(fid: number, a0: number, a1: number, a2: number): number {
    switch (fid) {
      case 0: return this.consoleWrite(a0, a1, a2);
      case 1: return this.consoleRead(a0, a1, a2);
      case 2: // console_write_byte: blocking (spec 12.3)
        this.platform.forceByte(a0 & 0xff);
        return SbiError.SUCCESS;
      default:
        return SbiError.NOT_SUPPORTED;
    }
  }

  /**
   * The offset of the physical range [hi:lo, + n) in the RAM piece holding
   * it (left in `ram`), or -1 when any of it lies outside RAM (spec 12.1:
   * such a call is SBI_ERR_INVALID_PARAM and touches nothing).
   */
  private ramRange(n: number, lo: number, hi: number): number {
    if (hi !== 0) return -1; // RAM lies below 4 GiB
    for (const p of this.pieces) {
      const off = lo - p.base;
      if (off >= 0 && off + n <= p.bytes.length) {
        this.ram = p.bytes;
        return off;
      }
    }
    return -1;
  }

  /** `sbi_debug_console_write(num_bytes, base_lo, base_hi)`: writes what the console takes now; a1 = bytes written (spec 12.1). */
  private consoleWrite(n: number, lo: number, hi: number): number {
    const off = this.ramRange(n, lo, hi);
    if (off < 0) return SbiError.INVALID_PARAM;
    let done = 0;
    while (done < n && this.platform.putByte(this.ram[off + done])) done++;
    this.value = done;
    return SbiError.SUCCESS;
  }

  /** `sbi_debug_console_read(num_bytes, base_lo, base_hi)`: reads what is waiting, never waits; a1 = bytes read (spec 12.2). */
  private consoleRead(n: number, lo: number, hi: number): number {
    const off = this.ramRange(n, lo, hi);
    if (off < 0) return SbiError.INVALID_PARAM;
    let done = 0;
    while (done < n) {
      const b = this.platform.getByte();
      if (b < 0) break;
      this.ram[off + done] = b;
      done++;
    }
    this.value = done;
    return SbiError.SUCCESS;
  }

  // --------------------------------------------------------------- legacy (spec 5)

  /** The legacy calls (spec 5, table 3): the result goes to a0 only. */
  private legacy(hart: Hart, eid: number): number {
    const x = hart.regs;
    switch (eid) {
      case SbiExt.LEGACY_SET_TIMER: // stime_value in a1:a0 on RV32 (spec 5.1)
        this.platform.setTimer(x[11] >>> 0, x[10] >>> 0);
        return 0;
      case SbiExt.LEGACY_CONSOLE_PUTCHAR: // blocking (spec 5.2)
        this.platform.forceByte(x[10] & 0xff);
        return 0;
      case SbiExt.LEGACY_CONSOLE_GETCHAR: // the byte, or -1 when none (spec 5.3)
        return this.platform.getByte();
      case SbiExt.LEGACY_CLEAR_IPI: // clears SSIP (spec 5.4)
        hart.writeCsr(Csr.mip, 0);
        return 0;
      case SbiExt.LEGACY_SEND_IPI: { // hart_mask is the (virtual) address of a mask word (spec 5.5)
        const sel = this.legacySelects(hart, x[10] >>> 0);
        if (sel === -2) return SbiError.INVALID_ADDRESS;
        if (sel < 0) return SbiError.INVALID_PARAM;
        if (sel > 0) this.raiseSsip(hart);
        return 0;
      }
      case SbiExt.LEGACY_REMOTE_FENCE_I: // spec 5.6-5.8: as RFENCE, with the mask read from memory
      case SbiExt.LEGACY_REMOTE_SFENCE_VMA:
      case SbiExt.LEGACY_REMOTE_SFENCE_VMA_ASID: {
        const sel = this.legacySelects(hart, x[10] >>> 0);
        if (sel === -2) return SbiError.INVALID_ADDRESS;
        if (sel < 0) return SbiError.INVALID_PARAM;
        if (eid === SbiExt.LEGACY_REMOTE_FENCE_I) return 0;
        return this.sfence(hart, sel > 0, x[11] >>> 0, x[12] >>> 0, eid === SbiExt.LEGACY_REMOTE_SFENCE_VMA_ASID ? x[13] >>> 0 : -1);
      }
      default: // LEGACY_SHUTDOWN (spec 5.9)
        this.platform.systemReset('shutdown', 0);
        return 0;
    }
  }

  /**
   * Reads a legacy hart mask from the word at virtual address `va`,
   * translated as a load by the guest in S-mode would be (satp, SUM, MXR);
   * a null address means every hart, as OpenSBI reads spec 5.5. Returns
   * what {@link maskSelects} returns, or -2 when the word does not
   * translate, is not aligned or is not in RAM.
   */
  private legacySelects(hart: Hart, va: number): number {
    if (va === 0) return 1;
    if ((va & 3) !== 0) return -2;
    const addr = hart.translateAddress(va as GuestVirtAddr, 'load');
    const off = addr === null ? -1 : this.ramRange(4, addr, 0);
    if (off < 0) return -2;
    const r = this.ram;
    return this.maskSelects((r[off] | (r[off + 1] << 8) | (r[off + 2] << 16) | (r[off + 3] << 24)) >>> 0, 0);
  }
}
