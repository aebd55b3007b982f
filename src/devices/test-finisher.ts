/**
 * The `sifive,test0` test finisher at 0x0010_0000: the register a guest
 * writes to end the run (QEMU hw/misc/sifive_test.c).
 *
 * A write to offset 0: low 16 bits the command, bits 31:16 the code.
 * 0x5555 (FINISHER_PASS) exits 0; 0x3333 (FINISHER_FAIL) exits with the
 * code, but 1 for code 0 (QEMU 7.2 exits 0 there); 0x7777 (FINISHER_RESET)
 * asks for a reset; anything else is ignored. Reads return 0; byte accesses
 * fault. Why, and the device-tree names: docs/design.md#test-finisher.
 */

import { type DeviceState, stateInt } from '../state/index.js';
import { EmuDeviceType, accessRules, type AccessRules, type AccessValue, type AccessWidth, type BaseDeviceOps } from '../device/index.js';
import type { ExitCallback } from './exit.js';
import { MmioDevice } from './mmio.js';
import { num } from './regs.js';

/** Command values of the finisher (QEMU include/hw/misc/sifive_test.h). */
export const FinisherCommand = Object.freeze({
  Fail: 0x3333,
  Pass: 0x5555,
  Reset: 0x7777,
} as const);

/** Bytes in the finisher's window (one register at offset 0). */
export const FINISHER_SIZE = 0x1000;

const RULES = accessRules({ minWidth: 2, maxWidth: 4, implMaxWidth: 4 });

/** Options of a {@link TestFinisher}. */
export interface TestFinisherOptions {
  /** Device name (default `test`). */
  name?: string;
  /** Base address of the window. */
  base: number;
  /** Receives pass, fail and reset requests. */
  onExit: ExitCallback;
}

/** The `sifive,test0` finisher. */
export class TestFinisher extends MmioDevice implements BaseDeviceOps {
  readonly accessRules: AccessRules = RULES;
  /** Writes that carried no command (other values or offsets). */
  ignoredWrites = 0;
  private readonly onExit: ExitCallback;

  /** Refuses a missing `onExit` (TypeError) and a bad base (AddressError). */
  constructor(options: TestFinisherOptions) {
    super({ name: options.name, defaultName: 'test', base: options.base, size: FINISHER_SIZE, kind: EmuDeviceType.TestFinisher });
    if (typeof options.onExit !== 'function') throw new TypeError('TestFinisher needs an onExit callback');
    this.onExit = options.onExit;
  }


  /** Snapshot (src/state/state.ts): the finisher has no register, only its count of ignored writes. */
  saveState(): DeviceState {
    return { ignoredWrites: this.ignoredWrites };
  }

  /** Takes a record from {@link saveState}; refuses a bad count with a DeviceStateError. */
  restoreState(s: DeviceState): void {
    this.ignoredWrites = stateInt(s, this.name, 'ignoredWrites', 0, Number.MAX_SAFE_INTEGER);
  }

  handleRead(_offset: number, _width: AccessWidth): AccessValue {
    return 0;
  }

  handleWrite(offset: number, _width: AccessWidth, val: AccessValue): void {
    if (offset !== 0) {
      this.ignoredWrites++;
      return;
    }
    const v = num(val);
    const command = v & 0xffff;
    const code = (v >>> 16) & 0xffff;
    if (command === FinisherCommand.Pass) this.onExit({ kind: 'pass', status: 0 });
    else if (command === FinisherCommand.Fail) this.onExit({ kind: 'fail', status: code === 0 ? 1 : code });
    else if (command === FinisherCommand.Reset) this.onExit({ kind: 'reset', status: 0 });
    else this.ignoredWrites++;
  }
}
