/**
 * Property test: random sequences of register / remove / read / write run
 * against the address space and against a deliberately naive model (a list
 * scanned in full on every access) must agree on every result and fault.
 */
import fc from 'fast-check';
import { describe, it, assert } from '../harness/index.js';
import type { GuestPhysAddr } from '../../src/addr/index.js';
import { WORD_ACCESS_RULES, type AccessRules } from '../../src/device/index.js';
import { GuestAddressSpace } from '../../src/addrspace/index.js';
import { MockDevice } from './mock-device.js';

interface ModelRegion {
  name: string;
  kind: 'ram' | 'device';
  start: number;
  end: number;
  overlayOf: string | null;
  words: boolean; // device with WORD_ACCESS_RULES (1..4, aligned) rather than the default (1..8, aligned)
  bytes: Map<number, number>;
}

/** The naive reference: every access scans every region. */
class Model {
  regions: ModelRegion[] = [];

  add(r: ModelRegion): string | null {
    if (this.regions.some((o) => o.name === r.name)) return 'duplicate-name';
    if (r.overlayOf !== null) {
      const base = this.regions.find((o) => o.name === r.overlayOf);
      if (base === undefined) return 'unknown-region';
      if (base.kind !== 'ram') return 'overlay-target';
      if (r.start < base.start || r.end > base.end) return 'overlay-outside';
      if (this.regions.some((o) => o.overlayOf !== null && o.start < r.end && r.start < o.end)) return 'overlap';
    } else if (this.regions.some((o) => o.overlayOf === null && o.start < r.end && r.start < o.end)) {
      return 'overlap';
    }
    this.regions.push(r);
    return null;
  }

  remove(name: string): boolean {
    if (!this.regions.some((o) => o.name === name)) return false;
    this.regions = this.regions.filter((o) => o.name !== name && o.overlayOf !== name);
    return true;
  }

  /** The region serving the access, or the fault kind. */
  route(addr: number, width: number): ModelRegion | string {
    const r = this.regions.find((o) => o.overlayOf !== null && addr >= o.start && addr < o.end)
      ?? this.regions.find((o) => o.overlayOf === null && addr >= o.start && addr < o.end);
    if (r === undefined) return 'unassigned';
    if (addr + width > r.end) return 'crosses-boundary';
    if (r.overlayOf === null && this.regions.some((o) => o.overlayOf !== null && o.start < addr + width && addr < o.end)) {
      return 'crosses-boundary';
    }
    if (r.kind === 'device') {
      if (r.words && width > 4) return 'width-refused';
      if (addr % width !== 0) return 'misaligned';
    }
    return r;
  }

  read(addr: number, width: number): number | string {
    const r = this.route(addr, width);
    if (typeof r === 'string') return r;
    let v = 0;
    for (let i = width - 1; i >= 0; i--) v = v * 256 + (r.bytes.get(addr + i) ?? 0);
    return v;
  }

  write(addr: number, width: number, value: number): string | null {
    const r = this.route(addr, width);
    if (typeof r === 'string') return r;
    for (let i = 0; i < width; i++) r.bytes.set(addr + i, Math.floor(value / 256 ** i) % 256);
    return null;
  }
}

// Regions and accesses fall in a few windows, so that collisions are common and the
// 2^32 and 2^33 parts of the 34-bit bus are exercised too.
const windowBase = fc.constantFrom(0, 0xfffc_0000, 2 ** 33);
const addrArb = fc.tuple(windowBase, fc.integer({ min: 0, max: 0x8_0000 })).map(([b, o]) => b + o);
const startArb = fc.tuple(windowBase, fc.integer({ min: 0, max: 0x7f }), fc.constantFrom(0, 0x10, 0xff0))
  .map(([b, page, o]) => b + page * 0x1000 + o);
const sizeArb = fc.constantFrom(1, 4, 0x10, 0x100, 0x1000, 0x1010, 0x4000, 0x4_0000);

const ramName = fc.constantFrom('a', 'b', 'c');
const devName = fc.constantFrom('d', 'e', 'f');
const anyName = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'ao', 'bo', 'co');

