/**
 * The HIL harness's parts, without a serial port: scenario validation
 * (every refusal names the file, the JSON path and the problem), the
 * bounded console capture, the runner's step semantics against a scripted
 * stand-in board (matching consumes output, resets drop it and drive the
 * modem lines as documented, a failure skips the rest, an OS error on the
 * lines is a failed step), the TAP and JUnit reports (checked by a small
 * XML well-formedness parser written here, and guest output that could
 * break either format), the `hil` arguments, and the Ctrl-A escape filter
 * the monitor reset relies on.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConsoleCapture, HilUsageError, ScenarioError, formatJunit, formatTap, loadScenarioFile, osWords, parseHilArgs,
  parseScenario, runHilCommand, runScenario, type HilPort, type HilResult, type ModemLines, type OpenSerialPortOptions,
} from '../../host/hil/index.js';
import { EscapeFilter } from '../../host/serial/index.js';
import { parseArgs, UsageError } from '../../host/cli/args.js';
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseBoard } from '../../src/board/index.js';
import { VirtVm, runVm } from '../../src/monitor/index.js';
import { createNodeClock } from '../../host/node/clock.js';
import { createNodeScheduler } from '../../host/node/scheduler.js';
import { TcpSerial } from '../../host/serial/index.js';
import { waitFor } from './serial-helpers.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Parses `json` as a scenario and returns the ScenarioError it must raise. */
function refusal(json: string): ScenarioError {
  try {
    parseScenario(json, 'x.json');
  } catch (e) {
    assert.ok(e instanceof ScenarioError, `a ScenarioError, got ${String(e)}`);
    assert.equal(e.file, 'x.json');
    assert.equal(e.message.split('\n')[0], `x.json: ${e.path}: ${e.problem}`);
    assert.equal(e.message, e.problems.map((p) => `x.json: ${p.path}: ${p.problem}`).join('\n'));
    return e;
  }
  assert.fail(`accepted: ${json}`);
}

const ok = (steps: string): string => `{"name": "s", "steps": [${steps}]}`;

