/**
 * Hart fuzzing, quick profile (docs/robustness.md, attack 1): a few thousand seeded random
 * instructions per configuration (M, S, U, each with and without Sv32),
 * each judged by the independent oracle of hart-fuzz-oracle.ts. The long
 * profile and the QEMU cross-check are `npm run fuzz` (bench/fuzz.ts).
 *
 * Engine-neutral: runs in the XS lane too.
 */
import { describe, it, assert } from '../harness/index.js';
import { CONFIGS, HartFuzzer, SLOT, fuzzAll } from './hart-fuzz-oracle.js';

const SEED = 0x5eed;
const PER_CONFIG = 1500;

describe('hart fuzzing (quick profile)', () => {
  it(`${PER_CONFIG} random instructions per configuration: never a crash, every outcome the oracle's`, () => {
    const f = fuzzAll(SEED, PER_CONFIG);
    const s = f.stats;
    assert.equal(s.crashes, 0, `crashes: ${s.examples.join('\n')}`);
    assert.equal(s.violations, 0, `violations:\n${s.examples.join('\n')}`);
    assert.equal(s.steps, PER_CONFIG * CONFIGS.length);
    assert.equal(f.hart.fatalError, null);
    // The stream must reach the interesting outcomes, or the run proves little.
    for (const cause of [1, 2, 3, 5, 6, 7, 8, 9, 11, 12, 13, 15]) assert.ok((s.traps[cause] ?? 0) > 0, `no trap with cause ${cause}`);
    assert.ok(s.retired > s.steps / 10, `only ${s.retired} of ${s.steps} retired`);
    assert.ok(s.skipped < s.steps / 50, `${s.skipped} steps unjudged`);
    for (const c of CONFIGS) assert.equal(s.perMode[c.name]?.steps, PER_CONFIG, c.name);
  });

  it('the same seed gives the same run', () => {
    const a = fuzzAll(7, 300, CONFIGS.slice(0, 2)).stats;
    const b = fuzzAll(7, 300, CONFIGS.slice(0, 2)).stats;
    assert.deepEqual(a.traps, b.traps);
    assert.equal(a.retired, b.retired);
  });

  it('the oracle reads the spec tables (spot checks)', () => {
    const f = new HartFuzzer({ seed: 1 });
    f.run(CONFIGS[2]!, 1); // enter U-mode context
    const o = (inst: number) => f.oracle(inst);
    // 0x0000 is the defined illegal instruction; C.EBREAK; C.JR x0 reserved; C.LWSP x0 reserved
    assert.deepEqual(o(0x0000), { kind: 'trap', options: [2, 0] });
    assert.deepEqual(o(0x9002), { kind: 'trap', options: [3, 0] });
    assert.deepEqual(o(0x8002), { kind: 'trap', options: [2, 0x8002] });
    assert.deepEqual(o(0x4002), { kind: 'trap', options: [2, 0x4002] });
    // ECALL from U is cause 8; MRET, SRET, WFI and SFENCE.VMA are illegal in U
    assert.deepEqual(o(0x00000073), { kind: 'trap', options: [8, 0] });
    for (const inst of [0x30200073, 0x10200073, 0x10500073, 0x12000073]) assert.deepEqual(o(inst), { kind: 'trap', options: [2, inst] });
    // csrrs a0, mhartid, x0 in U: privilege bits 9:8 = 3 > U
    assert.deepEqual(o(0xf1402573), { kind: 'trap', options: [2, 0xf1402573] });
    // fflags (no F), LD/LWU (RV64), OP-32, a 48-bit encoding
    for (const inst of [0x00102573, 0x0000b003, 0x0000e003, 0x0000003b, 0x0000001f]) {
      assert.deepEqual(o(inst), { kind: 'trap', options: [2, inst] }, inst.toString(16));
    }
    // ADDI retires to the next word; a C.NOP to the next parcel
    assert.deepEqual(o(0x00000013), { kind: 'retire', rd: 0, pc: SLOT + 4, priv: 0, wfi: false });
    assert.deepEqual(o(0x0001), { kind: 'retire', rd: 0, pc: SLOT + 2, priv: 0, wfi: false });
  });
});
