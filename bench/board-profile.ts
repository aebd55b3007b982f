/**
 * Where the Pico's cycles go in a board build: samples the emulated RP2040's
 * program counter every N instructions and attributes the samples to the
 * firmware ELF's symbols (arm-none-eabi-nm), grouped (XS parser/compiler,
 * GC, chunk allocation, bytecode loop, memcpy ...). Not an npm script.
 *
 *   XSVISOR_VENDOR=/work/shared/vendor nice node --loader ts-node/esm --no-warnings \
 *     bench/board-profile.ts [--interp] [--no-build] [--every 100000] [--sim-seconds 300] [--from S]
 *   (`--from S`: count from S s simulated on; `--no-build`: run the last build)
 *
 * Builds the compute guest's firmware as bench/board.ts does (the JIT build,
 * `--jit-only`'s, by default; `--interp` the interpreter's, `--interp-only`'s)
 * into dist/board/profile-*, runs it in the same PicoSession until the guest's
 * end line or the simulated limit, and also times each `new Function`
 * (fx_Function's entry to its return: one region translated) and counts
 * calls of fxOrdinaryGet/SetProperty and fxCollect. Writes the
 * profile so far to dist/board/profile-*.txt every 2,000 samples (so a run
 * cut short still leaves one) and at the end. Figures: docs/moddable.md.
 */

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildFirmware } from '../host/board/firmware.js';
import { boardCacheDir, findBoardSdk, ROOT } from '../host/board/sdk.js';
import { loadBootrom, readFirmware } from '../host/board/cli.js';
import { PicoSession } from '../host/board/session.js';
import { parseBoard } from '../src/board/index.js';

const NS_PER_CYCLE = 8; // 125 MHz

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const interp = process.argv.includes('--interp');
const every = arg('--every', 100_000);
const simSeconds = arg('--sim-seconds', 300);
/** Samples before this simulated second are not counted (`--from`: one phase of the run). */
const fromNs = arg('--from', 0) * 1e9;

/** The groups the report sums, first match wins (by symbol name). */
const GROUPS: readonly (readonly [string, RegExp])[] = Object.freeze([
  ['XS parser/compiler (fxParse*, fxCode*, fxScope*, fxNode*, lexer, fxCompile*)', /^fx(Parse|Code|Scope|Node|Lex|Get(Next)?Token|Compile|Match|Check|Bind|Hoist|Tree|Script|Coder|Statement|Expression|Binding|Declar|Function[A-Z].*Node|[A-Za-z]*Node(Bind|Hoist|Code|Distribute)|Report|Accept|Swap|Push[A-Z].*Node|PopNode|Pop[A-Z].*Node|Linked|Get(Next|Char)|Keyword|Identifier|New(Parser|Node))|Node|^fxNewParser|^fxTerminateParser|^fxNewParserChunk|^fxNewParserSymbol|^fxNewParserString/],
  ['GC (fxCollect, fxMark*, fxSweep*)', /^fx(Collect|Mark|Sweep|Compact|Invalidate|Grow|KeepChunks)/],
  ['chunk/slot allocation (fxNewChunk, fxNewSlot, fxRenewChunk ...)', /^fx(NewChunk|NewSlot|New[A-Z][a-z]*Chunk|RenewChunk|FindChunk|CheckChunk|Allocate|NewGrowableChunk|Free)|^fxNewSlot|alloc|^free$/],
  ['bytecode loop fxRunID', /^fxRunID$/],
  ['named-property lookup (fxOrdinaryGetProperty, fxOrdinarySetProperty)', /^fxOrdinary(Get|Set)Property$/],
  ['memcpy/memmove/memset', /^(__wrap_)?(mem(cpy|move|set)|__aeabi_mem)|^bootrom|^__mem\w*_veneer$/],
  ['strings (fxNewString, fxConcat, c_str*, strlen ...)', /str|String|Concat/],
  ['typed arrays / DataView', /TypedArray|DataView|Uint(8|16|32)(Getter|Setter)|Int(8|16|32)(Getter|Setter)|^fxToInstance$/],
  ['>>> / integer helpers (fxToUnsigned, __gnu_thumb1_case*)', /^fxToUnsigned$|__gnu_thumb1_case|^__aeabi_(u?idiv|uidivmod|idivmod)|^__(u)?divsi3/],
  ['software float / 64-bit (__aeabi_d*, fmod, int2double ...)', /^__aeabi_[dfl]|^(fmod|trunc|floor|int2double|__.*di3|__aeabi_l)/],
]);

