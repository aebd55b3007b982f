/**
 * Interrupt wiring between devices, the interrupt controller and the hart.
 *
 * A device raises or lowers an {@link IrqLine} (level semantics: the line
 * stays raised until the device lowers it). The PLIC hands out lines for its
 * sources and drives the hart's external-interrupt bits through an
 * {@link InterruptTarget}; the CLINT drives the timer and software bits.
 */

/** One interrupt wire, as seen by the device that drives it. */
export interface IrqLine {
  /** Raises (true) or lowers (false) the line. Cheap when the level does not change. */
  set(level: boolean): void;
}

/** Interrupt cause numbers of the `mip`/`mie` bits (privileged spec 1.12, table 3.6). */
export const InterruptCause = Object.freeze({
  SupervisorSoftware: 1,
  MachineSoftware: 3,
  SupervisorTimer: 5,
  MachineTimer: 7,
  SupervisorExternal: 9,
  MachineExternal: 11,
} as const);

/** Something that takes interrupt levels by cause number: the hart's `mip`. */
export interface InterruptTarget {
  /** Sets the `mip` bit of `cause` (an {@link InterruptCause}) to `level`. */
  setInterruptPending(cause: number, level: boolean): void;
}

/** A line that goes nowhere: for devices whose interrupt is not wired. */
export const UNWIRED_IRQ: IrqLine = Object.freeze({ set(_level: boolean): void {} });
