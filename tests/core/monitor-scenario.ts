/**
 * A deterministic monitor run of the project's own guests, engine-neutral
 * so that tests/host/monitor-guests.test.ts runs it in V8 and, bundled
 * with esbuild, in XS, and compares the two: hello, an isa guest and the
 * S-mode SBI guest on a shared console, plus a garbage VM that the
 * monitor stops, with instruction-count clocks and a manual scheduler.
 * Not a suite itself (no `.test.ts`): the images come from the caller.
 */
import { InstructionClock, Monitor, SharedConsole, VirtVm, formatRegisterDump, type MonitorEvent } from '../../src/monitor/index.js';
import { ManualScheduler, MemorySerial } from '../../src/ports/sim/index.js';

/** The guest images the scenario runs (file contents). */
export interface ScenarioImages {
  readonly hello: Uint8Array;
  readonly isa: Uint8Array;
  readonly sbi: Uint8Array;
}

/** What a run produced: the console's bytes (Latin-1), then one line per VM outcome and per event. */
export interface ScenarioResult {
  readonly console: string;
  readonly outcomes: readonly string[];
  readonly events: readonly string[];
}

/** Runs the scenario to its end; the same images give the same result on any engine. */
export async function runScenario(images: ScenarioImages): Promise<ScenarioResult> {
  const out = new MemorySerial({ outputCapacity: 1 << 20 });
  out.inject('hi'); // for the SBI guest's console_read, which has the focus
  const names = ['sbi', 'hello', 'isa', 'junk'];
  const shared = new SharedConsole({ serial: out.open, names });
  const junk = new Uint8Array(256);
  for (let i = 0; i < junk.length; i++) junk[i] = (i * 73 + 11) & 0xff;
  const specs: [string, Uint8Array, 'none' | 'sbi'][] = [['sbi', images.sbi, 'sbi'], ['hello', images.hello, 'none'], ['isa', images.isa, 'none'], ['junk', junk, 'none']];
  const vms = specs.map(([name, image, firmware], i) => {
    const clock = new InstructionClock();
    const vm = new VirtVm({ image, imageName: name, clock, ramSize: 16 << 20, serial: shared.factory(i), firmware });
    clock.bind(() => vm.instret);
    return { name, vm, icount: clock };
  });
  const events: string[] = [];
  const onEvent = (e: MonitorEvent): void => {
    if (e.kind === 'fault') events.push(`${e.vm} ${e.action}: ${e.fault.reason}\n${formatRegisterDump(e.fault.dump)}`);
    else events.push(`${e.vm} ended: ${JSON.stringify(e.exit)}`);
  };
  const sched = new ManualScheduler();
  const monitor = new Monitor({ vms, scheduler: sched, sliceInstructions: 7_000, onEvent, onRound: () => shared.pump() });
  let done = false;
  const finished = monitor.run().then((r) => {
    done = true;
    return r;
  });
  for (let turn = 0; turn < 1_000_000 && !done; turn++) {
    if (sched.runDue() === 0) sched.advance(1000);
    await Promise.resolve();
  }
  const result = await finished;
  monitor.close();
  shared.close();
  return {
    console: out.takeText(),
    outcomes: result.vms.map((v) => `${v.name}: ${JSON.stringify(v.exit)} fault=${v.fault === null ? 'none' : v.fault.kind} instret=${v.instret}`),
    events,
  };
}
