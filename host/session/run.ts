/**
 * The two ways a session's VMs run, behind one face ({@link SessionRun}):
 * here in V8 under the monitor (local.ts), or in Moddable's XS engine in an
 * xsnap worker (host/xs/command.ts). The session starts, stops, releases
 * and closes a run without knowing which it is.
 */

import type { VmOutcome } from '../../src/monitor/index.js';

/** How a run ended. */
export interface RunEnd {
  /** Every VM's outcome, in plan order. */
  readonly outcomes: readonly VmOutcome[];
  /** Seconds the run took by the engine's own clock (XS), or null to use the host's. */
  readonly seconds: number | null;
  /** Per VM, the observers' counts for --stats (docs/trace.md), or null. */
  readonly traceStats: readonly (readonly string[] | null)[];
  /** The status of a failed --snapshot-save (73), or null. */
  readonly saveStatus: number | null;
}

/** A run, made but not yet started. */
export interface SessionRun {
  /** Runs every VM to its end; resolves with how they ended, or with an exit status after saying why the run could not happen. */
  run(): Promise<RunEnd | number>;
  /** Stops every VM for `reason`; before {@link run}, the run ends at once with that reason. */
  stop(reason: string): void;
  /** Instructions retired so far by every VM (under XS: as the worker last reported); for the progress display. */
  instret(): number;
  /** Lets a VM held for its port's client run. */
  release(name: string): void;
  /** Boots the guest afresh (Ctrl-A r, one IMAGE); false when this run cannot. */
  restart(): boolean;
  /** Moves the shared console's input to its VM `index` when the console is in the engine (XS); false when this run has none there. */
  focus(index: number): boolean;
  /** Ends what the run holds (the GDB server, the VMs); `end` is null when it never ran. */
  close(end: RunEnd | null): Promise<void>;
  /** Last, after the ports: the board view, told how the run ended. */
  closeView(end: RunEnd | null): Promise<void>;
}
