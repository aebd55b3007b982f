// run-qemu-suite.ts: differential testing against QEMU. Runs every guest
// in guests/bin and a set of seeded random programs under QEMU and under a
// caller-supplied xsvisor runner, and reports where UART output or exit
// status differ. Run directly, it checks the QEMU half on its own, or,
// with --xsvisor, compares against `node bin/xsvisor.js run IMAGE`:
//
//   node --loader ts-node/esm --no-warnings tests/qemu/run-qemu-suite.ts [--xsvisor]
//        [--cli PATH] [--random N] [--seed S] [--length L] [--no-slow] [--keep]
//
// --cli names another xsvisor entry script (implies --xsvisor).

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { listGuests, REPO_ROOT, type Guest } from './guests.js';
import { runQemu, stripTerminalNoise, type Machine, type QemuResult } from './qemu.js';
import { generateProgram, parseRandomOutput } from './randprog.js';

export interface XsvisorResult {
  stdout: string;
  status: number;
}

export type XsvisorRunner = (imagePath: string, opts: { machine: Machine }) => Promise<XsvisorResult>;

export interface DifferentialOptions {
  /** random programs to generate (default 20) */
  randomCount?: number;
  /** first seed; program i uses seed + i (default 1) */
  seed?: number;
  /** body length of each random program (default 400) */
  randomLength?: number;
  /** include the benchmark guest (default true) */
  includeSlow?: boolean;
  /** the guests to run (default: every guests/bin/*.elf) */
  guests?: Guest[];
  /** QEMU time limit per run (default 20 s) */
  qemuTimeoutMs?: number;
  /** where random images are written (default: a fresh temporary folder, removed afterwards) */
  workDir?: string;
  /** called after each case, for progress output */
  onCase?: (c: CaseOutcome) => void;
}

export interface CaseOutcome {
  name: string;
  imagePath: string;
  machine: Machine;
  qemu: QemuResult;
  xsvisor?: XsvisorResult;
  mismatch?: Mismatch;
}

export interface Mismatch {
  name: string;
  imagePath: string;
  machine: Machine;
  /** what differed: output, status, or one side failed to run at all */
  field: 'stdout' | 'status' | 'qemu' | 'xsvisor';
  detail: string;
  qemu: { stdout: string; status: number | null };
  xsvisor?: XsvisorResult;
}

interface Case {
  name: string;
  imagePath: string;
  machine: Machine;
}

/** What QEMU had written before it was stopped, for a report. */
function qemuSoFar(q: QemuResult): string {
  return `; output so far ${JSON.stringify(q.stdout)}${q.stderr === '' ? '' : `; stderr ${JSON.stringify(q.stderr)}`}`;
}

/** Where two outputs first differ, as "line N: qemu ... / xsvisor ...". */
export function firstDifference(a: string, b: string): string {
  const la = a.split('\n');
  const lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) {
      return `line ${i + 1}: qemu ${JSON.stringify(la[i] ?? '<end>')} / xsvisor ${JSON.stringify(lb[i] ?? '<end>')}`;
    }
  }
  return 'identical';
}

function writeRandomImages(dir: string, count: number, seed: number, length: number): Case[] {
  const cases: Case[] = [];
  for (let i = 0; i < count; i++) {
    const p = generateProgram({ seed: seed + i, length });
    const imagePath = join(dir, `random-${seed + i}.bin`);
    writeFileSync(imagePath, p.image);
    cases.push({ name: `random-${seed + i}`, imagePath, machine: 'virt' });
  }
  return cases;
}