interface Sym { readonly addr: number; readonly size: number; readonly name: string }

function symbols(elf: string): Sym[] {
  const r = spawnSync('arm-none-eabi-nm', ['-S', '-n', '--defined-only', elf], { encoding: 'utf8', maxBuffer: 128 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`arm-none-eabi-nm ${elf}: ${r.stderr}`);
  const out: Sym[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^([0-9a-f]+) (?:([0-9a-f]+) )?([tTwW]) (\S+)$/.exec(line);
    if (m === null) continue;
    out.push({ addr: parseInt(m[1]!, 16) & ~1, size: m[2] ? parseInt(m[2], 16) : 0, name: m[4]! });
  }
  return out.sort((a, b) => a.addr - b.addr);
}

function lookup(syms: readonly Sym[], pc: number): string {
  if (pc < 0x4000) return 'bootrom (ROM memcpy/memset/float)';
  let lo = 0;
  let hi = syms.length - 1;
  if (hi < 0 || pc < syms[0]!.addr) return '?';
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (syms[mid]!.addr <= pc) lo = mid; else hi = mid - 1;
  }
  const s = syms[lo]!;
  return s.size === 0 || pc < s.addr + s.size ? s.name : `? after ${s.name}`;
}

async function main(): Promise<void> {
  const log = (l: string): void => void process.stderr.write(`board-profile: ${l}\n`);
  const sdk = await findBoardSdk(process.env, log);
  const work = join(boardCacheDir(), 'bench');
  mkdirSync(work, { recursive: true });
  // The same board, manifest and JIT settings as bench/board.ts (its JIT_RAM, JIT_BLOCKS, JIT_HOT, JIT_STATIC).
  const build = !process.argv.includes('--no-build');
  const put = (file: string, text: string): void => {
    if (build) writeFileSync(file, text);
  };
  const boardFile = join(work, 'pico-bench.json');
  const pico = JSON.parse(readFileSync(join(ROOT, 'boards', 'pico.json'), 'utf8')) as Record<string, Record<string, unknown>>;
  put(boardFile, JSON.stringify({ ...pico, name: 'pico-bench', uart0: { ...pico['uart0'], messages: false } }, null, 2));
  const manifest = join(work, 'manifest.json');
  const bench = {
    include: [join(ROOT, 'manifest.json'), '$(MODDABLE)/modules/base/instrumentation/manifest.json'],
    modules: { 'src/moddable/bench': join(ROOT, 'src', 'moddable', 'bench') },
    preload: ['src/moddable/bench'],
    creation: { main: 'src/moddable/bench' },
  };
  put(manifest, JSON.stringify(bench, null, '\t'));
  let runBoard = boardFile;
  let runManifest = manifest;
  if (!interp) {
    runBoard = join(work, 'pico-bench-jit.json');
    put(runBoard, JSON.stringify({ ...pico, name: 'pico-bench-jit', uart0: { ...pico['uart0'], messages: false }, ramBudget: '64KiB' }, null, 2));
    runManifest = join(work, 'manifest-jit.json');
    put(runManifest, JSON.stringify({ ...bench, config: { tier: 'jit', jitBlocks: 64, jitHot: 256 }, platforms: { pico: { creation: { static: 196608 } } } }, null, '\t'));
  }
  const name = interp ? 'profile-interp' : 'profile-jit';
  const dir = join(ROOT, 'dist', 'board', name);
  if (build) {
    await buildFirmware(sdk, { board: runBoard, manifest: runManifest, instrument: true, outDir: dir, guest: join(ROOT, 'guests', 'bin', 'board-bench.elf'), say: log });
  }
  const { uf2, info } = readFirmware(dir);
  const syms = symbols(join(dir, info.files['elf']!));
  const fxFunction = syms.find((s) => s.name === 'fx_Function')?.addr ?? -1;
  // Calls counted by entry (XS looks a named property up by walking the instance's list).
  const counted = new Map<number, string>();
  for (const n of ['fxOrdinaryGetProperty', 'fxOrdinarySetProperty', 'fxCollect']) {
    const a = syms.find((s) => s.name === n)?.addr;
    if (a !== undefined) counted.set(a, n);
  }
  const calls = new Map<string, number>();

  log(`${syms.length} symbols; fx_Function at ${fxFunction.toString(16)}; sampling every ${every} instructions, up to ${simSeconds} s simulated`);

  const counts = new Map<string, number>();
  let samples = 0;
  const translations: { startNs: number; cycles: number }[] = [];
  let pending: { lr: number; sp: number; startNs: number; startCycles: number } | null = null;
  const lines: string[] = [];

  const t0 = Date.now();
  let session: PicoSession | null = null;
  let done = false;

  const report = (final: boolean): void => {
    const st = session!.stats;
    const out: string[] = [];
    out.push(`# ${name}: ${samples} samples (every ${every} RP2040 instructions${fromNs > 0 ? `, from ${fromNs / 1e9} s` : ''}), ${(st.simNs / 1e9).toFixed(1)} s simulated, ${st.cycles} cycles, ${((Date.now() - t0) / 1000).toFixed(0)} s wall${final ? '' : ' (so far)'}`);
    const grouped = new Map<string, number>();
    for (const [sym, n] of counts) {
      const g = GROUPS.find(([, re]) => re.test(sym))?.[0] ?? 'other';
      grouped.set(g, (grouped.get(g) ?? 0) + n);
    }
    out.push('## groups');
    for (const [g, n] of [...grouped].sort((a, b) => b[1] - a[1])) out.push(`${(100 * n / samples).toFixed(1).padStart(5)} %  ${String(n).padStart(7)}  ${g}`);
    out.push('## top symbols');
    for (const [s, n] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, 60)) {
      const g = GROUPS.find(([, re]) => re.test(s))?.[0] ?? 'other';
      out.push(`${(100 * n / samples).toFixed(2).padStart(6)} %  ${String(n).padStart(7)}  ${s}  [${g.split(' (')[0]}]`);
    }
    out.push(`## calls (counted from ${fromNs / 1e9} s; guest instructions then: the app's last instret line less the one before ${fromNs / 1e9} s)`);
    for (const [n, c] of calls) out.push(`${n}: ${c}`);
    out.push(`## new Function (fx_Function entry to return): ${translations.length} finished${pending ? ', one in progress' : ''}`);
    for (const t of translations) out.push(`at ${(t.startNs / 1e9).toFixed(2)} s: ${t.cycles} cycles (${(t.cycles * NS_PER_CYCLE / 1e6).toFixed(1)} ms simulated)`);
    out.push('## app lines', ...lines.slice(-60));
    writeFileSync(join(ROOT, 'dist', 'board', `${name}.txt`), `${out.join('\n')}\n`);
    if (final) process.stdout.write(`${out.join('\n')}\n`);
  };

  session = new PicoSession({
    board: parseBoard(readFileSync(runBoard, 'utf8'), runBoard), uf2, bootrom: await loadBootrom(), stdioUsbOut: info.stdioUsbOut,
    onUsbLine: (line) => {
      const at = `${(session!.stats.simNs / 1e9).toFixed(2)} s: `;
      if (line.startsWith('xsvisor') || line.startsWith('#') || line.includes('PANIC') || line.includes('memory')) {
        lines.push(at + line);
        log(at + line);
      }
      if (/^xsvisor: \d+ instructions in /.test(line) || line.startsWith('# ') || line.includes('PANIC')) done = true;
    },
  });
  // Wrap the core's step: one counter and a compare per instruction.
  const core = session.pico.mcu.core;
  const exec = core.executeInstruction.bind(core);
  let left = every;
  core.executeInstruction = (): number => {
    const pc = core.PC;
    if (pc === fxFunction && pending === null) {
      pending = { lr: core.LR & ~1, sp: core.SP, startNs: session!.stats.simNs, startCycles: session!.stats.cycles };
    } else if (pending !== null && pc === pending.lr && core.SP >= pending.sp) {
      translations.push({ startNs: pending.startNs, cycles: session!.stats.cycles - pending.startCycles });
      pending = null;
    }
    const c = counted.get(pc);
    if (c !== undefined && session!.stats.simNs >= fromNs) calls.set(c, (calls.get(c) ?? 0) + 1);
    if (--left === 0) {
      left = every;
      if (session!.stats.simNs < fromNs) return exec();
      const s = lookup(syms, pc);
      counts.set(s, (counts.get(s) ?? 0) + 1);
      if (++samples % 2000 === 0) report(false);
    }
    return exec();
  };
  process.on('SIGINT', () => { report(true); process.exit(130); });
  await session.pico.runUntil(() => done, simSeconds * 1e9);
  report(true);
  session.close();
}

main().catch((e: unknown) => {
  process.stderr.write(`board-profile: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
