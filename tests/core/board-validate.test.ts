/** Board files: a valid board, and each refusal naming the file, the JSON path and the problem. */
import { describe, it, assert } from '../harness/index.js';
import { BoardError, parseBoard, parseJsonText, validateBoard, formatSize, parseSize, SizeError } from '../../src/board/index.js';

const FILE = 'boards/x.json';

function good(): Record<string, any> {
  return {
    name: 'x',
    platform: 'esp32',
    ramBudget: '256KiB',
    devices: ['clint', 'plic', 'uart0', 'gpio', 'test-finisher'],
    uart0: { uart: 1, tx: 17, rx: 16 },
    gpio: {
      lines: [
        { line: 0, name: 'led', pin: 2, direction: 'output' },
        { line: 1, name: 'button', pin: 0, direction: 'input', pull: 'up' },
      ],
    },
  };
}

/** Validates `doc` expecting a refusal; returns the problems as `path: problem` lines. */
function problems(doc: unknown): string[] {
  const e = assert.throws<BoardError>(() => validateBoard(doc, FILE), BoardError);
  assert.equal(e.file, FILE);
  for (const line of e.message.split('\n')) assert.match(line, /^boards\/x\.json: \$\S*: /, 'each line names file and path');
  return e.problems.map((p) => `${p.path}: ${p.problem}`);
}

function hasProblem(doc: unknown, path: string, pattern: RegExp): void {
  const list = problems(doc);
  const hit = list.find((p) => p.startsWith(`${path}: `) && pattern.test(p));
  assert.ok(hit !== undefined, `expected a problem at ${path} matching ${pattern}; got ${JSON.stringify(list)}`);
}

describe('board: a valid board', () => {
  it('validates and freezes', () => {
    const b = validateBoard(good(), FILE);
    assert.equal(b.name, 'x');
    assert.equal(b.platform, 'esp32');
    assert.equal(b.ramBudget, 256 * 1024);
    assert.ok(b.has('gpio'));
    assert.ok(!b.has('virtio-mmio'));
    assert.deepEqual(b.uart0, { kind: 'board', uart: 1, tx: 17, rx: 16, baud: 115200, messages: true });
    assert.equal(b.gpioLines.length, 2);
    assert.deepEqual(b.gpioLines[1], { line: 1, name: 'button', pin: 0, direction: 'input', pull: 'up' });
    assert.ok(Object.isFrozen(b) && Object.isFrozen(b.gpioLines) && Object.isFrozen(b.gpioLines[0]));
  });
  it('uart0.messages: the monitor\'s messages on the console line unless false; anything else refused', () => {
    const off = validateBoard({ ...good(), uart0: { uart: 1, tx: 17, rx: 16, messages: false } }, FILE);
    assert.equal(off.uart0.kind === 'board' && off.uart0.messages, false);
    hasProblem({ ...good(), uart0: { uart: 1, tx: 17, rx: 16, messages: 'yes' } }, '$.uart0.messages', /must be true or false/);
  });
  it("uart0.device: a simulator board's host serial device, required there and refused elsewhere", () => {
    const sim = validateBoard({ ...good(), platform: 'simulator', uart0: { uart: 0, tx: 40, rx: 41, device: '/dev/pts/3' } }, FILE);
    assert.equal(sim.uart0.kind === 'board' ? sim.uart0.device : null, '/dev/pts/3');
    hasProblem({ ...good(), platform: 'simulator', uart0: { uart: 0, tx: 40, rx: 41 } }, '$.uart0.device', /is missing/);
    hasProblem({ ...good(), uart0: { uart: 1, tx: 17, rx: 16, device: '/dev/ttyUSB0' } }, '$.uart0.device', /only for a simulator board/);
  });
  it('host serial ports: stdio, pty, tcp:PORT', () => {
    const host = (serial: string) => validateBoard({ ...good(), platform: 'host', uart0: { serial } }, FILE).uart0;
    assert.deepEqual(host('stdio'), { kind: 'host', serial: { kind: 'stdio' } });
    assert.deepEqual(host('pty'), { kind: 'host', serial: { kind: 'pty' } });
    assert.deepEqual(host('tcp:5555'), { kind: 'host', serial: { kind: 'tcp', port: 5555, wait: true } });
    assert.deepEqual(host('tcp:5555,nowait'), { kind: 'host', serial: { kind: 'tcp', port: 5555, wait: false } });
  });
  it('a board without gpio, with its UART going nowhere', () => {
    const b = validateBoard(
      { name: 'bare', platform: 'host', ramBudget: 65536, devices: ['clint', 'plic', 'uart0', 'test-finisher'], uart0: { serial: 'none' } },
      FILE,
    );
    assert.deepEqual(b.uart0, { kind: 'host', serial: { kind: 'none' } });
    assert.equal(b.gpioLines.length, 0);
    assert.ok(!b.has('gpio'));
  });
  it('the core devices of the virt machine must be listed', () => {
    hasProblem({ ...good(), devices: ['uart0', 'gpio'] }, '$.devices', /must list "clint", "plic", "test-finisher"/);
  });
  it('parseBoard reads JSON text', () => {
    assert.equal(parseBoard(JSON.stringify(good()), FILE).name, 'x');
  });
});

