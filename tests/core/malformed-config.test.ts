/**
 * Malformed board files (src/board) and VM configurations
 * (src/monitor/config.ts), generated with fast-check: valid documents with
 * random mutations (a value anywhere replaced by any JSON value, a key
 * deleted, an unknown key added, an array emptied or grown, a string
 * changed by one character), and random or truncated JSON text.
 *
 * Every document is either accepted (and then the result says what the
 * document says: names, pins, RAM within the budget) or refused with the
 * module's typed error (BoardError, MonitorConfigError) listing problems,
 * each `FILE: $PATH: PROBLEM` with a JSONPath starting at `$`. Nothing
 * else escapes.
 */
import fc from 'fast-check';
import { describe, it, assert } from '../harness/index.js';
import { BoardError, parseBoard, validateBoard, type Board } from '../../src/board/index.js';
import { MonitorConfigError, parseMonitorConfig, validateMonitorConfig } from '../../src/monitor/index.js';

const RUNS = 300;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const HOST_SIM: Json = {
  name: 'host-sim', description: 'fuzz', platform: 'host', ramBudget: '1GiB',
  devices: ['clint', 'plic', 'uart0', 'gpio', 'test-finisher', 'virtio-mmio', 'htif'],
  uart0: { serial: 'stdio' },
  gpio: { lines: [
    { line: 0, name: 'led', pin: 0, direction: 'output' },
    { line: 1, name: 'button', pin: 1, direction: 'input', pull: 'up' },
  ] },
};
const PICO: Json = {
  name: 'pico', platform: 'rp2040', ramBudget: '112KiB',
  devices: ['clint', 'plic', 'uart0', 'gpio', 'test-finisher', 'htif'],
  uart0: { uart: 0, tx: 0, rx: 1, baud: 115200 },
  gpio: { lines: [
    { line: 0, name: 'led', pin: 25, direction: 'output' },
    { line: 1, name: 'button', pin: 15, direction: 'input', pull: 'up' },
  ] },
};
const CONFIG: Json = {
  board: 'host-sim', deterministic: true, slice: 20000,
  vms: [
    { name: 'hello', image: 'hello.elf', ram: '16MiB' },
    { name: 'blinky', image: 'b.elf', ram: '16MiB', pins: { 0: 'led', 1: 'button' }, uart: 'none', onFault: 'restart' },
    { name: 'kernel', image: 'k.bin', ram: '64MiB', firmware: 'sbi', devices: ['clint', 'plic', 'uart0', 'test-finisher'] },
  ],
};

// ------------------------------------------------------------------ mutations

/** Every path (list of keys/indices) to a value in `doc`, the root included. */
function paths(doc: Json, at: (string | number)[] = []): (string | number)[][] {
  const out = [at];
  if (Array.isArray(doc)) doc.forEach((v, i) => out.push(...paths(v, [...at, i])));
  else if (doc !== null && typeof doc === 'object') for (const [k, v] of Object.entries(doc)) out.push(...paths(v, [...at, k]));
  return out;
}

type Mutation =
  | { kind: 'replace'; value: Json }
  | { kind: 'delete' }
  | { kind: 'add-key'; key: string; value: Json }
  | { kind: 'char'; index: number; char: string }
  | { kind: 'number'; value: number };

const jsonValue = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>;
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), value: fc.oneof(jsonValue, fc.constantFrom<Json>(null, '', [], {}, -1, 0, 1e300, 2 ** 53, 0.5, '1TiB', 'led')) }),
  fc.record({ kind: fc.constant('delete' as const) }),
  fc.record({ kind: fc.constant('add-key' as const), key: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'name', '0')), value: jsonValue }),
  fc.record({ kind: fc.constant('char' as const), index: fc.nat({ max: 40 }), char: fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }) }),
  fc.record({ kind: fc.constant('number' as const), value: fc.oneof(fc.integer(), fc.double(), fc.constantFrom(-0, 2 ** 31, 2 ** 32, 2 ** 34, Number.MAX_SAFE_INTEGER)) }),
);

/** Applies the mutation at `path` to a deep copy of `doc`. */
function mutate(doc: Json, path: (string | number)[], m: Mutation): Json {
  const copy = JSON.parse(JSON.stringify(doc)) as Json;
  if (path.length === 0) return m.kind === 'replace' ? m.value : m.kind === 'number' ? m.value : copy;
  let parent: Json = copy;
  for (const k of path.slice(0, -1)) parent = (parent as Record<string | number, Json>)[k];
  const key = path[path.length - 1];
  const p = parent as Record<string | number, Json> & Json[];
  const old = p[key];
  switch (m.kind) {
    case 'replace': p[key] = m.value; break;
    case 'number': p[key] = m.value; break;
    case 'delete':
      if (Array.isArray(p)) p.splice(key as number, 1);
      else delete p[key];
      break;
    case 'add-key':
      if (old !== null && typeof old === 'object' && !Array.isArray(old)) {
        // Own property even for '__proto__', as JSON.parse makes it.
        Object.defineProperty(old, m.key, { value: m.value, enumerable: true, configurable: true, writable: true });
      } else if (Array.isArray(old)) old.push(m.value);
      else p[key] = m.value;
      break;
    case 'char':
      if (typeof old === 'string') {
        const i = old.length === 0 ? 0 : m.index % (old.length + 1);
        p[key] = old.slice(0, i) + m.char + old.slice(i + 1);
      } else p[key] = m.char;
      break;
  }
  return copy;
}

