/**
 * `xsvisor run --engine xs`: a session's one VM run in Moddable's XS
 * engine (an xsnap worker, engine.ts) instead of V8. The board file goes
 * to XS as text, the VM is built and run there, its UART reaches the
 * session's Node port through the bridge, stops and Ctrl-A r become
 * requests sent across; snapshot files are read and written here, trace
 * lines land in the session's buffer. The report comes back as the outcome
 * the session turns into the exit status, as under V8.
 */

import { readFileSync } from 'node:fs';
import type { GuestExit, RegisterDump, TraceBuffer, VmExit, VmFault, VmOutcome } from '../../src/monitor/index.js';
import { EXIT } from '../exit-status.js';
import type { RunOptions } from '../run-options.js';
import type { SessionIo } from '../session/io.js';
import type { SessionPlan, Say } from '../session/plan.js';
import type { RunEnd, SessionRun } from '../session/run.js';
import { readSnapshotFile, writeSnapshotFile } from '../snapshot-file.js';
import { stuckMessage } from '../stuck.js';
import { startXsEngine, XsEngineUnavailableError, type XsEngineResult, type XsEngineRun } from './engine.js';

/** Options of {@link startXsRun}. */
export interface XsRunOptions {
  readonly plan: SessionPlan;
  readonly io: SessionIo;
  readonly opts: RunOptions;
  readonly err: Say;
  /** The version written into snapshots (`--snapshot-save`). */
  readonly producer: string;
  /** `--trace`'s buffer (stderr or --trace-file), or null. */
  readonly trace: TraceBuffer | null;
}

/** Makes the run; the worker starts when the run does. Returns 65 when the board file or `--snapshot-load`'s file cannot be read. */
export async function startXsRun(o: XsRunOptions): Promise<SessionRun | number> {
  const { plan, err, opts } = o;
  const vm = plan.vms[0];
  let boardText: string;
  try {
    boardText = readFileSync(plan.boardPath, 'utf8');
  } catch (e) {
    err(`${plan.boardFile}: cannot be read again for XS: ${(e as Error).message}`);
    return EXIT.BAD_INPUT;
  }
  // The snapshot's bytes go to XS, which restores (and checks) them as the Node engine does.
  const snapshot = opts.snapshotLoad === null ? null : readSnapshotFile(opts.snapshotLoad, err);
  if (typeof snapshot === 'number') return snapshot;
  let worker: XsEngineRun | null = null;
  let stopped: string | null = null;
  let reported = 0; // instructions retired, as XS last said (OP.PROGRESS)
  const stoppedEnd = (reason: string): RunEnd => end({ kind: 'stopped', reason }, 0, 0, null, null);
  return {
    async run(): Promise<RunEnd | number> {
      if (stopped !== null) return stoppedEnd(stopped);
      try {
        worker = await startXsEngine({
          image: vm.image, imageName: vm.imageName, boardText, boardFile: plan.boardFile, ramSize: vm.ramSize,
          tier: opts.tier, clock: plan.clock, firmware: vm.firmware, bootargs: vm.bootargs, dtb: vm.dtb, loads: vm.loads,
          maxInsns: opts.maxInsns, port: o.io.ports[0], onConsoleOutput: o.io.console[0], log: (line) => err(line),
          snapshotLoad: snapshot === null ? null : { name: opts.snapshotLoad!, bytes: snapshot },
          snapshotProducer: opts.snapshotSave === null ? null : `xsvisor ${o.producer}`,
          trace: opts.trace, onTrace: (text) => sink(o.trace, text), stats: opts.stats,
          onProgress: (instret) => {
            reported = instret;
          },
        });
      } catch (e) {
        if (!(e instanceof XsEngineUnavailableError)) throw e;
        err(e.message);
        return EXIT.UNAVAILABLE;
      }
      if (stopped !== null) worker.stop(stopped);
      const result = await worker.done;
      const ran = interpret(result, plan, err);
      if (typeof ran === 'number' || opts.snapshotSave === null || result.snapshot === null) return ran;
      return { ...ran, saveStatus: writeSnapshotFile(result.snapshot, opts.snapshotSave, err) };
    },
    stop(reason) {
      stopped ??= reason;
      worker?.stop(reason);
    },
    instret: () => reported,
    release: () => {},
    restart(): boolean {
      worker?.restart();
      return true;
    },
    close: async () => {},
    closeView: async () => {},
  };
}

/** XS's trace text (whole lines) into the session's buffer, line by line as a tracer in this process gives them. */
function sink(trace: TraceBuffer | null, text: string): void {
  if (trace === null) return;
  let at = 0;
  for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', at)) {
    trace.sink(text.slice(at, nl));
    at = nl + 1;
  }
}

function end(exit: VmExit, instret: number, seconds: number, fault: VmFault | null, traceStats: readonly string[] | null): RunEnd {
  const outcome: VmOutcome = { name: 'vm', exit, fault, restarts: 0, instret };
  return { outcomes: [outcome], seconds, traceStats: [traceStats], saveStatus: null };
}

/** XS's report as the VM's outcome, or the status of a run that failed (said already). */
function interpret(result: XsEngineResult, plan: SessionPlan, err: Say): RunEnd | number {
  const r = result.report;
  const signal = result.exit?.signal ?? null;
  if (r === null && (result.stopReason !== null || signal === 'SIGINT' || signal === 'SIGTERM' || signal === 'SIGHUP')) {
    // Killed after a stop request, or by a signal sent to the whole process group (Ctrl-C, timeout(1)) along with us.
    return end({ kind: 'stopped', reason: result.stopReason ?? signal! }, 0, 0, null, null);
  }
  if (r === null) {
    const why = result.exit?.code === 11 ? ' (XS ran out of memory: try a smaller --ram)' : '';
    err(`internal error: the XS engine failed: ${result.error ?? 'no report'}${why}`);
    return EXIT.INTERNAL;
  }
  if (r.kind === 'refused') {
    err(r.error ?? 'the VM could not be built');
    return EXIT.BAD_INPUT;
  }
  let exit: VmExit;
  switch (r.kind) {
    case 'exit':
      exit = { kind: 'exit', status: r.status ?? 1, source: (r.source ?? 'finisher') as GuestExit['source'] };
      break;
    case 'limit':
      exit = { kind: 'limit', instructions: r.instructions ?? 0 };
      break;
    case 'stopped':
      exit = { kind: 'stopped', reason: r.reason ?? 'stopped' };
      break;
    default:
      exit = { kind: 'fatal', reason: r.reason ?? r.error ?? `the run ended with '${r.kind}'`, error: null };
  }
  let fault: VmFault | null = null;
  if (r.fault !== undefined) {
    // The guest's own wedging (XS reports no other faults): the cause and the likely fix, as under V8.
    fault = { kind: r.fault.kind as VmFault['kind'], reason: r.fault.reason, dump: r.fault.dump as unknown as RegisterDump };
    const v = plan.vms[0];
    for (const line of stuckMessage({ ...fault, imageName: v.imageName, image: v.image, firmware: v.firmware })) err(line);
  }
  return end(exit, r.instret, r.seconds, fault, r.traceStats ?? null);
}
