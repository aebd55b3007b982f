/**
 * A seeded random source for the core suites: xorshift32 (Marsaglia 2003),
 * so every run and both engines (V8, XS) draw the same sequence.
 */

/** Returns `next(n)`: an integer in [0, n) from the generator seeded with `seed` (0 is mapped to 1, a legal state). */
export function seededRandom(seed: number): (n: number) => number {
  let s = seed | 0 || 1;
  return (n: number) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
}
