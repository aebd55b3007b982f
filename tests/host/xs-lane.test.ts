/**
 * The XS lane: every engine-neutral suite (tests/core/*.test.ts, found when
 * this file loads, so new suites join by themselves) is bundled with esbuild
 * for XS, with the harness's node-runner swapped for its XS runner, and run
 * in a fresh xsnap-worker (a fresh XS machine per suite). Each XS result
 * becomes a node:test subtest named after the suite's describe/it path, so
 * a test that fails only under XS fails `npm test`.
 *
 * It also scans src/ for a construct that XS 13.3 mishandles (jumps out of
 * a switch leak XS stack slots) and that short tests may not reveal.
 *
 * Environment: XS_LANE_JOBS (suites run at once; default: the number of
 * CPUs), XS_SUITE_TIMEOUT_MS (per suite; default 600000), XS_LANE_FILTER (a
 * substring of the suite file names to run), XSNAP_WORKER (the binary).
 * See docs/xs-lane.md.
 */
import { describe, it, type TestContext } from 'node:test';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { writeFile, mkdir } from 'node:fs/promises';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { bundleSuiteForXs, CACHE_DIR, listCoreSuites, ROOT } from '../../scripts/bundle-xs-tests.mjs';
import { findXsnapWorker, runXsScript, type XsMeter } from '../../host/xs/index.js';

const JOBS = Math.max(1, Number(process.env['XS_LANE_JOBS'] ?? availableParallelism()) || 1);
const SUITE_TIMEOUT_MS = Number(process.env['XS_SUITE_TIMEOUT_MS'] ?? 600_000) || 600_000;
const FILTER = process.env['XS_LANE_FILTER'] ?? '';

/** What the bundle's entry sends through issueCommand (see scripts/bundle-xs-tests.mjs and tests/harness/xs-runner.ts). */
type LaneEvent =
  | { type: 'start'; path: string[] }
  | { type: 'pass'; path: string[]; ms: number }
  | { type: 'fail'; path: string[]; ms: number; message: string; stack: string }
  | { type: 'done'; passed: number; failed: number; ms: number }
  | { type: 'load-error'; message: string; stack: string };

type Outcome = { ok: true; ms: number } | { ok: false; ms: number; message: string; stack: string };

interface ResultNode {
  name: string;
  outcome: Outcome | null; // a test; null for a describe
  children: ResultNode[];
}

