/**
 * Malformed snapshot files (docs/robustness.md, attack 3): random bytes, a real snapshot cut
 * at every section boundary and elsewhere, flipped bits, another format
 * version, forged lengths and counts (with the checksum fixed up, so they
 * reach the section parser), and random mutations with a valid checksum
 * restored into a VM. Every one is refused with a SnapshotError (the
 * reason checked where it is known), never another exception, and a
 * restore that succeeds leaves a VM that runs.
 */
import fc from 'fast-check';
import { describe, it, assert } from '../harness/index.js';
import { InstructionClock, VirtVm } from '../../src/monitor/index.js';
import { MemorySerial } from '../../src/ports/sim/index.js';
import {
  crc32,
  decodeVmSnapshot,
  SNAPSHOT_FORMAT_VERSION,
  SNAPSHOT_HEADER_SIZE,
  SnapshotError,
  type SnapshotErrorReason,
} from '../../src/snapshot/index.js';
import { Program, addi, beq, sb, zero, t0, t1 } from './rv-encode.js';

const RAM = 0x8000_0000;

function image(): Uint8Array {
  const p = new Program(RAM);
  p.li(t0, 0x1000_0000).i(addi(t1, zero, 0x21), sb(t1, t0, 0));
  p.label('spin').at(4, (pc, l) => beq(zero, zero, l('spin') - pc));
  return p.bytes();
}
const IMAGE = image();

function vm(): VirtVm {
  const clock = new InstructionClock();
  const v = new VirtVm({ image: IMAGE, ramSize: 64 * 1024, clock, serial: new MemorySerial().open });
  clock.bind(() => v.instret);
  return v;
}

const GOOD = ((): Uint8Array => {
  const v = vm();
  v.run(50);
  return v.snapshot({ producer: 'fuzz' });
})();

/** Offsets where sections start (and the trailer), from the file's own section headers. */
function sectionBoundaries(b: Uint8Array): number[] {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = [0, 8, 10, 12, SNAPSHOT_HEADER_SIZE];
  let at = SNAPSHOT_HEADER_SIZE;
  while (at < b.length - 4) {
    const len = view.getUint32(at + 4, true);
    out.push(at + 4, at + 8);
    at += 8 + len;
    out.push(at);
  }
  return out;
}

/** Offsets where sections start. */
function sectionStarts(b: Uint8Array): number[] {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: number[] = [];
  for (let at = SNAPSHOT_HEADER_SIZE; at < b.length - 4; at += 8 + view.getUint32(at + 4, true)) out.push(at);
  return out;
}

/** Fixes the recorded length and CRC-32 of a forged file, so the section parser sees it. */
function reseal(b: Uint8Array): Uint8Array {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  view.setUint32(12, b.length, true);
  view.setUint32(b.length - 4, crc32(b.subarray(0, b.length - 4)), true);
  return b;
}

