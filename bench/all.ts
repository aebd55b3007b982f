/**
 * npm run bench: every figure of issue 18 in one table, beside its
 * baselines: QEMU measured in the same run, and the figures last recorded
 * in docs/performance.md, which keeps their history (a table per date and
 * commit; `--record` appends this run's). Not part of CI.
 *
 * Runs each bench as a child process (its output is shown as it goes) and
 * reads its closing line or table: bench:coremark, bench:boot, bench:mips,
 * bench:xs, and bench:board when the SDK is at hand ($XSVISOR_VENDOR or
 * $MODDABLE; otherwise it says why it skipped it).
 *
 *   npm run bench -- [--quick] [--record] [--no-board] [--only NAME,...]
 * `--quick`: coremix-short.elf, one round each, bench:xs without the heap
 * bisection (minutes less; the CoreMark-class figure is then not the
 * 10-second one). Last line: `bench: N figures, M skipped`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { reportTook } from './took.js';

reportTook('all');

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DOC = fileURLToPath(new URL('../docs/performance.md', import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? new Set((args[onlyAt + 1] ?? '').split(',')) : null;

/** One figure of the table: its name (the row key in docs/performance.md), value, QEMU's, target. */
interface Figure {
  name: string;
  value: string;
  qemu: string;
  target: string;
}

const figures: Figure[] = [];
const skipped: string[] = [];

