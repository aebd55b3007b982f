/**
 * Engine-neutral assertions for the core test suites.
 *
 * The same test files run under Node (through node:test) and under XS
 * (through the harness's own runner), so they may not import node:assert.
 * Each function throws an {@link AssertionFailure} naming what differed.
 */

export class AssertionFailure extends Error {
  readonly actual: unknown;
  readonly expected: unknown;
  constructor(message: string, actual?: unknown, expected?: unknown) {
    super(message);
    this.name = 'AssertionFailure';
    this.actual = actual;
    this.expected = expected;
  }
}

function show(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) > 9 ? `${v} (0x${(v >>> 0).toString(16)})` : String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  try {
    return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x instanceof Uint8Array ? Array.from(x) : x));
  } catch {
    return String(v);
  }
}

function label(message: string | undefined): string {
  return message === undefined ? '' : `${message}: `;
}

export function ok(value: unknown, message?: string): asserts value {
  if (!value) throw new AssertionFailure(`${label(message)}expected a truthy value, got ${show(value)}`, value, true);
}

/** Strict equality (Object.is, so NaN equals NaN and 0 differs from -0). */
export function equal<T>(actual: T, expected: T, message?: string): void {
  if (!Object.is(actual, expected)) {
    throw new AssertionFailure(`${label(message)}expected ${show(expected)}, got ${show(actual)}`, actual, expected);
  }
}

export function notEqual<T>(actual: T, expected: T, message?: string): void {
  if (Object.is(actual, expected)) throw new AssertionFailure(`${label(message)}expected anything but ${show(expected)}`, actual, expected);
}

function deepEq(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (ArrayBuffer.isView(a)) {
    const x = a as unknown as ArrayLike<unknown>;
    const y = b as unknown as ArrayLike<unknown>;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
    return true;
  }
  if (a instanceof Map && b instanceof Map) {
    if (a.size !== b.size) return false;
    for (const [k, v] of a) if (!b.has(k) || !deepEq(v, b.get(k))) return false;
    return true;
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!deepEq((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/** Structural equality of plain objects, arrays, typed arrays and maps. */
export function deepEqual<T>(actual: T, expected: T, message?: string): void {
  if (!deepEq(actual, expected)) {
    throw new AssertionFailure(`${label(message)}expected ${show(expected)}, got ${show(actual)}`, actual, expected);
  }
}

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Calls `fn` and expects it to throw. With `expected`, the error must be an
 * instance of that class; with `check`, the check must hold for the error.
 * Returns the error for further assertions.
 */
export function throws<E extends Error = Error>(
  fn: () => unknown,
  expected?: ErrorClass,
  check?: (e: E) => boolean,
  message?: string,
): E {
  let thrown: unknown;
  let didThrow = false;
  try {
    fn();
  } catch (e) {
    didThrow = true;
    thrown = e;
  }
  if (!didThrow) throw new AssertionFailure(`${label(message)}expected an exception, none was thrown`);
  if (expected !== undefined && !(thrown instanceof expected)) {
    throw new AssertionFailure(`${label(message)}expected ${expected.name}, got ${show(String(thrown))}`, thrown, expected.name);
  }
  if (check !== undefined && !check(thrown as E)) {
    throw new AssertionFailure(`${label(message)}the exception did not pass the check: ${String(thrown)}`, thrown);
  }
  return thrown as E;
}

/** Calls `fn` and fails if it throws. */
export function doesNotThrow(fn: () => unknown, message?: string): void {
  try {
    fn();
  } catch (e) {
    throw new AssertionFailure(`${label(message)}unexpected exception: ${String(e)}`, e);
  }
}

export function match(actual: string, pattern: RegExp, message?: string): void {
  if (!pattern.test(actual)) throw new AssertionFailure(`${label(message)}${show(actual)} does not match ${pattern}`, actual, pattern);
}