/** Turns XS stack lines `at f (#0:LINE)` into source positions through the bundle's source map. */
function mapStack(stack: string, map: SourceMap | null, bundle: string): string {
  return stack
    .split('\n')
    .map((line) =>
      line.replace(/\(#0:(\d+)\)/, (whole, n: string) => {
        const lineNo = Number(n);
        if (map !== null) {
          const e = map.findEntry(lineNo - 1, 1e6) as { originalSource?: string; originalLine?: number };
          if (e.originalSource !== undefined && e.originalLine !== undefined) {
            const src = resolve(dirname(bundle), e.originalSource.replace(/^file:\/\//, ''));
            return `(${relative(ROOT, src)}:${e.originalLine + 1})`;
          }
        }
        return `(${relative(ROOT, bundle)}:${lineNo})`;
      }),
    )
    .join('\n');
}

/** An Error whose stack is the XS one, so node:test prints that rather than this file's. */
function xsError(message: string, xsStack: string): Error {
  const e = new Error(message);
  e.stack = xsStack.trim() === '' ? `Error: ${message}` : `Error: ${message}\n    XS stack:\n      ${xsStack.trim().split('\n').join('\n      ')}`;
  return e;
}

function insert(root: ResultNode, path: readonly string[], outcome: Outcome): void {
  let node = root;
  for (const name of path.slice(0, -1)) {
    let next = node.children.find((c) => c.outcome === null && c.name === name);
    if (next === undefined) {
      next = { name, outcome: null, children: [] };
      node.children.push(next);
    }
    node = next;
  }
  node.children.push({ name: path[path.length - 1] ?? '(unnamed)', outcome, children: [] });
}

async function replay(t: TestContext, nodes: readonly ResultNode[], where: string[], suite: string, stackMapper: (s: string) => string): Promise<void> {
  for (const n of nodes) {
    const path = [...where, n.name];
    if (n.outcome === null) {
      await t.test(n.name, async (st) => replay(st, n.children, path, suite, stackMapper));
    } else {
      const o = n.outcome;
      await t.test(n.name, () => {
        if (!o.ok) throw xsError(`under XS, ${suite} > ${path.join(' > ')}: ${o.message}`, stackMapper(o.stack));
      });
    }
  }
}

function fmtMeter(m: XsMeter | null): string {
  if (m === null) return 'no meter data (the worker did not finish)';
  const mib = (m.allocate / (1024 * 1024)).toFixed(1);
  return `XS heap ${m.currentHeapCount} slots, ${mib} MiB chunks allocated, ${m.compute} computrons (mod 2^32)`;
}

/**
 * Suite wall times of the last run (node_modules/.cache/xs-tests/timings.json):
 * the slowest suites start first, so a heavy suite does not start last and
 * leave the other core idle. New suites count as slowest.
 */
const TIMINGS = join(CACHE_DIR, 'timings.json');
const timings: Record<string, number> = (() => {
  try {
    return JSON.parse(readFileSync(TIMINGS, 'utf8')) as Record<string, number>;
  } catch {
    return {};
  }
})();
const lastTime = (f: string): number => timings[relative(ROOT, f)] ?? Infinity;
const suites = listCoreSuites()
  .filter((f) => basename(f).includes(FILTER))
  .sort((a, b) => lastTime(b) - lastTime(a) || a.localeCompare(b));

describe('XS lane: engine-neutral suites under XS', { concurrency: JOBS }, () => {
  it('has suites to run and an XS engine', () => {
    if (suites.length === 0) throw new Error(`no tests/core/*.test.ts matched${FILTER === '' ? '' : ` XS_LANE_FILTER=${FILTER}`}`);
    findXsnapWorker(); // throws, saying how to build it, when it is missing
  });

  for (const file of suites) {
    const name = relative(ROOT, file);
    it(name, { timeout: SUITE_TIMEOUT_MS + 60_000 }, async (t) => {
      const bundle = await bundleSuiteForXs(file).catch((e: unknown) => {
        throw new Error(`bundling ${name} for XS failed: ${(e as Error).message}`, { cause: e });
      });
      await mkdir(CACHE_DIR, { recursive: true });
      await writeFile(bundle.outfile, bundle.code); // kept, so `#0:LINE` in an XS stack can be looked up
      let map: SourceMap | null = null;
      if (bundle.map !== null) {
        await writeFile(`${bundle.outfile}.map`, bundle.map);
        map = new SourceMap(JSON.parse(bundle.map) as SourceMapPayload);
      }
      const stackMapper = (s: string): string => mapStack(s, map, bundle.outfile);

      const results: ResultNode = { name: '', outcome: null, children: [] };
      const seen: {
        running: string[] | null;
        done: Extract<LaneEvent, { type: 'done' }> | null;
        loadError: Extract<LaneEvent, { type: 'load-error' }> | null;
        printed: string;
      } = { running: null, done: null, loadError: null, printed: '' };
      const decoder = new TextDecoder();
      const r = await runXsScript(bundle.code, {
        timeoutMs: SUITE_TIMEOUT_MS,
        stdout: (s) => {
          seen.printed = (seen.printed + s).slice(-8000);
        },
        onCommand: (bytes) => {
          const e = JSON.parse(decoder.decode(bytes)) as LaneEvent;
          if (e.type === 'start') seen.running = e.path;
          else if (e.type === 'pass') {
            seen.running = null;
            insert(results, e.path, { ok: true, ms: e.ms });
          } else if (e.type === 'fail') {
            seen.running = null;
            insert(results, e.path, { ok: false, ms: e.ms, message: e.message, stack: e.stack });
          } else if (e.type === 'done') seen.done = e;
          else seen.loadError = e;
        },
      });

      timings[name] = Math.round(r.durationMs);
      await writeFile(TIMINGS, `${JSON.stringify(timings, null, 2)}\n`).catch(() => undefined);

      const { done, loadError, running, printed } = seen;
      const counts = done === null ? 'unfinished' : `${done.passed} passed, ${done.failed} failed`;
      t.diagnostic(`${name} under XS: ${counts} in ${(r.durationMs / 1000).toFixed(2)} s; ${fmtMeter(r.meter)}`);
      await replay(t, results.children, [], name, stackMapper);

      const tail = printed.trim() === '' ? '' : `\nXS printed (last lines):\n${printed.trimEnd().split('\n').slice(-20).join('\n')}`;
      const stderr = r.stderr.trim() === '' ? '' : `\nxsnap-worker stderr:\n${r.stderr.trim()}`;
      if (loadError !== null) throw xsError(`under XS, loading ${name} threw: ${loadError.message}${tail}`, stackMapper(loadError.stack));
      if (!r.ok) {
        const at = running === null ? '' : ` while running "${running.join(' > ')}"`;
        throw new Error(`under XS, ${name} did not finish${at}: ${r.error}${tail}${stderr}`);
      }
      if (done === null) {
        const at = running === null ? '' : `; "${running.join(' > ')}" never settled (its promise waits on something that never happens under XS)`;
        throw new Error(`under XS, ${name} stopped before all its tests ran${at}${tail}${stderr}`);
      }
      if (done.passed + done.failed === 0) throw new Error(`under XS, ${name} registered no test${tail}`);
    });
  }
});

/**
 * XS 13.3 (xsnap 0.15.0) keeps a switch's discriminant on its stack until
 * the switch's own end, and a `continue`, or a labelled `break`, that jumps
 * from inside a switch to a target outside it does not pop it: every such
 * jump leaks one stack slot until the function returns. In an interpreter
 * loop that overflows the XS stack (4096 slots in xsnap, fewer on a board)
 * after a few thousand iterations, which short tests may not reach. Plain
 * `break` (leaving only the switch), `return` and `throw` are safe.
 */
function switchEscapes(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isContinueStatement(n) || (ts.isBreakStatement(n) && n.label !== undefined)) {
      const label = n.label?.text;
      let crossed = false;
      let target: ts.Node | undefined = n.parent;
      for (; target !== undefined && !ts.isFunctionLike(target); target = target.parent) {
        if (label === undefined ? ts.isIterationStatement(target, false) : ts.isLabeledStatement(target) && target.label.text === label) break;
        if (ts.isSwitchStatement(target)) crossed = true;
      }
      // A break that lands outside every loop of the function leaks once per call (the slot goes at return): harmless.
      let repeats = ts.isContinueStatement(n);
      for (let p = target?.parent; !repeats && p !== undefined && !ts.isFunctionLike(p); p = p.parent) {
        if (ts.isIterationStatement(p, false)) repeats = true;
      }
      if (crossed && repeats) found.push(`${relative(ROOT, file)}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}: ${n.getText()}`);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

function coreSources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return relative(ROOT, p) === join('src', 'moddable') ? [] : coreSources(p);
    return name.endsWith('.ts') ? [p] : [];
  });
}

