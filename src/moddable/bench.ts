/**
 * The entry point of the instrumented build that `npm run bench:board`
 * makes (mcconfig -i, with Moddable's instrumentation module): runs the
 * app as main.ts does, and traces the XS heap the way Moddable's
 * instrumentation counts it (slots and chunks in use, bytes; the stack's
 * high-water mark) after boot and at the run's peak, sampled every 10 ms
 * on Timer, and the instructions retired every second. With `tier: "jit"`
 * in mc/config (bench:board's jit build) the hart runs the JIT tier, its
 * block cache `jitBlocks` slots, a region translated after `jitHot`
 * entries. Not part of the app a user flashes.
 */

import Instrumentation from 'instrumentation';
import config from 'mc/config';
import Timer from 'timer';
import { jitAvailable, setDefaultTier, setJitCacheBlocks, setJitHotEntries } from '../cpu/index.js';
import main from './main.js';
import type { AppResult, AppRun } from './app.js';

/** Runs the app and traces `xsvisor-bench: heap ...` lines; resolves as main() does. */
export default function bench(): Promise<AppResult> {
  const ids = [Instrumentation.map('XS Slot Heap Used'), Instrumentation.map('XS Chunk Heap Used'), Instrumentation.map('XS Stack Used')];
  const sample = (): number[] => ids.map((id) => Instrumentation.get(id) ?? -1);
  const peak = [0, 0, 0];
  const note = (): void => {
    const s = sample();
    for (let i = 0; i < 3; i++) if (s[i]! > peak[i]!) peak[i] = s[i]!;
  };
  const line = (what: string, s: readonly number[]): void => trace(`xsvisor-bench: heap ${what}: slots ${s[0]} B, chunks ${s[1]} B, stack ${s[2]} B\n`);
  const jit = config['tier'] === 'jit';
  if (jit) {
    setDefaultTier('jit');
    if (config['jitBlocks'] !== undefined) setJitCacheBlocks(Number(config['jitBlocks']));
    if (config['jitHot'] !== undefined) setJitHotEntries(Number(config['jitHot']));
  }
  let started: AppRun | null = null;
  const timer = Timer.repeat(note, 10);
  // Every second, the instructions retired by all VMs so far (bench:board's cost per extra VM reads cycles between two).
  let counter: ReturnType<typeof Timer.repeat> | null = null;
  return main({
    onStart: (run): void => {
      started = run;
      const s = sample();
      note();
      line('after boot', s);
      if (jit) trace(`xsvisor-bench: tier ${run.vm.hart.tier} (compiler ${jitAvailable() ? 'present' : 'absent'}), hot after ${config['jitHot'] ?? 'the default'} entries\n`);
      const vms = run.config === null ? [run.vm] : run.config.vms.map((v) => v.vm);
      counter = Timer.repeat(() => trace(`xsvisor-bench: instret ${vms.reduce((sum, vm) => sum + vm.instret, 0)}\n`), 1000);
    },
  }).then((result) => {
    Timer.clear(timer);
    if (counter !== null) Timer.clear(counter);
    note();
    line('peak', peak);
    const stats = (started as AppRun | null)?.vm.hart.jitStats;
    if (stats) trace(`xsvisor-bench: jit ${stats.blocks} blocks cached, ${stats.translations} translations, ${stats.invalidations} invalidations, ${stats.flushes} flushes\n`);
    return result;
  });
}
