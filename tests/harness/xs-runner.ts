/**
 * The harness's test registration and runner under XS (and any engine
 * without node:test). The XS bundle of a core suite aliases
 * `./node-runner.js` to this module, so `describe` and `it` from
 * `tests/harness/index.ts` register here; the bundle's entry then calls
 * {@link run}, which runs every test in declaration order, awaiting async
 * bodies, and reports each result through a callback.
 *
 * Plain ECMAScript only: no Node API, no host global except the optional
 * `print` (xsnap, Moddable's xst) or `trace` (Moddable on a board) used by
 * {@link printReporter}.
 */

/** A test's place: the enclosing describe names, then the test's name. */
export type TestPath = readonly string[];

/** What the runner reports, in order. */
export type TestEvent =
  | { readonly type: 'start'; readonly path: TestPath }
  | { readonly type: 'pass'; readonly path: TestPath; readonly ms: number }
  | { readonly type: 'fail'; readonly path: TestPath; readonly ms: number; readonly message: string; readonly stack: string }
  | { readonly type: 'done'; readonly passed: number; readonly failed: number; readonly ms: number };

export type Reporter = (event: TestEvent) => void;

export interface Failure {
  readonly path: TestPath;
  readonly message: string;
  readonly stack: string;
}

export interface RunSummary {
  readonly passed: number;
  readonly failed: number;
  readonly failures: readonly Failure[];
  readonly ms: number;
}

type Body = () => void | Promise<void>;

interface TestNode {
  readonly kind: 'test';
  readonly name: string;
  readonly body: Body;
}

interface SuiteNode {
  readonly kind: 'suite';
  readonly name: string;
  readonly children: (TestNode | SuiteNode)[];
}

const root: SuiteNode = { kind: 'suite', name: '', children: [] };
let current: SuiteNode = root;
let running = false;

/** Registers a group; its body runs at once and registers the tests inside. */
export function describe(name: string, body: () => void): void {
  const suite: SuiteNode = { kind: 'suite', name, children: [] };
  current.children.push(suite);
  if (running) {
    // Not supported (node:test would make a subtest): make it a failure rather than silently dropping it.
    suite.children.push(failing('(registration)', new Error(`describe('${name}') called while tests were running`)));
    return;
  }
  const parent = current;
  current = suite;
  try {
    const r: unknown = body();
    if (r !== undefined && r !== null && typeof (r as { then?: unknown }).then === 'function') {
      throw new Error('a describe body must be synchronous (it returned a promise)');
    }
  } catch (e) {
    // As under node:test, an exception in a describe body is a failure of that group.
    suite.children.push(failing('(describe body)', e));
  } finally {
    current = parent;
  }
}

/** Registers a test; the body may be synchronous or return a promise. */
export function it(name: string, body: () => void | Promise<void>): void {
  if (running) {
    current.children.push(failing(name, new Error(`it('${name}') called while tests were running: nested tests are not supported`)));
    return;
  }
  current.children.push({ kind: 'test', name, body });
}

function failing(name: string, error: unknown): TestNode {
  return {
    kind: 'test',
    name,
    body: () => {
      throw error;
    },
  };
}

function str(v: unknown): string {
  try {
    return String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}

/** `Name: message`, followed by the chain of `cause`s. */
export function describeError(e: unknown): string {
  let text = '';
  let cur: unknown = e;
  for (let depth = 0; depth < 8; depth++) {
    let line: string;
    if (cur instanceof Error) line = `${cur.name}: ${cur.message}`;
    else if (typeof cur === 'object' && cur !== null && 'message' in cur) line = str((cur as { message: unknown }).message);
    else line = `thrown value (not an Error): ${str(cur)}`;
    text += depth === 0 ? line : `\n  caused by ${line}`;
    if (!(cur instanceof Error) || !('cause' in cur) || cur.cause === undefined) break;
    cur = cur.cause;
  }
  return text;
}

function stackOf(e: unknown): string {
  if (e instanceof Error && typeof e.stack === 'string') return e.stack;
  return '';
}

function now(): number {
  return Date.now();
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';
}

/**
 * Runs every registered test once, depth first in declaration order, and
 * reports through `report` (default: {@link printReporter}). Resolves with
 * the summary; never rejects because a test failed.
 */
export async function run(report: Reporter = printReporter()): Promise<RunSummary> {
  if (running) throw new Error('run() is already in progress');
  running = true;
  const t0 = now();
  let passed = 0;
  let failed = 0;
  const failures: Failure[] = [];

  async function runTest(test: TestNode, path: TestPath): Promise<void> {
    report({ type: 'start', path });
    const start = now();
    try {
      const r = test.body();
      if (isThenable(r)) await r;
      passed++;
      report({ type: 'pass', path, ms: now() - start });
    } catch (e) {
      failed++;
      const failure: Failure = { path, message: describeError(e), stack: stackOf(e) };
      failures.push(failure);
      report({ type: 'fail', path, ms: now() - start, message: failure.message, stack: failure.stack });
    }
  }

  async function runSuite(suite: SuiteNode, path: TestPath): Promise<void> {
    for (const child of suite.children) {
      const childPath = [...path, child.name];
      if (child.kind === 'test') await runTest(child, childPath);
      else await runSuite(child, childPath);
    }
  }

  try {
    await runSuite(root, []);
  } finally {
    running = false;
  }
  const ms = now() - t0;
  report({ type: 'done', passed, failed, ms });
  return { passed, failed, failures, ms };
}

/** The number of tests registered so far (nested groups included). */
export function registeredCount(): number {
  let n = 0;
  const walk = (s: SuiteNode): void => {
    for (const c of s.children) {
      if (c.kind === 'test') n++;
      else walk(c);
    }
  };
  walk(root);
  return n;
}

/**
 * A reporter that writes TAP-like lines with the engine's `print` (xsnap,
 * xst) or `trace` (Moddable on a board), ending with
 * `N passed, N failed`.
 */
export function printReporter(): Reporter {
  const g = globalThis as { print?: (s: string) => void; trace?: (s: string) => void };
  const out: (s: string) => void =
    typeof g.print === 'function' ? g.print : typeof g.trace === 'function' ? (s) => g.trace!(`${s}\n`) : () => {};
  return (e) => {
    if (e.type === 'pass') out(`ok - ${e.path.join(' > ')} (${e.ms} ms)`);
    else if (e.type === 'fail') out(`not ok - ${e.path.join(' > ')}\n  ${e.message.split('\n').join('\n  ')}`);
    else if (e.type === 'done') out(`${e.passed} passed, ${e.failed} failed`);
  };
}