describe('board: refusals name file, JSON path and problem', () => {
  it('text that is not JSON', () => {
    const e = assert.throws<BoardError>(() => parseBoard('{ "name": ', FILE), BoardError);
    assert.equal(e.path, '$');
    assert.match(e.message, /^boards\/x\.json: \$: is not valid JSON: expected a value, found the end of the text at line 1, column 11$/);
  });
  it('JSON errors are placed by line and column (1-based, counted by hand), the same on every engine', () => {
    const cases: [string, number, number, RegExp][] = [
      ['{\n  "a": 1,\n  "b": 2,\n}', 4, 1, /trailing comma/],
      ['{\n  "a": 1\n  "b": 2\n}', 3, 3, /expected ',' or '}', found '"'/],
      ['{"a": tru}', 1, 10, /expected 'true', found '}'/],
      ['{"a": "x\ny"}', 1, 9, /control character/],
      ['{"a": [1, 2,]}', 1, 13, /trailing comma/],
      ['{"a": 01}', 1, 8, /expected ',' or '}', found '1'/],
      ['{"a": 1} x', 1, 10, /end of the text after the value/],
      ["{'a': 1}", 1, 2, /member name/],
      ['', 1, 1, /expected a value, found the end of the text/],
    ];
    for (const [text, line, column, problem] of cases) {
      const r = parseJsonText(text);
      assert.ok(!r.ok, text);
      if (r.ok) continue;
      assert.deepEqual([r.line, r.column], [line, column], `${JSON.stringify(text)}: ${r.problem}`);
      assert.match(r.problem, problem, text);
    }
    const fine = parseJsonText('{"a": [1, -2.5e3, "\\u00e9", true, null]}');
    assert.deepEqual(fine, { ok: true, value: { a: [1, -2500, '\u00e9', true, null] } });
  });
  it('a document that is not an object', () => {
    hasProblem([1, 2], '$', /must be an object/);
  });
  it('an unknown top-level key', () => {
    hasProblem({ ...good(), ramBudgt: 1 }, '$.ramBudgt', /unknown key/);
  });
  it('a missing name, platform, ramBudget and devices, all reported at once', () => {
    const list = problems({});
    for (const p of ['$.name', '$.platform', '$.ramBudget', '$.devices']) {
      assert.ok(list.some((l) => l.startsWith(`${p}: `)), `${p} reported in ${JSON.stringify(list)}`);
    }
  });
  it('an unknown platform', () => {
    hasProblem({ ...good(), platform: 'esp8266' }, '$.platform', /one of "host", "esp32", "rp2040"/);
  });
  it('a ramBudget that is not a size', () => {
    hasProblem({ ...good(), ramBudget: '12 parsecs' }, '$.ramBudget', /not a size/);
    hasProblem({ ...good(), ramBudget: true }, '$.ramBudget', /number of bytes or a size string/);
  });
  it('a ramBudget out of range or not page-sized', () => {
    hasProblem({ ...good(), ramBudget: 1024 }, '$.ramBudget', /between 64 KiB and 2 GiB/);
    hasProblem({ ...good(), ramBudget: '4GiB' }, '$.ramBudget', /between/);
    hasProblem({ ...good(), ramBudget: 65537 * 4 }, '$.ramBudget', /multiple of 4 KiB/);
  });
  it('an unknown or repeated device', () => {
    const core = ['clint', 'plic', 'uart0', 'test-finisher', 'gpio'];
    hasProblem({ ...good(), devices: [...core, 'vga'] }, '$.devices[5]', /must be one of/);
    hasProblem({ ...good(), devices: [...core, 'clint'] }, '$.devices[5]', /listed twice/);
  });
  it('uart0 listed without wiring, and wiring without the device', () => {
    const d = good();
    delete d.uart0;
    hasProblem(d, '$.uart0', /is missing/);
    hasProblem({ ...good(), devices: ['clint', 'plic', 'test-finisher', 'gpio'] }, '$.uart0', /does not list "uart0"/);
  });
  it('a host serial port that does not exist', () => {
    hasProblem({ ...good(), platform: 'host', uart0: { serial: 'tcp:70000' } }, '$.uart0.serial', /"stdio", "pty", "none", "tcp:PORT" or "tcp:PORT,nowait"/);
    hasProblem({ ...good(), platform: 'host', uart0: { serial: 'tcp:4444,wait' } }, '$.uart0.serial', /not "tcp:4444,wait"/);
    hasProblem({ ...good(), platform: 'host', uart0: { serial: 'com1' } }, '$.uart0.serial', /not "com1"/);
  });
  it('a board UART the platform lacks, and pins out of range', () => {
    hasProblem({ ...good(), uart0: { uart: 3, tx: 1, rx: 3 } }, '$.uart0.uart', /must be an integer 0-2/);
    hasProblem({ ...good(), uart0: { uart: 1, tx: 40, rx: 3 } }, '$.uart0.tx', /must be an integer 0-39/);
    hasProblem({ ...good(), platform: 'rp2040', uart0: { uart: 1, tx: 4, rx: 30 } }, '$.uart0.rx', /0-29/);
    hasProblem({ ...good(), uart0: { uart: 1, tx: 4, rx: 4 } }, '$.uart0.rx', /same pin/);
  });
  it('an unknown key inside uart0', () => {
    hasProblem({ ...good(), uart0: { uart: 1, tx: 17, rx: 16, parity: 'even' } }, '$.uart0.parity', /unknown key/);
  });
  it('a GPIO pin out of range, with the example message', () => {
    const d = good();
    d.gpio.lines.push({ line: 2, name: 'a', pin: 5, direction: 'input' }, { line: 3, name: 'b', pin: 40, direction: 'input' });
    const e = assert.throws<BoardError>(() => validateBoard(d, FILE), BoardError);
    assert.equal(e.path, '$.gpio.lines[3].pin');
    assert.match(e.message, /^boards\/x\.json: \$\.gpio\.lines\[3\]\.pin: must be an integer 0-39, not 40$/);
  });
  it('GPIO line fields missing or mistyped', () => {
    hasProblem({ ...good(), gpio: { lines: [{ name: 'led', pin: 2, direction: 'output' }] } }, '$.gpio.lines[0].line', /missing/);
    hasProblem({ ...good(), gpio: { lines: [{ line: 32, name: 'led', pin: 2, direction: 'output' }] } }, '$.gpio.lines[0].line', /0-31/);
    hasProblem({ ...good(), gpio: { lines: [{ line: 0, name: '', pin: 2, direction: 'output' }] } }, '$.gpio.lines[0].name', /must be a name/);
    hasProblem({ ...good(), gpio: { lines: [{ line: 0, name: 'led', pin: 2, direction: 'out' }] } }, '$.gpio.lines[0].direction', /"input", "output"/);
    hasProblem({ ...good(), gpio: { lines: [{ line: 0, name: 'led', pin: 2, direction: 'output', pull: 'up' }] } }, '$.gpio.lines[0].pull', /inputs only/);
    hasProblem({ ...good(), gpio: { lines: [{ line: 0, name: 'led', pin: 2, direction: 'output', colour: 'red' }] } }, '$.gpio.lines[0].colour', /unknown key/);
    hasProblem({ ...good(), gpio: { lines: 'led' } }, '$.gpio.lines', /must be an array/);
    hasProblem({ ...good(), gpio: { lines: [7] } }, '$.gpio.lines[0]', /must be an object/);
  });
  it('duplicate GPIO lines, names and pins name the first use', () => {
    const dup = { line: 0, name: 'led', pin: 2, direction: 'output' };
    hasProblem({ ...good(), gpio: { lines: [dup, { ...dup, name: 'x', pin: 3 }] } }, '$.gpio.lines[1].line', /already used by \$\.gpio\.lines\[0\]/);
    hasProblem({ ...good(), gpio: { lines: [dup, { ...dup, line: 1, pin: 3 }] } }, '$.gpio.lines[1].name', /"led" is already used/);
    hasProblem({ ...good(), gpio: { lines: [dup, { ...dup, line: 1, name: 'y' }] } }, '$.gpio.lines[1].pin', /pin 2 is already used/);
  });
  it('a GPIO pin the UART already holds', () => {
    hasProblem({ ...good(), gpio: { lines: [{ line: 0, name: 'led', pin: 17, direction: 'output' }] } }, '$.gpio.lines[0].pin', /already used by \$\.uart0\.tx/);
  });
});

describe('sizes', () => {
  it('parse bytes, hex and binary units', () => {
    assert.equal(parseSize('4096'), 4096);
    assert.equal(parseSize('0x8000000'), 128 * 2 ** 20);
    assert.equal(parseSize('64M'), 64 * 2 ** 20);
    assert.equal(parseSize('128MiB'), 128 * 2 ** 20);
    assert.equal(parseSize('128mib'), 128 * 2 ** 20);
    assert.equal(parseSize('512K'), 512 * 1024);
    assert.equal(parseSize('1G'), 2 ** 30);
    assert.equal(parseSize('2GiB'), 2 ** 31);
  });
  it('refuse what is not a size', () => {
    for (const t of ['', '-1', '1.5G', '12 parsecs', 'M', '0x', '99999999999999999999']) {
      assert.throws(() => parseSize(t), SizeError, undefined, `'${t}'`);
    }
  });
  it('format', () => {
    assert.equal(formatSize(128 * 2 ** 20), '128 MiB');
    assert.equal(formatSize(1000), '1000 bytes');
  });
});