/** Runs `npm run bench:NAME -- args` as node directly (the scripts' own command), echoing its output; returns stdout. */
function runBench(name: string, file: string, benchArgs: string[]): Promise<string> {
  console.log(`\n== bench:${name} ${benchArgs.join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--loader', 'ts-node/esm', '--no-warnings', `bench/${file}`, ...benchArgs], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: process.env,
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      process.stdout.write(d.toString().replace(/^(?=.)/gm, '   '));
    });
    child.stderr.on('data', (d: Buffer) => process.stdout.write(d.toString().replace(/^(?=.)/gm, '   ')));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`bench:${name} exited with status ${code}`))));
  });
}

function lastLineMatching(out: string, re: RegExp, bench: string): RegExpMatchArray {
  const lines = out.trim().split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = re.exec(lines[i]);
    if (m !== null) return m;
  }
  throw new Error(`bench:${bench}: no line matches ${re} (has its closing line changed?)`);
}

const wanted = (name: string): boolean => only === null || only.has(name);

async function coremark(): Promise<void> {
  const out = await runBench('coremark', 'coremark.ts', quick ? ['--short'] : []);
  const m = lastLineMatching(out, /^coremark: jit ([\d.]+) x QEMU, interp ([\d.]+) x QEMU \(whole-process CPU time; QEMU ([\d.]+) s\)/, 'coremark');
  const image = quick ? 'coremix-short.elf' : 'coremix.elf';
  figures.push({ name: `CoreMark-class (${image}), jit, x QEMU CPU time`, value: m[1], qemu: `${m[3]} s`, target: '<= 2' });
  figures.push({ name: `CoreMark-class (${image}), interp, x QEMU CPU time`, value: m[2], qemu: `${m[3]} s`, target: '' });
}

async function boot(): Promise<void> {
  const out = await runBench('boot', 'boot.ts', quick ? ['--rounds', '1'] : []);
  const m = lastLineMatching(out, /^boot: interp ([\d.]+) x QEMU, jit ([\d.]+) x QEMU \(whole-process CPU time; QEMU ([\d.]+) s\)/, 'boot');
  figures.push({ name: 'boot (boot.elf, --firmware sbi), interp, x QEMU CPU time', value: m[1], qemu: `${m[3]} s`, target: '<= 2' });
  figures.push({ name: 'boot (boot.elf, --firmware sbi), jit, x QEMU CPU time', value: m[2], qemu: `${m[3]} s`, target: '<= 2' });
}

async function mips(): Promise<void> {
  const out = await runBench('mips', 'mips.ts', quick ? ['--rounds', '1'] : []);
  // Rows: label, instructions, best s, MIPS wall, MIPS CPU (bench/mips.ts's table).
  const cpuOf = (label: RegExp): string => {
    const m = lastLineMatching(out, new RegExp(`^${label.source}\\s+\\d+\\s+[\\d.]+\\s+[\\d.]+\\s+([\\d.]+)\\s*$`), 'mips');
    return m[1];
  };
  const qemuWhole = lastLineMatching(out, /^QEMU 7\.2 TCG \(whole process\)\s+\d+\s+[\d.]+\s+([\d.]+)/, 'mips')[1];
  let qemuLess = '';
  try {
    qemuLess = lastLineMatching(out, /^ {2}less start-up .*\s([\d.]+)\s+-\s*$/, 'mips')[1];
  } catch {
    // QEMU's start-up was not below its run time: no such row.
  }
  const qemu = `${qemuWhole} MIPS whole process${qemuLess !== '' ? `, ${qemuLess} less start-up` : ''} (wall)`;
  for (const tier of ['jit', 'interp']) {
    figures.push({ name: `bench:mips, ${tier}, bare hart, MIPS by CPU`, value: cpuOf(new RegExp(`xsvisor Node v[\\d.]+, Bare, ${tier}`)), qemu, target: tier === 'jit' ? '' : '' });
    figures.push({ name: `bench:mips, ${tier}, VirtVm, MIPS by CPU`, value: cpuOf(new RegExp(`xsvisor Node, VirtVm 10k slices, ${tier}`)), qemu, target: tier === 'jit' ? '>= 1000' : '' });
    figures.push({ name: `bench:mips, ${tier}, Sv32 pages, MIPS by CPU`, value: cpuOf(new RegExp(`xsvisor Node, Sv32 4 KiB pages, ${tier}`)), qemu, target: '' });
  }
}

async function xs(): Promise<void> {
  const out = await runBench('xs', 'xs.ts', quick ? ['--no-heap'] : []);
  const m = lastLineMatching(out, /^xs: ([\d.]+) MIPS wall, ([\d.]+) computrons\/insn \(jit ([\d.]+) MIPS wall, ([\d.]+) computrons\/insn\)/, 'xs');
  figures.push({ name: 'XS interpreter, computrons/insn (bench:xs)', value: m[2], qemu: '', target: '<= 80' });
  figures.push({ name: 'XS jit, computrons/insn (bench:xs)', value: m[4], qemu: '', target: '' });
  figures.push({ name: 'XS interpreter, MIPS wall (bench:xs)', value: m[1], qemu: '', target: '' });
}

async function board(): Promise<void> {
  const sdk = process.env['XSVISOR_VENDOR'] ?? process.env['MODDABLE'];
  if (sdk === undefined || sdk === '' || !existsSync(sdk) || args.includes('--no-board')) {
    const why = args.includes('--no-board') ? '--no-board' : '$XSVISOR_VENDOR and $MODDABLE are not set (or name no folder): the board build needs the Moddable SDK';
    console.log(`\n== bench:board skipped: ${why}`);
    skipped.push(`bench:board (${why})`);
    return;
  }
  const out = await runBench('board', 'board.ts', []);
  const m = lastLineMatching(out, /^board pico: (\d+) cycles\/insn/, 'board');
  figures.push({ name: 'Pico (emulated RP2040), cycles/insn (bench:board)', value: m[1], qemu: '', target: '<= 2000' });
}

/** The figures of the last table in docs/performance.md, by row name. */
function previous(): { heading: string; values: Map<string, string> } {
  const values = new Map<string, string>();
  if (!existsSync(DOC)) return { heading: '(none)', values };
  const text = readFileSync(DOC, 'utf8');
  const at = text.lastIndexOf('\n### ');
  if (at < 0) return { heading: '(none)', values };
  const section = text.slice(at + 1);
  const heading = section.split('\n')[0].replace(/^### /, '');
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    // | figure | value | QEMU in the same run | target |
    if (cells.length >= 4 && cells[1] !== '' && cells[1] !== 'figure' && !cells[1].startsWith('---')) values.set(cells[1], cells[2]);
  }
  return { heading, values };
}

function gitDescribe(): string {
  const rev = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim() !== '';
  return `${rev || 'unknown'}${dirty ? ' (with uncommitted changes)' : ''}`;
}

const steps: [string, () => Promise<void>][] = [['coremark', coremark], ['boot', boot], ['mips', mips], ['xs', xs], ['board', board]];
for (const [name, step] of steps) {
  if (!wanted(name)) continue;
  try {
    await step();
  } catch (e) {
    console.log(`\n== bench:${name} failed: ${(e as Error).message}`);
    skipped.push(`bench:${name} (failed: ${(e as Error).message})`);
  }
}

const prev = previous();
const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
const commit = gitDescribe();
console.log(`\nIssue 18's figures, ${when} UTC, ${commit}; previous: ${prev.heading}`);
const w = Math.max(...figures.map((f) => f.name.length), 6);
console.log(`${'figure'.padEnd(w)}  ${'now'.padStart(8)}  ${'previous'.padStart(8)}  ${'target'.padStart(8)}  QEMU in this run`);
for (const f of figures) {
  console.log(`${f.name.padEnd(w)}  ${f.value.padStart(8)}  ${(prev.values.get(f.name) ?? '-').padStart(8)}  ${(f.target || '-').padStart(8)}  ${f.qemu || '-'}`);
}
for (const s of skipped) console.log(`skipped: ${s}`);

if (args.includes('--record')) {
  const rows = figures.map((f) => `| ${f.name} | ${f.value} | ${f.qemu || '-'} | ${f.target || '-'} |`).join('\n');
  const table = `\n### ${when} UTC, ${commit}${quick ? ', --quick' : ''}\n\n| figure | value | QEMU in the same run | target |\n|---|---|---|---|\n${rows}\n${skipped.map((s) => `\nSkipped: ${s}.`).join('')}\n`;
  const text = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '';
  writeFileSync(DOC, text.replace(/\n*$/, '\n') + table);
  console.log(`recorded in ${DOC}`);
}
console.log(`bench: ${figures.length} figures, ${skipped.length} skipped`);