async function withCases<T>(
  options: DifferentialOptions,
  body: (cases: Case[]) => Promise<T>,
): Promise<T> {
  const guests = (options.guests ?? listGuests()).filter((g) => options.includeSlow !== false || !g.slow);
  const ownDir = options.workDir === undefined;
  const dir = options.workDir ?? mkdtempSync(join(tmpdir(), 'xsvisor-random-'));
  try {
    const cases: Case[] = [
      ...guests.map((g) => ({ name: g.name, imagePath: g.path, machine: g.machine })),
      ...writeRandomImages(dir, options.randomCount ?? 20, options.seed ?? 1, options.randomLength ?? 400),
    ];
    return await body(cases);
  } finally {
    if (ownDir) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Run every case under QEMU and under `runXsvisor`; return the mismatches
 * (empty when the two agree everywhere). A QEMU run that does not finish
 * is reported too, with field 'qemu', since nothing can be compared then.
 */
export async function runDifferential(
  runXsvisor: XsvisorRunner,
  options: DifferentialOptions = {},
): Promise<Mismatch[]> {
  return withCases(options, async (cases) => {
    const mismatches: Mismatch[] = [];
    for (const c of cases) {
      const qemu = await runQemu(c.imagePath, { machine: c.machine, timeoutMs: options.qemuTimeoutMs ?? 20_000 });
      const base = { name: c.name, imagePath: c.imagePath, machine: c.machine, qemu: { stdout: qemu.stdout, status: qemu.status } };
      let mismatch: Mismatch | undefined;
      let xs: XsvisorResult | undefined;
      if (qemu.timedOut || qemu.status === null) {
        mismatch = { ...base, field: 'qemu', detail: `${qemu.timedOut ? `QEMU timed out: ${qemu.timeoutReason}` : `QEMU killed by ${qemu.signal}`}${qemuSoFar(qemu)}` };
      } else {
        try {
          const r = await runXsvisor(c.imagePath, { machine: c.machine });
          xs = { stdout: stripTerminalNoise(r.stdout), status: r.status };
        } catch (e) {
          mismatch = { ...base, field: 'xsvisor', detail: `xsvisor run failed: ${e instanceof Error ? e.message : String(e)}` };
        }
        if (xs !== undefined) {
          if (xs.stdout !== qemu.stdout) {
            mismatch = {
              ...base, xsvisor: xs, field: 'stdout',
              detail: `${firstDifference(qemu.stdout, xs.stdout)}\n  qemu (status ${qemu.status}):    ${JSON.stringify(qemu.stdout)}\n  xsvisor (status ${xs.status}): ${JSON.stringify(xs.stdout)}`,
            };
          } else if (xs.status !== qemu.status) {
            mismatch = { ...base, xsvisor: xs, field: 'status', detail: `exit status: qemu ${qemu.status} / xsvisor ${xs.status}` };
          }
        }
      }
      if (mismatch) mismatches.push(mismatch);
      options.onCase?.({ name: c.name, imagePath: c.imagePath, machine: c.machine, qemu, ...(xs ? { xsvisor: xs } : {}), ...(mismatch ? { mismatch } : {}) });
    }
    return mismatches;
  });
}

export interface QemuProblem {
  name: string;
  detail: string;
}

/**
 * The QEMU half alone: every guest exits as catalogued with the expected
 * output, and every random program runs to its complete register dump.
 */
export async function checkQemuHalf(options: DifferentialOptions = {}): Promise<{ ran: string[]; problems: QemuProblem[] }> {
  const catalogue = new Map((options.guests ?? listGuests()).map((g) => [g.name, g]));
  return withCases(options, async (cases) => {
    const ran: string[] = [];
    const problems: QemuProblem[] = [];
    for (const c of cases) {
      const qemu = await runQemu(c.imagePath, { machine: c.machine, timeoutMs: options.qemuTimeoutMs ?? 20_000 });
      ran.push(c.name);
      const guest = catalogue.get(c.name);
      let problem: string | null = null;
      if (qemu.timedOut) problem = `timed out: ${qemu.timeoutReason}${qemuSoFar(qemu)}`;
      else if (guest) {
        problem = qemu.status !== guest.status ? `exit status ${qemu.status}, want ${guest.status}; output ${JSON.stringify(qemu.stdout)}` : guest.checkOutput(qemu.stdout);
      } else {
        problem = qemu.status !== 0 ? `exit status ${qemu.status}, want 0; output ${JSON.stringify(qemu.stdout)}`
          : parseRandomOutput(qemu.stdout) === null ? `malformed register dump: ${JSON.stringify(qemu.stdout)}` : null;
      }
      if (problem !== null) problems.push({ name: c.name, detail: problem });
      options.onCase?.({ name: c.name, imagePath: c.imagePath, machine: c.machine, qemu });
    }
    return { ran, problems };
  });
}

/**
 * The xsvisor CLI as a runner: `node bin/xsvisor.js run IMAGE`, whose exit
 * status is the guest's. HTIF guests are found by their `tohost` symbol,
 * so the machine needs no flag.
 */
export function xsvisorCliRunner(cli = join(REPO_ROOT, 'bin', 'xsvisor.js'), timeoutMs = 120_000): XsvisorRunner {
  return (imagePath) => new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'run', imagePath], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === null) {
        reject(new Error(`killed by ${signal}${signal === 'SIGKILL' ? ' (timeout)' : ''}; stdout: ${JSON.stringify(Buffer.concat(out).toString('latin1'))}; stderr: ${JSON.stringify(Buffer.concat(err).toString('utf8'))}`));
      } else {
        resolve({ stdout: Buffer.concat(out).toString('latin1'), status: code });
      }
    });
  });
}

function parseArgs(argv: string[]): { xsvisor: boolean; cli: string; keep: boolean; options: DifferentialOptions } {
  const options: DifferentialOptions = {};
  let xsvisor = false;
  let cli = join(REPO_ROOT, 'bin', 'xsvisor.js');
  let keep = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v)) throw new Error(`${a} needs an integer`);
      return v;
    };
    if (a === '--xsvisor') xsvisor = true;
    else if (a === '--cli') { cli = resolve(argv[++i] ?? ''); xsvisor = true; }
    else if (a === '--random') options.randomCount = num();
    else if (a === '--seed') options.seed = num();
    else if (a === '--length') options.randomLength = num();
    else if (a === '--no-slow') options.includeSlow = false;
    else if (a === '--keep') keep = true;
    else throw new Error(`unknown argument: ${a}`);
  }
  if (keep) options.workDir = mkdtempSync(join(tmpdir(), 'xsvisor-random-'));
  return { xsvisor, cli, keep, options };
}

async function main(): Promise<number> {
  const { xsvisor, cli, keep, options } = parseArgs(process.argv.slice(2));
  if (keep) console.log(`random images kept in ${options.workDir}`);
  let failed = 0;
  let passed = 0;
  if (xsvisor) {
    if (!existsSync(cli)) {
      console.error(`no xsvisor CLI at ${cli}`);
      return 2;
    }
    const mismatches = await runDifferential(xsvisorCliRunner(cli), {
      ...options,
      onCase: (c) => {
        if (c.mismatch) failed++; else passed++;
        console.log(`${c.mismatch ? 'FAIL' : 'ok  '} ${c.name}${c.mismatch ? ` [${c.mismatch.field}] ${c.mismatch.detail}` : ''}`);
      },
    });
    void mismatches;
  } else {
    await checkQemuHalf({
      ...options,
      onCase: (c) => console.log(`qemu ${c.name}: status ${c.qemu.status}, ${c.qemu.durationMs} ms`),
    }).then(({ ran, problems }) => {
      for (const p of problems) console.log(`FAIL ${p.name}: ${p.detail}`);
      failed = problems.length;
      passed = ran.length - failed;
    });
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then((code) => { process.exitCode = code; }, (e: unknown) => {
    console.error(e);
    process.exitCode = 2;
  });
}
