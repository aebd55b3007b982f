/**
 * src/cpu/isa/fields.ts gives each field twice from one layout: as a value
 * (fieldValue, for decoders) and as source (fieldSource, for the generated
 * interpreter and the JIT). Here the source, compiled, must give what the
 * value does, for every field, on edge and pseudo-random words; fieldValue
 * itself is checked against an independent encoder in cpu-decode.test.ts.
 * (A host test: it compiles source text, which XS boards cannot.)
 */
import { assert, describe, it } from '../harness/index.js';
import { Fields, RvcFields, fieldSource, fieldValue, type BitField } from '../../src/cpu/isa/index.js';

const words: number[] = [0, -1, 1, 0x7fffffff, -0x80000000, 0x55555555, 0xaaaaaaaa | 0, 0xffff, 0x8000];
let seed = 0x2545f491;
for (let i = 0; i < 4000; i++) {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  words.push(seed | 0);
}

function check(name: string, f: BitField, shift: number): void {
  const src = fieldSource(f, 'v', shift);
  const run = new Function('v', `return ${src};`) as (v: number) => number;
  for (const w of words) {
    const want = fieldValue(f, w);
    if ((want & ((1 << shift) - 1)) !== 0) continue; // bits a shift would drop: not a legal use
    assert.equal(run(w), want >> shift, `${name} >> ${shift} of 0x${(w >>> 0).toString(16)}: ${src}`);
  }
}

describe('isa fields: source and value agree', () => {
  it('every 32-bit field, and the B and J immediates in parcels', () => {
    for (const [name, f] of Object.entries(Fields)) check(name, f, 0);
    check('immB', Fields.immB, 1);
    check('immJ', Fields.immJ, 1);
  });
  it('every RVC field, and the branch and jump offsets in parcels', () => {
    for (const [name, f] of Object.entries(RvcFields)) check(name, f, 0);
    check('branch', RvcFields.branch, 1);
    check('jump', RvcFields.jump, 1);
  });
  it('refuses a shift that would drop bits of the field', () => {
    assert.throws(() => fieldSource(Fields.immI, 'v', 1));
  });
});
