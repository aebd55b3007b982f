/**
 * Structured control flow for a region of the JIT tier (translate.ts): lays
 * its blocks out so that every loop is contiguous and plans the JavaScript
 * statements around them: a labelled `for (;;)` per loop (a back edge is
 * `continue`, falling off its end is `break`) and a labelled block per
 * forward jump target (`break`), so that no jump inside the region passes
 * through a `switch` (a jump table per back edge, which TurboFan cannot
 * thread, and which keeps a loop's values in the switch's phis). Only for
 * reducible flow graphs (every loop entered through its header); for others
 * the planner returns null and the translator keeps its switch. No `switch`
 * is emitted, so XS's stack leak on jumps out of one (docs/xs-lane.md) does
 * not arise. Why: docs/jit.md, Issue 18.
 */

/** The plan for a region's blocks: see {@link structure}. */
export interface Structure {
  /** Indices of the blocks, in layout order. */
  readonly order: readonly number[];
  /** Per layout position p (0 to the number of blocks): the statements that close and open constructs before block p (after the last block at the end). */
  readonly before: readonly string[];
  /** Indices of the loop headers: where every cycle of the region passes, and so where the budget is checked. */
  readonly headers: ReadonlySet<number>;
  /** The statement that jumps from block `from` to block `to` (indices): '' when `to` is next in the layout. */
  jump(from: number, to: number): string;
}

interface Construct {
  loop: boolean;
  /** Block index of the loop header or the jump target. */
  id: number;
  start: number;
  /** First position after it. */
  end: number;
}

/**
 * Plans block `0`'s region, whose in-region successors are `succ` (by block
 * index; the fall-through, when a block has one, last). Returns null when the
 * flow graph is irreducible (a cycle entered other than through one header).
 */
export function structure(succ: readonly (readonly number[])[]): Structure | null {
  const n = succ.length;
  // Depth-first order from the entry, fall-through successors visited last so that they follow their block.
  const post: number[] = [];
  const seen = new Uint8Array(n);
  const stack: [number, number][] = [[0, 0]];
  seen[0] = 1;
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [b, k] = top;
    if (k < succ[b].length) {
      top[1]++;
      const s = succ[b][k];
      if (seen[s] === 0) {
        seen[s] = 1;
        stack.push([s, 0]);
      }
    } else {
      post.push(b);
      stack.pop();
    }
  }
  if (post.length !== n) return null;
  const rpo = post.reverse();
  const rank = new Int32Array(n);
  rpo.forEach((b, i) => (rank[b] = i));
  const preds: number[][] = Array.from({ length: n }, () => []);
  succ.forEach((ss, b) => ss.forEach((s) => preds[s].push(b)));
  const idom = dominators(rpo, rank, preds);
  const dominates = (a: number, b: number): boolean => {
    for (let x = b; ; x = idom[x]) {
      if (x === a) return true;
      if (x === 0) return false;
    }
  };
  // Loops: a retreating edge must go to a dominator (a back edge), else the graph is irreducible.
  const body = new Map<number, Set<number>>();
  for (let u = 0; u < n; u++) {
    for (const v of succ[u]) {
      if (rank[v] > rank[u]) continue;
      if (!dominates(v, u)) return null;
      const set = body.get(v) ?? new Set([v]);
      body.set(v, set);
      const work = [u];
      while (work.length > 0) {
        const w = work.pop()!;
        if (set.has(w)) continue;
        set.add(w);
        for (const p of preds[w]) work.push(p);
      }
    }
  }
  // Layout: a topological order of each loop's contents (its inner loops each one node), loops expanded in place.
  const order: number[] = [];
  const place = (nodes: ReadonlySet<number>, head: number): void => {
    const rep = (b: number): number => {
      let best = b;
      let size = 0;
      for (const [h, set] of body) {
        if (h !== head && set.has(b) && set.size > size && set.size < nodes.size + (head < 0 ? 1 : 0)) {
          best = h;
          size = set.size;
        }
      }
      return best;
    };
    const reps = new Map<number, number>();
    for (const b of nodes) reps.set(b, rep(b));
    const indeg = new Map<number, number>();
    const out = new Map<number, Set<number>>();
    for (const r of reps.values()) {
      indeg.set(r, 0);
      out.set(r, new Set());
    }
    for (const u of nodes) {
      for (const v of succ[u]) {
        if (!nodes.has(v) || v === head) continue;
        const ru = reps.get(u)!;
        const rv = reps.get(v)!;
        if (ru !== rv && !out.get(ru)!.has(rv)) {
          out.get(ru)!.add(rv);
          indeg.set(rv, indeg.get(rv)! + 1);
        }
      }
    }
    const ready = [...indeg.keys()].filter((r) => indeg.get(r) === 0);
    let placed = 0;
    while (ready.length > 0) {
      ready.sort((a, b) => rank[a] - rank[b]);
      const r = ready.shift()!;
      placed++;
      if (r !== head && body.has(r)) place(body.get(r)!, r);
      else order.push(r);
      for (const v of out.get(r)!) {
        indeg.set(v, indeg.get(v)! - 1);
        if (indeg.get(v) === 0) ready.push(v);
      }
    }
    if (placed !== indeg.size) throw new Error('cycle');
  };
  try {
    place(new Set(rpo), -1);
  } catch {
    return null;
  }
  if (order.length !== n) return null;
  const pos = new Int32Array(n);
  order.forEach((b, i) => (pos[b] = i));
  const cons: Construct[] = [];
  for (const [h, set] of body) {
    let lo = n;
    let hi = -1;
    for (const b of set) {
      lo = Math.min(lo, pos[b]);
      hi = Math.max(hi, pos[b]);
    }
    if (lo !== pos[h] || hi - lo + 1 !== set.size) return null;
    cons.push({ loop: true, id: h, start: lo, end: hi + 1 });
  }
  // Every jump goes forward, or back to the header of a loop that holds it.
  for (let u = 0; u < n; u++) {
    for (const v of succ[u]) {
      if (pos[v] <= pos[u] && !(body.has(v) && body.get(v)!.has(u))) return null;
    }
  }
  const before = nest(cons, preds, pos);
  if (before === null) return null;
  return {
    order,
    before,
    headers: new Set(body.keys()),
    jump: (from, to) => (pos[to] === pos[from] + 1 ? '' : pos[to] <= pos[from] ? `continue L${to};` : `break B${to};`),
  };
}