describe('scenario validation', () => {
  it('reads a valid scenario with its defaults', () => {
    const s = parseScenario(ok('{"send": "help\\r", "delay": 0.5}, {"expect": "demo> ", "flags": "i"}, {"expect": "x", "timeout": 2}, {"reset": "dtr"}, {"reset": "monitor", "name": "r"}, {"log": "boot"}'), 'f.json');
    assert.equal(s.name, 's');
    assert.equal(s.timeout, 10);
    assert.equal(s.steps.length, 6);
    assert.deepEqual(s.steps[0], { kind: 'send', name: null, text: 'help\r', delay: 0.5 });
    const e = s.steps[1];
    assert.ok(e.kind === 'expect');
    assert.equal(e.timeout, 10);
    assert.ok(e.pattern.test('DEMO> '));
    assert.equal(s.steps[2].kind === 'expect' && s.steps[2].timeout, 2);
    assert.deepEqual(s.steps[3], { kind: 'reset', name: null, method: 'dtr', pulse: 0.1 });
    assert.deepEqual(s.steps[4], { kind: 'reset', name: 'r', method: 'monitor', pulse: 0.1 });
    assert.deepEqual(s.steps[5], { kind: 'log', name: null, label: 'boot' });
    // The scenario's own timeout is the default of its expects.
    const t = parseScenario('{"name": "s", "timeout": 3, "steps": [{"expect": "a"}]}', 'f.json');
    assert.equal(t.steps[0].kind === 'expect' && t.steps[0].timeout, 3);
  });

  it('refuses bad scenarios, naming the JSON path and the problem', () => {
    const cases: [string, string, RegExp][] = [
      ['{"name": "s", "steps": [}', '$', /not valid JSON: expected a value, found '}' at line 1, column 25/],
      ['{"name": "s",\n  "steps": [{"send": "a",}]}', '$', /not valid JSON: .*trailing comma.* at line 2, column 26/],
      ['', '$', /not valid JSON/],
      ['[]', '$', /must be an object/],
      ['{"steps": [{"send": "a"}]}', '$', /has no "name"/],
      ['{"name": "", "steps": [{"send": "a"}]}', '$.name', /must not be empty/],
      ['{"name": 3, "steps": [{"send": "a"}]}', '$.name', /must be a string, not the number 3/],
      ['{"name": "s", "stpes": []}', '$.stpes', /unknown key \(known: name, timeout, steps\)/],
      ['{"name": "s"}', '$', /has no "steps"/],
      ['{"name": "s", "steps": {}}', '$.steps', /must be an array/],
      ['{"name": "s", "steps": []}', '$.steps', /is empty/],
      ['{"name": "s", "timeout": 0, "steps": [{"send": "a"}]}', '$.timeout', /0 is not a number of seconds in \(0, 3600\]/],
      ['{"name": "s", "timeout": "5", "steps": [{"send": "a"}]}', '$.timeout', /not the string "5"/],
      [ok('{"send": "a"}, "log"'), '$.steps[1]', /must be an object/],
      [ok('{"send": "a"}, {}'), '$.steps[1]', /has no action/],
      [ok('{"sned": "a"}'), '$.steps[0]', /has no action.*found "sned"/],
      [ok('{"send": "a", "expect": "b"}'), '$.steps[0]', /has both "send" and "expect"/],
      [ok('{"send": "a", "timeout": 3}'), '$.steps[0].timeout', /unknown key for a "send" step/],
      [ok('{"send": 65}'), '$.steps[0].send', /must be a string/],
      [ok('{"send": ""}'), '$.steps[0].send', /is empty/],
      [ok('{"send": "a", "delay": -1}'), '$.steps[0].delay', /not a number of seconds in \[0, 3600\]/],
      [ok('{"send": "a"}, {"expect": "("}'), '$.steps[1].expect', /not a valid regular expression/],
      [ok('{"expect": "a*"}'), '$.steps[0].expect', /matches the empty string/],
      [ok('{"expect": ""}'), '$.steps[0].expect', /is empty/],
      [ok('{"expect": "a", "flags": "g"}'), '$.steps[0].flags', /'g' is not allowed/],
      [ok('{"expect": "a", "flags": "ii"}'), '$.steps[0].flags', /repeats a flag/],
      [ok('{"expect": "a", "timeout": 7200}'), '$.steps[0].timeout', /7200 is not a number of seconds/],
      [ok('{"expect": "a", "timeout": null}'), '$.steps[0].timeout', /not null/],
      [ok('{"reset": "power"}'), '$.steps[0].reset', /must be "dtr", "rts" or "monitor", not the string "power"/],
      [ok('{"reset": "monitor", "pulse": 0.2}'), '$.steps[0].pulse', /is for "dtr" and "rts"/],
      [ok('{"reset": "rts", "pulse": 0}'), '$.steps[0].pulse', /not a number of seconds/],
      [ok('{"log": ""}'), '$.steps[0].log', /must not be empty/],
      [ok('{"log": "a", "name": 1}'), '$.steps[0].name', /must be a string/],
      [ok('{"log": "a", "odd key": 1}'), '$.steps[0]["odd key"]', /unknown key/],
    ];
    for (const [json, path, problem] of cases) {
      const e = refusal(json);
      assert.equal(e.path, path, json);
      assert.match(e.problem, problem, json);
    }
  });

  it('reports every problem at once, in file order, as --config does', () => {
    const e = refusal('{"name": "", "stpes": 1, "steps": [{"send": ""}, {"log": "fine"}, {"expect": "a", "flags": "g", "timeout": 0}, {"reset": "power"}]}');
    assert.deepEqual(e.problems.map((p) => p.path), ['$.stpes', '$.name', '$.steps[0].send', '$.steps[2].flags', '$.steps[3].reset']);
  });

  it('names an unreadable file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xsvisor-hil-'));
    try {
      assert.throws(() => loadScenarioFile(join(dir, 'none.json')), (e: unknown) => e instanceof ScenarioError && e.path === '$' && /no such file/.test(e.problem) && e.file.endsWith('none.json'));
      assert.throws(() => loadScenarioFile(dir), (e: unknown) => e instanceof ScenarioError && /is a directory/.test(e.problem));
      const f = join(dir, 'ok.json');
      writeFileSync(f, ok('{"log": "x"}'));
      assert.equal(loadScenarioFile(f).file, f);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ConsoleCapture', () => {
  it('keeps the newest output within its bound, for expect and for log', () => {
    const c = new ConsoleCapture({ capacity: 16 });
    c.push(enc.encode('0123456789'));
    c.push(enc.encode('abcdefghijklmnopqrstuvwxyz'));
    assert.equal(c.unmatched, 'klmnopqrstuvwxyz');
    const t = c.takeTranscript();
    assert.equal(t.text, 'klmnopqrstuvwxyz');
    assert.equal(t.dropped, 20);
    assert.deepEqual(c.takeTranscript(), { text: '', dropped: 0 });
    assert.throws(() => new ConsoleCapture({ capacity: 0 }), RangeError);
  });

  it('decodes UTF-8 split across chunks', () => {
    const c = new ConsoleCapture();
    const bytes = enc.encode('é→😀');
    for (const b of bytes) c.push(Uint8Array.of(b));
    assert.equal(c.unmatched, 'é→😀');
    c.push(Uint8Array.of(0xff, 0x41));
    assert.equal(c.unmatched, 'é→😀\ufffdA');
  });
});