/** A document, a path into it and mutations (one to three, applied in turn). */
function mutated(doc: Json): fc.Arbitrary<Json> {
  const all = paths(doc);
  return fc.array(fc.tuple(fc.nat({ max: all.length - 1 }), mutation), { minLength: 1, maxLength: 3 }).map((ms) => {
    let d = doc;
    for (const [i, m] of ms) {
      const ps = paths(d);
      d = mutate(d, ps[i % ps.length], m);
    }
    return d;
  });
}

/** Checks the form of a refusal: the typed error, problems listed as FILE: $PATH: PROBLEM. */
function checkProblems(e: unknown, cls: typeof BoardError | typeof MonitorConfigError, file: string): void {
  if (!(e instanceof cls)) throw new Error(`expected ${cls.name}, got ${e instanceof Error ? e.stack : String(e)}`);
  const err = e as BoardError | MonitorConfigError;
  assert.equal(err.file, file);
  assert.ok(err.problems.length > 0);
  for (const p of err.problems) {
    assert.ok(p.path.startsWith('$'), `path ${p.path}`);
    assert.ok(p.problem.length > 0);
  }
  // The message starts with the first problem, named by file and path.
  assert.ok(err.message.startsWith(`${file}: ${err.problems[0].path}: `), err.message.slice(0, 120));
}

function boardOk(b: Board): void {
  assert.ok(b.ramBudget > 0);
  for (const l of b.gpioLines) assert.ok(Number.isInteger(l.line) && l.line >= 0 && l.line < 32);
}

// ------------------------------------------------------------------ board files

describe('malformed board files (fast-check)', () => {
  for (const [name, doc] of [['host-sim', HOST_SIM], ['pico', PICO]] as const) {
    it(`${RUNS} mutations of ${name}: accepted consistently or refused with a BoardError naming file and path`, () => {
      let refused = 0;
      fc.assert(fc.property(mutated(doc), (d) => {
        let b: Board;
        try {
          b = validateBoard(d, `boards/${name}.json`);
        } catch (e) {
          checkProblems(e, BoardError, `boards/${name}.json`);
          refused++;
          return;
        }
        boardOk(b);
      }), { numRuns: RUNS, seed: 42 });
      assert.ok(refused > RUNS / 2, `${refused} refused`);
    });
  }

  it('random and truncated JSON text: a BoardError at $', () => {
    const text = JSON.stringify(HOST_SIM);
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 60 }), fc.nat({ max: text.length - 1 }).map((n) => text.slice(0, n))), (t) => {
      try {
        boardOk(parseBoard(t, 'x.json'));
      } catch (e) {
        checkProblems(e, BoardError, 'x.json');
      }
    }), { numRuns: RUNS, seed: 5 });
  });
});

// ------------------------------------------------------------------ VM configurations

const loadBoard = (name: string): Board => {
  if (name === 'host-sim') return validateBoard(HOST_SIM, 'boards/host-sim.json');
  if (name === 'pico') return validateBoard(PICO, 'boards/pico.json');
  throw new BoardError(`boards/${name}.json`, [{ path: '$', problem: 'no such board file' }]);
};

describe('malformed VM configurations (fast-check)', () => {
  it(`${RUNS} mutations: accepted consistently or refused with a MonitorConfigError naming file and path`, () => {
    let refused = 0;
    fc.assert(fc.property(mutated(CONFIG), (d) => {
      let c;
      try {
        c = validateMonitorConfig(d, 'vms.json', loadBoard);
      } catch (e) {
        checkProblems(e, MonitorConfigError, 'vms.json');
        refused++;
        return;
      }
      // Accepted: 1-9 VMs with distinct names, RAM within the board's budget, no pin given twice.
      assert.ok(c.vms.length >= 1 && c.vms.length <= 9);
      assert.equal(new Set(c.vms.map((v) => v.name)).size, c.vms.length);
      let ram = 0;
      for (const v of c.vms) ram += v.ramSize;
      assert.ok(ram <= c.board.ramBudget, `${ram} within ${c.board.ramBudget}`);
    }), { numRuns: RUNS, seed: 9 });
    assert.ok(refused > RUNS / 2, `${refused} refused`);
  });

  it('random and truncated JSON text: a MonitorConfigError at $', () => {
    const text = JSON.stringify(CONFIG);
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 60 }), fc.nat({ max: text.length - 1 }).map((n) => text.slice(0, n))), (t) => {
      try {
        parseMonitorConfig(t, 'vms.json', loadBoard);
      } catch (e) {
        checkProblems(e, MonitorConfigError, 'vms.json');
      }
    }), { numRuns: RUNS, seed: 6 });
  });

  it('a board loader that throws anything is reported at $.board', () => {
    for (const thrown of [new Error('disk on fire'), new RangeError('x'), 'a string', 42, null]) {
      const e = assert.throws(() => validateMonitorConfig(CONFIG, 'vms.json', () => { throw thrown; }), MonitorConfigError);
      assert.equal((e as MonitorConfigError).path, '$.board');
    }
  });
});