/** Runs `f`; returns the SnapshotError it threw, null if it returned; fails on any other exception. */
function refusal(f: () => unknown): SnapshotError | null {
  try {
    f();
    return null;
  } catch (e) {
    if (e instanceof SnapshotError) return e;
    throw new Error(`expected a SnapshotError, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
}

function refusedWith(b: Uint8Array, reasons: readonly SnapshotErrorReason[]): void {
  const e = refusal(() => decodeVmSnapshot(b));
  assert.ok(e !== null, 'refused');
  assert.ok(reasons.includes(e.reason), `reason ${e.reason} (${e.message}) in ${reasons.join(', ')}`);
}

describe('malformed snapshot files are refused with a SnapshotError', () => {
  it('the good file decodes, and CRC-32 has its check value', () => {
    assert.equal(crc32(new Uint8Array([0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39])), 0xcbf43926);
    assert.equal(decodeVmSnapshot(GOOD).meta.producer, 'fuzz');
  });

  it('random bytes, with or without the magic', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, magic) => {
      const b = bytes.slice();
      if (magic) b.set(GOOD.subarray(0, Math.min(b.length, 12)));
      assert.ok(refusal(() => decodeVmSnapshot(b)) !== null);
    }), { numRuns: 300 });
  });

  it('truncated at every section boundary and at random places: truncated', () => {
    for (const n of sectionBoundaries(GOOD)) if (n < GOOD.length) refusedWith(GOOD.subarray(0, n), n === 0 ? ['truncated'] : ['truncated']);
    fc.assert(fc.property(fc.integer({ min: 1, max: GOOD.length - 1 }), (n) => refusedWith(GOOD.subarray(0, n), ['truncated'])), { numRuns: 200 });
  });

  it('one flipped bit anywhere', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: GOOD.length * 8 - 1 }), (bit) => {
      const b = GOOD.slice();
      b[bit >>> 3] ^= 1 << (bit & 7);
      const byte = bit >>> 3;
      refusedWith(b, byte < 8 ? ['bad-magic'] : byte < 10 ? ['unsupported-version'] : byte >= 12 && byte < 16 ? ['truncated', 'corrupt'] : ['corrupt']);
    }), { numRuns: 250 });
  });

  it('another format version, even with a valid checksum', () => {
    for (const v of [0, SNAPSHOT_FORMAT_VERSION + 1, 0xffff]) {
      const b = GOOD.slice();
      new DataView(b.buffer).setUint16(8, v, true);
      refusedWith(reseal(b), ['unsupported-version']);
    }
  });

  it('trailing bytes, a missing section, an unknown or repeated section: corrupt', () => {
    const longer = new Uint8Array(GOOD.length + 3);
    longer.set(GOOD);
    refusedWith(longer, ['corrupt']);
    refusedWith(reseal(longer.slice()), ['corrupt']); // the bytes sit between the last section and the checksum
    const b = GOOD.slice();
    b[SNAPSHOT_HEADER_SIZE] = 0x5a; // the first tag becomes ZETA
    refusedWith(reseal(b), ['corrupt']);
    // Drop the first section (META): missing.
    const view = new DataView(GOOD.buffer, GOOD.byteOffset);
    const first = 8 + view.getUint32(SNAPSHOT_HEADER_SIZE + 4, true);
    const dropped = new Uint8Array(GOOD.length - first);
    dropped.set(GOOD.subarray(0, SNAPSHOT_HEADER_SIZE));
    dropped.set(GOOD.subarray(SNAPSHOT_HEADER_SIZE + first), SNAPSHOT_HEADER_SIZE);
    refusedWith(reseal(dropped), ['corrupt']);
    // META twice.
    const twice = new Uint8Array(GOOD.length + first);
    twice.set(GOOD.subarray(0, SNAPSHOT_HEADER_SIZE + first));
    twice.set(GOOD.subarray(SNAPSHOT_HEADER_SIZE), SNAPSHOT_HEADER_SIZE + first);
    refusedWith(reseal(twice), ['corrupt']);
  });

  it('huge lengths and counts (checksum fixed up): corrupt, without allocating them', () => {
    const starts = sectionStarts(GOOD);
    assert.ok(starts.length >= 10, `${starts.length} sections`);
    for (const at of starts) {
      for (const v of [0xffff_ffff, 0x8000_0000, GOOD.length]) {
        const b = GOOD.slice();
        new DataView(b.buffer).setUint32(at + 4, v, true); // a section's length
        refusedWith(reseal(b), ['corrupt']);
      }
    }
    // Every u32 before the RAM sections set to all ones, one at a time: a field count, a name length, a words count...
    const view = new DataView(GOOD.buffer, GOOD.byteOffset);
    const ram = starts.find((at) => view.getUint32(at, true) === 0x204d4152) ?? GOOD.length - 8; // 'RAM '
    for (let at = SNAPSHOT_HEADER_SIZE; at < ram; at += 1) {
      const b = GOOD.slice();
      new DataView(b.buffer).setUint32(at, 0xffff_ffff, true);
      const e = refusal(() => decodeVmSnapshot(reseal(b)));
      if (e !== null) assert.ok(['corrupt', 'truncated'].includes(e.reason), e.message);
    }
  });

  it('random mutations with a valid checksum: decode and restore refuse with a SnapshotError or give a VM that runs', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.integer({ min: SNAPSHOT_HEADER_SIZE, max: GOOD.length - 5 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      (edits) => {
        const b = GOOD.slice();
        for (const [i, v] of edits) b[i] = v;
        reseal(b);
        const target = vm();
        const e = refusal(() => target.restore(b));
        if (e === null) {
          const exit = target.run(200);
          assert.ok(exit.kind === 'budget' || exit.kind === 'idle' || exit.kind === 'exit', `runs: ${exit.kind}`);
        } else {
          assert.ok(['corrupt', 'mismatch', 'bad-state'].includes(e.reason), e.message);
        }
      },
    ), { numRuns: 100 });
  });
});