/** Immediate dominators of the blocks (Cooper, Harvey and Kennedy's iteration over the reverse postorder `rpo`). */
function dominators(rpo: readonly number[], rank: Int32Array, preds: readonly (readonly number[])[]): Int32Array {
  const idom = new Int32Array(rpo.length).fill(-1);
  idom[0] = 0;
  for (let changed = true; changed; ) {
    changed = false;
    for (const b of rpo) {
      if (b === 0) continue;
      let d = -1;
      for (const p of preds[b]) {
        if (idom[p] < 0) continue;
        if (d < 0) {
          d = p;
          continue;
        }
        let x = p;
        while (x !== d) {
          while (rank[x] > rank[d]) x = idom[x];
          while (rank[d] > rank[x]) d = idom[d];
        }
      }
      if (idom[b] !== d) {
        idom[b] = d;
        changed = true;
      }
    }
  }
  return idom;
}

/**
 * Adds to the loops `cons` a labelled block per forward jump target (other than the next block) and returns the
 * statements before each layout position, or null when the constructs cannot nest.
 */
function nest(cons: Construct[], preds: readonly (readonly number[])[], pos: Int32Array): string[] | null {
  const n = pos.length;
  // A labelled block per forward jump target other than the next block, opened before its first jump, widened
  // until the constructs nest: one that starts inside a loop and ends after it opens before the loop.
  for (let v = 0; v < n; v++) {
    let start = n;
    for (const u of preds[v]) if (pos[v] > pos[u] + 1) start = Math.min(start, pos[u]);
    if (start < n) cons.push({ loop: false, id: v, start, end: pos[v] });
  }
  for (let changed = true, rounds = 0; changed; rounds++) {
    if (rounds > 4 * n + 8) return null;
    changed = false;
    for (const s of cons) {
      if (s.loop) continue;
      for (const c of cons) {
        if (c === s) continue;
        if (c.start < s.start && s.start < c.end && c.end < s.end) {
          s.start = c.start;
          changed = true;
        } else if (s.start < c.start && c.start < s.end && s.end < c.end && !c.loop) {
          c.start = s.start;
          changed = true;
        } else if (s.start < c.start && c.start < s.end && s.end < c.end) {
          return null;
        }
      }
    }
  }
  // The statements before each position: closings (innermost first), then openings (outermost first).
  const before: string[] = [];
  const open: Construct[] = [];
  const outer = (a: Construct, b: Construct): number => b.end - a.end || (a.loop ? 1 : 0) - (b.loop ? 1 : 0);
  for (let p = 0; p <= n; p++) {
    const text: string[] = [];
    while (open.length > 0 && open[open.length - 1].end === p) {
      const c = open.pop()!;
      text.push(c.loop ? `break L${c.id}; }` : '}');
    }
    if (open.some((c) => c.end <= p)) return null;
    for (const c of cons.filter((c) => c.start === p).sort(outer)) {
      if (open.length > 0 && open[open.length - 1].end < c.end) return null;
      open.push(c);
      text.push(c.loop ? `L${c.id}: for (;;) {` : `B${c.id}: {`);
    }
    before.push(text.join('\n'));
  }
  return open.length > 0 ? null : before;
}