describe('XS pitfalls in the core', () => {
  it('no continue or labelled break leaves a switch (XS leaks a stack slot per jump)', () => {
    const found = coreSources(join(ROOT, 'src')).flatMap((f) => switchEscapes(f, readFileSync(f, 'utf8')));
    if (found.length > 0) {
      throw new Error(
        `${found.length} jump(s) out of a switch; under XS each leaks a stack slot, so a loop overflows the XS stack ` +
          `after a few thousand turns (end the case with a plain break and jump after the switch):\n  ${found.join('\n  ')}`,
      );
    }
  });

  it('the check finds such jumps and passes safe ones', () => {
    const bad = 'function f(n){ while (n--) { L: { switch (n & 1) { case 0: continue; default: break L; } } } }';
    const good = 'function f(n){ while (n--) { switch (n & 1) { case 0: break; default: return; } for (;;) { break; } continue; } W: while (1) { switch (n) { case 1: break W; } } }';
    const inner = 'function f(){ switch (1) { case 1: for (const x of [1]) { if (x) continue; } } }';
    const hits = switchEscapes('sample.ts', bad).length;
    const clean = switchEscapes('sample.ts', good).length + switchEscapes('sample.ts', inner).length;
    if (hits !== 2 || clean !== 0) throw new Error(`expected 2 hits and 0 false positives, got ${hits} and ${clean}`);
  });
});