/** A stand-in board: replies to what is sent, records the modem lines, fails them on request. */
class FakeBoard implements HilPort {
  readonly path = '/dev/fake0';
  readonly written: number[] = [];
  readonly lines: ModemLines[] = [];
  linesError: string | null = null;
  closed = false;

  constructor(private readonly capture: ConsoleCapture, private readonly reply: (text: string) => string | null) {}

  write(bytes: Uint8Array): Promise<void> {
    this.written.push(...bytes);
    const r = this.reply(dec.decode(bytes));
    // At once: output that arrives before a step starts waiting must still be seen.
    if (r !== null) this.capture.push(enc.encode(r));
    return Promise.resolve();
  }

  setLines(lines: ModemLines): Promise<void> {
    if (this.linesError !== null) return Promise.reject(new Error(this.linesError));
    this.lines.push(lines);
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

/** A little console: echoes lines, answers `ver`, boots with a banner on Ctrl-A r. */
function consoleReply(text: string): string | null {
  if (text === '\x01r') return 'BOOT v1\r\n> ';
  if (text === 'ver\r') return 'ver\r\nv1.2\r\n> ';
  return text.replace(/\r/g, '\r\n');
}

async function run(steps: string, setup?: (board: FakeBoard, capture: ConsoleCapture) => void, signal?: AbortSignal): Promise<{ result: HilResult; board: FakeBoard }> {
  const scenario = parseScenario(`{"name": "fake", "timeout": 2, "steps": [${steps}]}`, 'fake.json');
  const capture = new ConsoleCapture();
  const board = new FakeBoard(capture, consoleReply);
  setup?.(board, capture);
  const result = await runScenario({ scenario, port: board, capture, signal });
  return { result, board };
}

describe('runScenario', () => {
  it('runs send, expect, reset and log in order, each a timed step', async () => {
    const { result, board } = await run(
      '{"send": "ver\\r"}, {"expect": "v(\\\\d)\\\\.(\\\\d)"}, {"log": "version"}, {"reset": "monitor"}, {"expect": "^BOOT"}, {"log": "boot"}',
    );
    assert.deepEqual(result.steps.map((r) => r.status), ['passed', 'passed', 'passed', 'passed', 'passed', 'passed']);
    assert.equal(result.passed, 6);
    assert.equal(result.failed, 0);
    for (const r of result.steps) assert.ok(r.seconds >= 0 && Number.isFinite(r.seconds));
    assert.equal(result.steps[2].output, 'ver\r\nv1.2\r\n> ');
    // The log after the reset holds only what came since the previous log.
    assert.equal(result.steps[5].output, 'BOOT v1\r\n> ');
    // The monitor reset is Ctrl-A r on the wire.
    assert.deepEqual(board.written, [...enc.encode('ver\r'), 0x01, 0x72]);
    assert.deepEqual(result.steps.map((r) => r.description), ['send "ver\\r"', 'expect /v(\\d)\\.(\\d)/', 'log version', 'reset monitor', 'expect /^BOOT/', 'log boot']);
  });

  it('matches only output since the previous match: one prompt satisfies one expect', async () => {
    const { result } = await run('{"send": "ver\\r"}, {"expect": "> "}, {"expect": "> ", "timeout": 0.2}');
    assert.deepEqual(result.steps.map((r) => r.status), ['passed', 'passed', 'failed']);
    assert.match(result.steps[2].failure ?? '', /no match for \/> \/ within 0.2 s \(0 characters received since the last match\)/);
    assert.equal(result.steps[2].received, '');
  });

  it('drops unmatched output at a reset', async () => {
    // 'v1.2' arrived before the reset; after it only the banner counts.
    const { result } = await run('{"send": "ver\\r"}, {"expect": "ver"}, {"reset": "monitor"}, {"expect": "v1\\\\.2", "timeout": 0.2}');
    assert.deepEqual(result.steps.map((r) => r.status), ['passed', 'passed', 'passed', 'failed']);
    assert.equal(result.steps[3].received, 'BOOT v1\r\n> ');
  });

  it('pulses DTR or RTS low then high with the other line held, and reports an OS error as a failed step', async () => {
    const { result, board } = await run('{"reset": "dtr", "pulse": 0.01}, {"reset": "rts", "pulse": 0.01}');
    assert.equal(result.failed, 0);
    assert.deepEqual(board.lines, [{ dtr: false, rts: true }, { dtr: true, rts: true }, { dtr: true, rts: false }, { dtr: true, rts: true }]);

    const failing = await run('{"send": "a"}, {"reset": "dtr", "name": "dtr reset"}, {"send": "b"}, {"log": "end"}', (b) => {
      b.linesError = 'Inappropriate ioctl for device';
    });
    assert.deepEqual(failing.result.steps.map((r) => r.status), ['passed', 'failed', 'skipped', 'skipped']);
    assert.equal(failing.result.steps[1].failure, 'cannot set DTR on /dev/fake0: Inappropriate ioctl for device');
    assert.equal(failing.result.failed, 1);
    assert.equal(failing.result.skipped, 2);
    // Nothing was sent after the failure.
    assert.deepEqual(failing.board.written, [0x61]);
  });

  it('fails the waiting step at once when the port goes away', async () => {
    const { result } = await run('{"expect": "never", "timeout": 30}, {"send": "x"}', (_b, c) => {
      // The port goes away once the step waits: when it starts listening for output.
      const listen = c.onChange.bind(c);
      c.onChange = (listener) => {
        listen(listener);
        if (listener !== null) queueMicrotask(() => c.lose('Input/output error'));
      };
    });
    assert.equal(result.steps[0].status, 'failed');
    assert.match(result.steps[0].failure ?? '', /the port is gone \(Input\/output error\)/);
    assert.ok(result.steps[0].seconds < 30);
    assert.equal(result.steps[1].status, 'skipped');
  });

  it('an abort (a signal) fails the running step and skips the rest', async () => {
    const ac = new AbortController();
    // The signal comes once the step waits out its 30 s delay before sending: when it starts listening for an abort.
    const listen = ac.signal.addEventListener.bind(ac.signal);
    ac.signal.addEventListener = ((...args: Parameters<typeof listen>): void => {
      listen(...args);
      const [type] = args;
      if (type === 'abort') queueMicrotask(() => ac.abort('SIGINT'));
    }) as typeof ac.signal.addEventListener;
    const { result } = await run('{"send": "ver\\r", "delay": 30}, {"expect": "v1"}', undefined, ac.signal);
    assert.deepEqual(result.steps.map((r) => r.status), ['failed', 'skipped']);
    assert.match(result.steps[0].failure ?? '', /interrupted \(SIGINT\)/);
  });
});

/** A minimal XML 1.0 well-formedness check: returns the elements as [name, attributes, children, text]. */
interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}
function parseXml(xml: string): XmlElement {
  // Characters XML 1.0 forbids anywhere.
  // eslint-disable-next-line no-control-regex
  assert.doesNotMatch(xml, /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/, 'no characters outside XML 1.0 Char');
  let i = 0;
  const decl = /^<\?xml version="1\.0" encoding="UTF-8"\?>\n/.exec(xml);
  assert.ok(decl !== null, 'the XML declaration');
  i = decl[0].length;
  const unescape = (s: string): string => {
    assert.doesNotMatch(s, /&(?!(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)/, `a bare & in ${JSON.stringify(s)}`);
    assert.ok(!s.includes('<'), `a bare < in ${JSON.stringify(s)}`);
    return s.replace(/&#([0-9]+);/g, (_, n: string) => String.fromCharCode(Number(n))).replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
  };
  const element = (): XmlElement => {
    const open = /^<([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"]*")*)\s*(\/?)>/.exec(xml.slice(i));
    assert.ok(open !== null, `a start tag at ${i}: ${JSON.stringify(xml.slice(i, i + 40))}`);
    i += open[0].length;
    const attrs: Record<string, string> = {};
    for (const m of open[2].matchAll(/([A-Za-z_][\w.-]*)="([^"]*)"/g)) {
      assert.ok(!(m[1] in attrs), `attribute ${m[1]} twice`);
      attrs[m[1]] = unescape(m[2]);
    }
    const el: XmlElement = { name: open[1], attrs, children: [], text: '' };
    if (open[3] === '/') return el;
    for (;;) {
      const lt = xml.indexOf('<', i);
      assert.ok(lt >= 0, `</${el.name}> missing`);
      el.text += unescape(xml.slice(i, lt));
      i = lt;
      if (xml.startsWith('</', i)) {
        const close = /^<\/([A-Za-z_][\w.-]*)\s*>/.exec(xml.slice(i));
        assert.ok(close !== null && close[1] === el.name, `</${el.name}> expected at ${i}`);
        i += close[0].length;
        return el;
      }
      el.children.push(element());
    }
  };
  const root = element();
  assert.match(xml.slice(i), /^\s*$/, 'nothing after the root element');
  return root;
}

describe('reports', () => {
  const nasty = 'ok 99 - fake\r\n\x1b[31mred\x1b[0m <b>&amp;</b> "q" \x00\x07 # not a directive\n';

  async function mixed(): Promise<HilResult> {
    const scenario = parseScenario(ok('{"send": "x"}, {"log": "noise # here"}, {"expect": "zzz", "timeout": 0.05, "name": "a \\"#\\" <name>"}, {"log": "never"}'), 'mixed.json');
    const capture = new ConsoleCapture();
    const board = new FakeBoard(capture, () => nasty);
    return runScenario({ scenario, port: board, capture });
  }

  it('TAP: a plan, one test point per step, failures with a YAML block, skips, output as # lines', async () => {
    const result = await mixed();
    const tap = formatTap(result);
    const lines = tap.split('\n');
    assert.equal(lines[0], 'TAP version 14');
    assert.ok(lines.includes('1..4'));
    const points = lines.filter((l) => /^(not )?ok [0-9]+ /.test(l));
    assert.equal(points.length, 4, 'the guest\'s own "ok 99" line is not a test point');
    assert.equal(points[0], 'ok 1 - send "x"');
    assert.equal(points[1], 'ok 2 - log noise \\# here');
    assert.equal(points[2], 'not ok 3 - a "\\#" <name>');
    assert.equal(points[3], 'ok 4 - log never # SKIP an earlier step failed');
    // Every other line is a YAML block line, a diagnostic, or the plan.
    for (const l of lines) {
      if (l === '' || points.includes(l) || l === '1..4' || l === 'TAP version 14') continue;
      assert.match(l, /^(# |  ---$|  \.\.\.$|  [a-z_]+: )/, l);
      assert.doesNotMatch(l, /[\x00-\x08\x1b]/, 'no raw control characters');
    }
    assert.ok(lines.includes('#   ok 99 - fake'));
    assert.ok(lines.includes('#   \\x1b[31mred\\x1b[0m <b>&amp;</b> "q" \\x00\\x07 # not a directive'));
    const yaml = lines.filter((l) => /^  message: /.test(l));
    assert.equal(yaml.length, 1);
    assert.match(JSON.parse(yaml[0].slice('  message: '.length)) as string, /no match for \/zzz\//);
    assert.match(lines[lines.length - 2], /^# passed 2, failed 1, skipped 1, [0-9.]+ s$/);
  });

  it('JUnit: well-formed XML with one testcase per step, counts, failure, skipped and system-out', async () => {
    const result = await mixed();
    const root = parseXml(formatJunit(result));
    assert.equal(root.name, 'testsuites');
    assert.equal(root.attrs.tests, '4');
    assert.equal(root.attrs.failures, '1');
    assert.equal(root.attrs.skipped, '1');
    const suite = root.children[0];
    assert.equal(suite.name, 'testsuite');
    assert.equal(suite.attrs.name, 's');
    const cases = suite.children.filter((c) => c.name === 'testcase');
    assert.equal(cases.length, 4);
    assert.deepEqual(cases.map((c) => c.attrs.name), ['1 send "x"', '2 log noise # here', '3 a "#" <name>', '4 log never']);
    for (const c of cases) assert.match(c.attrs.time, /^[0-9]+\.[0-9]{3}$/);
    const out = cases[1].children.find((c) => c.name === 'system-out');
    assert.ok(out !== undefined);
    assert.equal(out.text, nasty.replace('\x1b', '\\x1b').replace('\x1b', '\\x1b').replace('\x00', '\\x00').replace('\x07', '\\x07'));
    const failure = cases[2].children.find((c) => c.name === 'failure');
    assert.ok(failure !== undefined);
    assert.match(failure.attrs.message, /no match for \/zzz\//);
    assert.ok(failure.text.includes('<b>&amp;</b>'));
    assert.equal(cases[3].children[0].name, 'skipped');
    assert.equal(cases[0].children.length, 0);
  });
});

describe('hil arguments and command', () => {
  it('parses the options and refuses bad ones', () => {
    assert.deepEqual(parseHilArgs(['--port', '/dev/ttyUSB0', 's.json']), { kind: 'run', options: { port: '/dev/ttyUSB0', baud: 115200, format: 'tap', output: null, scenario: 's.json' } });
    assert.deepEqual(parseHilArgs(['--port=/dev/x', '--baud=9600', '--format', 'junit', '--output', 'o.xml', 's.json']), { kind: 'run', options: { port: '/dev/x', baud: 9600, format: 'junit', output: 'o.xml', scenario: 's.json' } });
    assert.deepEqual(parseHilArgs(['s.json', '--help']), { kind: 'help' });
    const bad: [string[], RegExp][] = [
      [['s.json'], /no --port/],
      [['--port', '/dev/x'], /no SCENARIO/],
      [['--port', '/dev/x', 'a.json', 'b.json'], /one SCENARIO.json expected, got 2/],
      [['--port', '/dev/x', '--baud', 'fast', 's.json'], /--baud: 'fast' is not a line speed/],
      [['--port', '/dev/x', '--baud', '0', 's.json'], /--baud/],
      [['--port', '/dev/x', '--format', 'xml', 's.json'], /--format: 'xml' is not tap or junit/],
      [['--port', '/dev/x', '--port', '/dev/y', 's.json'], /given twice/],
      [['--port', '/dev/x', '--verbose', 's.json'], /unknown option '--verbose'/],
      [['--port'], /needs a value/],
    ];
    for (const [argv, re] of bad) assert.throws(() => parseHilArgs(argv), (e: unknown) => e instanceof HilUsageError && re.test(e.message), argv.join(' '));
  });

  it('exits 65 for a bad scenario before opening the port, 69 when the port will not open, 1 and 0 by the steps', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xsvisor-hil-'));
    try {
      const io = (): { out: string[]; errs: string[]; stdout: { write(t: string): boolean }; stderr: { write(t: string): boolean } } => {
        const out: string[] = [];
        const errs: string[] = [];
        return { out, errs, stdout: { write: (t) => out.push(t) > 0 }, stderr: { write: (t) => errs.push(t) > 0 } };
      };
      let opened = 0;
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, ok('{"reset": "power"}, {"send": ""}'));
      const a = io();
      const status = await runHilCommand({ argv: ['--port', '/dev/x', bad], stdout: a.stdout, stderr: a.stderr, openPort: () => { opened++; return Promise.reject(new Error('not reached')); } });
      assert.equal(status, 65);
      assert.equal(opened, 0);
      // Both problems at once, each line with the tag.
      assert.equal(a.errs.join(''), `xsvisor hil: ${bad}: $.steps[0].reset: must be "dtr", "rts" or "monitor", not the string "power"\n` +
        `xsvisor hil: ${bad}: $.steps[1].send: is empty: there is nothing to send\n`);

      const good = join(dir, 'good.json');
      writeFileSync(good, ok('{"send": "ver\\r"}, {"expect": "v1"}'));
      const { HilPortError } = await import('../../host/hil/index.js');
      const b = io();
      assert.equal(await runHilCommand({ argv: ['--port', '/dev/gone', good], stdout: b.stdout, stderr: b.stderr, openPort: (o) => Promise.reject(new HilPortError({ path: o.path, osError: 'No such file or directory' })) }), 69);
      assert.equal(b.errs.join(''), 'xsvisor hil: cannot open serial port /dev/gone: No such file or directory\n');

      const fake = (o: OpenSerialPortOptions): Promise<HilPort> => {
        const c = new ConsoleCapture();
        c.push = (chunk: Uint8Array): void => o.onData(chunk);
        return Promise.resolve(new FakeBoard(c, consoleReply));
      };
      const c = io();
      assert.equal(await runHilCommand({ argv: ['--port', '/dev/fake0', good], stdout: c.stdout, stderr: c.stderr, openPort: fake }), 0);
      assert.match(c.out.join(''), /^TAP version 14\n/);

      const failing = join(dir, 'failing.json');
      writeFileSync(failing, ok('{"send": "ver\\r"}, {"expect": "v9", "timeout": 0.1}'));
      const report = join(dir, 'out.xml');
      const d = io();
      assert.equal(await runHilCommand({ argv: ['--port', '/dev/fake0', '--format', 'junit', '--output', report, failing], stdout: d.stdout, stderr: d.stderr, openPort: fake }), 1);
      assert.equal(d.out.join(''), '');
      assert.match(d.errs.join(''), /s: passed 1, failed 1, skipped 0 \(report in .*out\.xml\)/);

      const e = io();
      assert.equal(await runHilCommand({ argv: ['--port', '/dev/fake0', '--output', join(dir, 'no', 'such', 'dir.xml'), good], stdout: e.stdout, stderr: e.stderr, openPort: fake }), 73);
      const f = io();
      assert.equal(await runHilCommand({ argv: ['--port', '/dev/fake0'], stdout: f.stdout, stderr: f.stderr }), 64);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps the OS words of a serialport error', () => {
    assert.equal(osWords(new Error('Error: No such file or directory, cannot open /dev/ttyUSB9'), '/dev/ttyUSB9'), 'No such file or directory');
    assert.equal(osWords(new Error('Inappropriate ioctl for device, cannot set'), '/dev/pts/3'), 'Inappropriate ioctl for device');
    assert.equal(osWords(new Error('Resource temporarily unavailable Cannot lock port'), '/dev/x'), 'Resource temporarily unavailable Cannot lock port');
  });
});

describe('EscapeFilter (the monitor reset on --serial mon:pty)', () => {
  it('takes Ctrl-A KEY out of the stream, passes Ctrl-A Ctrl-A as one Ctrl-A, and keeps its state across chunks', () => {
    const keys: number[] = [];
    const f = new EscapeFilter({ onEscape: (k) => keys.push(k) });
    const plain = enc.encode('hello');
    assert.equal(f.filter(plain), plain, 'a chunk without Ctrl-A is passed as is');
    assert.deepEqual([...f.filter(Uint8Array.of(0x61, 0x01, 0x72, 0x62))], [0x61, 0x62]);
    assert.deepEqual(keys, [0x72]);
    assert.deepEqual([...f.filter(Uint8Array.of(0x63, 0x01))], [0x63]);
    assert.deepEqual([...f.filter(Uint8Array.of(0x01))], [0x01], 'Ctrl-A Ctrl-A split across chunks');
    assert.deepEqual([...f.filter(Uint8Array.of(0x01))], []);
    assert.deepEqual([...f.filter(Uint8Array.of(0x78, 0x64))], [0x64]);
    assert.deepEqual(keys, [0x72, 0x78]);
  });
});

describe('xsvisor run --serial mon:... (the escapes the monitor reset needs)', () => {
  it('turns the escapes on for pty and tcp only, and hands hil its own arguments', () => {
    const on = parseArgs(['run', '--serial', 'mon:pty', 'g.elf']);
    assert.ok(on.kind === 'run' && on.options.serialEscapes && on.options.serial?.kind === 'pty');
    const tcp = parseArgs(['run', '--serial=mon:tcp:4444', 'g.elf']);
    assert.ok(tcp.kind === 'run' && tcp.options.serialEscapes && tcp.options.serial?.kind === 'tcp');
    const xs = parseArgs(['run', '--serial', 'mon:pty', '--engine', 'xs', 'g.elf']);
    assert.ok(xs.kind === 'run' && xs.options.serialEscapes && xs.options.engine === 'xs', 'the escapes under XS too');
    const off = parseArgs(['run', '--serial', 'pty', 'g.elf']);
    assert.ok(off.kind === 'run' && !off.options.serialEscapes, 'plain pty stays raw');
    for (const argv of [['run', '--serial', 'mon:stdio', 'g.elf'], ['run', '--serial', 'mon:none', 'g.elf'], ['run', '--serial', 'mon:', 'g.elf'],
      ['run', '--serial', 'mon:pty', '--deterministic', 'g.elf']]) {
      assert.throws(() => parseArgs(argv), UsageError, argv.join(' '));
    }
    assert.deepEqual(parseArgs(['hil', '--port', '/dev/x', 's.json']), { kind: 'hil', argv: ['--port', '/dev/x', 's.json'] });
  });
});

describe('the monitor reset over a TCP UART0 with escapes', () => {
  it('Ctrl-A r restarts a guest sleeping on WFI at once, and the fresh boot speaks again', async () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const board = parseBoard(readFileSync(join(root, 'boards/host-sim.json'), 'utf8'), 'boards/host-sim.json');
    let vm: VirtVm | null = null;
    const keys: number[] = [];
    const tcp = new TcpSerial({ port: 0, onEscape: (k) => {
      keys.push(k);
      if (k === 0x72) vm?.restart();
    } });
    await tcp.start();
    vm = new VirtVm({ image: new Uint8Array(readFileSync(join(root, 'guests/bin/demo.elf'))), imageName: 'demo.elf', ramSize: 1 << 20, board, clock: createNodeClock(), serial: tcp.factory });
    // An idle recheck far beyond the wait below: only the restart's wake-up can make the hart run again.
    const running = runVm({ vm, scheduler: createNodeScheduler(), idleRecheck: 600e6 });
    const sock = connect(tcp.port, '127.0.0.1');
    let got = '';
    sock.setEncoding('latin1').on('data', (t: string) => (got += t));
    try {
      await new Promise<void>((r) => sock.once('connect', () => r()));
      sock.write('help\r');
      await waitFor(() => got.includes('commands:') && got.endsWith('demo> '), 'the answer to help', 20_000);
      await waitFor(() => vm!.isIdle, 'the guest to sleep on WFI', 20_000);
      got = '';
      sock.write(Uint8Array.of(0x01, 0x72));
      await waitFor(() => got.includes('xsvisor demo: UART0 input'), 'the banner after Ctrl-A r', 20_000);
      assert.equal(vm.resets, 1);
      assert.deepEqual(keys, [0x72]);
      // Ctrl-A Ctrl-A reaches the guest as one Ctrl-A (the demo ignores it); nothing restarts.
      sock.write(Uint8Array.of(0x01, 0x01));
      sock.write('led on\r');
      await waitFor(() => /led on\r?\n[^]*led on\r?\n/.test(got), 'the echo of led on and its answer', 20_000);
      assert.equal(vm.resets, 1);
    } finally {
      sock.destroy();
      vm.stop('test over');
      await running;
      vm.close();
      await tcp.close();
    }
  });
});
