/**
 * The JIT tier's structured control flow (src/cpu/jit/structure.ts): for
 * random flow graphs, the planned loops and labelled blocks, run as
 * JavaScript, must visit the same blocks in the same order as a direct walk
 * of the graph taking the same branch decisions; irreducible graphs (a
 * cycle entered at two blocks) must be refused; loops must be contiguous
 * with their header first. The translated regions built on it run in
 * lockstep with the interpreter in jit.test.ts.
 */
import { assert, describe, it, seededRandom } from '../harness/index.js';
import { structure } from '../../src/cpu/jit/structure.js';

/** A deterministic generator (tests/harness/random.ts). */
const rng = seededRandom;

const STEPS = 300;

/** The blocks a walk of `succ` from block 0 visits, taking successor `d[t] & 1` of two at step t; -1 ends a walk that leaves. */
function walk(succ: readonly (readonly number[])[], d: readonly number[]): number[] {
  const trace: number[] = [];
  let b = 0;
  while (trace.length < STEPS) {
    trace.push(b);
    const s = succ[b];
    if (s.length === 0) break;
    b = s.length === 1 ? s[0] : s[d[trace.length] & 1 ? 0 : 1];
  }
  return trace;
}

/** The same walk by the planned JavaScript (the statements translate.ts emits around its blocks). */
function run(succ: readonly (readonly number[])[], d: readonly number[]): number[] | null {
  const st = structure(succ);
  if (st === null) return null;
  const out: string[] = [];
  st.order.forEach((b, p) => {
    out.push(st.before[p], `T.push(${b}); if (T.length >= ${STEPS}) break R;`);
    const s = succ[b];
    if (s.length === 0) out.push('break R;');
    else if (s.length === 1) out.push(st.jump(b, s[0]));
    else {
      const gt = st.jump(b, s[0]);
      const gf = st.jump(b, s[1]);
      if (gt === '') out.push(`if (!(D[T.length] & 1)) { ${gf} }`);
      else out.push(`if (D[T.length] & 1) { ${gt} }`, gf);
    }
  });
  out.push(st.before[st.order.length]);
  const trace: number[] = [];
  new Function('T', 'D', `R: {\n${out.join('\n')}\nT.push(-1);\n}`)(trace, d);
  return trace;
}

describe('JIT tier, structured control flow of a region', () => {
  it('runs random reducible flow graphs block for block as a direct walk does', () => {
    let planned = 0;
    for (let seed = 1; seed <= 3000; seed++) {
      const r = rng(seed);
      const n = 2 + r(14);
      const succ = Array.from({ length: n }, (_, b) => {
        const k = r(5) === 0 ? 0 : 1 + r(2);
        // Mostly nearby blocks, as code is; a fall-through (b + 1) last.
        const s = Array.from({ length: k }, (_, j) => (j === k - 1 && b + 1 < n && r(2) === 0 ? b + 1 : r(n)));
        return [...new Set(s)];
      });
      const d = Array.from({ length: STEPS + 1 }, () => r(2));
      const got = run(succ, d);
      if (got === null) continue;
      planned++;
      assert.deepEqual(got, walk(succ, d), `seed ${seed}: ${JSON.stringify(succ)}`);
      const st = structure(succ)!;
      assert.equal(st.order[0], 0, 'the entry first');
      assert.deepEqual([...st.order].sort((a, b) => a - b), [...succ.keys()], 'every block once');
    }
    assert.ok(planned > 300, `${planned} graphs planned`); // the rest are irreducible or have unreachable blocks
  });

  it('refuses an irreducible graph and keeps a loop contiguous behind its header', () => {
    // 0 enters the cycle 1 <-> 2 at both blocks.
    assert.equal(structure([[1, 2], [2], [1, 3], []]), null);
    // 0 -> 1 (header) -> 3 -> 1, 1 -> 2 (after the loop): the layout keeps 1 and 3 together.
    const st = structure([[1], [3, 2], [], [1]])!;
    assert.deepEqual(st.order, [0, 1, 3, 2]);
    assert.deepEqual([...st.headers], [1]);
    assert.equal(st.jump(3, 1), 'continue L1;');
    assert.equal(st.jump(0, 1), '');
  });
});
