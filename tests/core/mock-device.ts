/**
 * A device for tests: remembers every access and answers reads from a byte
 * store, so tests can check what reached the device and with which width.
 */
import { AddrRange, type GuestPhysAddr } from '../../src/addr/index.js';
import {
  EmuDeviceType,
  type AccessRules,
  type AccessValue,
  type AccessWidth,
  type BaseDeviceOps,
} from '../../src/device/index.js';

export interface RecordedAccess {
  op: 'read' | 'write';
  /** Byte offset from the device's base, as the address space hands it over. */
  offset: number;
  width: AccessWidth;
  value: AccessValue;
}

export class MockDevice implements BaseDeviceOps {
  readonly name: string;
  readonly accessRules?: AccessRules;
  readonly log: RecordedAccess[] = [];
  /** Sparse little-endian byte store, offset from the device base. */
  readonly store = new Map<number, number>();
  /** When set, every access throws this. */
  failWith: unknown = undefined;
  private readonly range: AddrRange<GuestPhysAddr>;

  constructor(options: { name: string; base: number; size: number; rules?: AccessRules }) {
    this.name = options.name;
    this.range = AddrRange.fromStartSize(options.base as GuestPhysAddr, options.size);
    if (options.rules !== undefined) this.accessRules = options.rules;
  }

  emuType(): EmuDeviceType {
    return EmuDeviceType.Dummy;
  }

  addressRange(): AddrRange<GuestPhysAddr> {
    return this.range;
  }

  handleRead(offset: number, width: AccessWidth): AccessValue {
    if (this.failWith !== undefined) throw this.failWith;
    let v = 0n;
    for (let i = width - 1; i >= 0; i--) v = (v << 8n) | BigInt(this.store.get(offset + i) ?? 0);
    const value = width === 8 ? v : Number(v);
    this.log.push({ op: 'read', offset, width, value });
    return value;
  }

  handleWrite(offset: number, width: AccessWidth, val: AccessValue): void {
    if (this.failWith !== undefined) throw this.failWith;
    this.log.push({ op: 'write', offset, width, value: val });
    let v = BigInt(val);
    for (let i = 0; i < width; i++) {
      this.store.set(offset + i, Number(v & 0xffn));
      v >>= 8n;
    }
  }
}