const opArb = fc.oneof(
  { weight: 2, arbitrary: fc.record({ op: fc.constant('ram' as const), name: ramName, start: startArb, size: sizeArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('device' as const), name: fc.oneof(devName, ramName), start: startArb, size: sizeArb, words: fc.boolean() }) },
  // Overlays and probes are placed relative to a region the model may hold, or fall anywhere when it holds none.
  { weight: 2, arbitrary: fc.record({ op: fc.constant('overlay' as const), name: ramName, of: fc.oneof(ramName, devName), start: startArb, offset: fc.oneof(fc.constantFrom(0, 0x1000, 0x2000, 0xff8), fc.integer({ min: 0, max: 0x5000 })), size: fc.constantFrom(1, 8, 0x10, 0x2000) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('remove' as const), name: anyName }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('probe' as const), name: anyName, edge: fc.boolean(), delta: fc.integer({ min: -6, max: 6 }), width: fc.constantFrom(1, 2, 4), write: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('read' as const), addr: addrArb, width: fc.constantFrom(1, 2, 4) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('write' as const), addr: addrArb, width: fc.constantFrom(1, 2, 4), value: fc.integer({ min: 0, max: 0xffff_ffff }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('read' as const), addr: fc.constantFrom(0, 0xffff_ffff, 2 ** 33, 2 ** 34 - 4), width: fc.constantFrom(1, 2, 4) }) },
);

type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

/** Resolves overlay and probe steps against the regions the model holds now. */
function place(step: Op, model: Model): Exclude<Op, { op: 'probe' }> {
  if (step.op === 'overlay') {
    const base = model.regions.find((r) => r.name === step.of);
    return base === undefined ? step : { ...step, start: base.start + step.offset };
  }
  if (step.op === 'probe') {
    const r = model.regions.find((x) => x.name === step.name);
    const addr = r === undefined ? 0 : Math.max(0, (step.edge ? r.end : r.start) + step.delta);
    return step.write ? { op: 'write', addr, width: step.width, value: 0x89abcdef } : { op: 'read', addr, width: step.width };
  }
  return step;
}

describe('address space against a naive model', () => {
  it('agrees on every registration, removal, read and write', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 20, maxLength: 80, size: 'max' }), (ops) => {
        const as = new GuestAddressSpace();
        const model = new Model();
        let serial = 0;
        for (const step of ops) {
          const o = place(step, model);
          if (o.op === 'ram' || o.op === 'device' || o.op === 'overlay') {
            if (o.start + o.size > 2 ** 34) continue;
            const name = `${o.name}${o.op === 'overlay' ? 'o' : ''}`;
            const words = o.op === 'device' && o.words;
            const overlayOf = o.op === 'overlay' ? o.of : null;
            const expected = model.add({
              name, kind: o.op === 'ram' ? 'ram' : 'device', start: o.start, end: o.start + o.size,
              overlayOf, words, bytes: new Map(),
            });
            let got: string | null = null;
            try {
              if (o.op === 'ram') as.addRam({ name, base: o.start as GuestPhysAddr, size: o.size });
              else {
                const rules: AccessRules | undefined = words ? WORD_ACCESS_RULES : undefined;
                const dev = new MockDevice({ name, base: o.start, size: o.size, ...(rules ? { rules } : {}) });
                as.addDevice(dev, overlayOf === null ? {} : { overlayOf });
              }
            } catch (e) {
              got = (e as { reason?: string }).reason ?? (e as Error).name;
            }
            const norm = got === 'RegionOverlapError' ? 'overlap' : got;
            assert.equal(norm, expected, `op ${++serial}: add ${name} [${o.start.toString(16)}+${o.size.toString(16)}]`);
          } else if (o.op === 'remove') {
            let removed = true;
            try {
              as.remove(o.name);
            } catch {
              removed = false;
            }
            assert.equal(removed, model.remove(o.name), `remove ${o.name}`);
          } else if (o.op === 'read') {
            const want = model.read(o.addr, o.width);
            const got = as.read(o.addr as GuestPhysAddr, o.width as 1 | 2 | 4);
            assert.equal(got === -1 ? as.lastFault!.kind : got, want, `read ${o.width} at 0x${o.addr.toString(16)}`);
          } else {
            const want = model.write(o.addr, o.width, o.value);
            const ok = as.write(o.addr as GuestPhysAddr, o.width as 1 | 2 | 4, o.value);
            assert.equal(ok ? null : as.lastFault!.kind, want, `write ${o.width} at 0x${o.addr.toString(16)}`);
          }
        }
      }),
      { numRuns: 500, seed: 0x5eed },
    );
  });
});
