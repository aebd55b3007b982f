/**
 * The Moddable app's entry (src/moddable/main.ts) as the XS bundle imports
 * it. The bundler resolves `xsvisor:moddable-main` to that file; the Node
 * type-check (tsconfig.json, Node typings) never follows it there, since
 * the app is type-checked with Moddable's typings instead
 * (src/moddable/tsconfig.json).
 */
declare module 'xsvisor:moddable-main' {
  /** How a guest run ended (src/monitor VmExit, loosely). */
  export interface MainExit {
    readonly kind: string;
    readonly status?: number;
    readonly source?: string;
    readonly reason?: string;
  }
  /** What main's promise resolves with (src/moddable/app.ts AppResult, loosely). */
  export type MainResult =
    | { readonly ok: true; readonly exit: MainExit; readonly config: { readonly status: number; readonly outcomes: readonly { readonly name: string; readonly exit: MainExit; readonly restarts: number }[] } | null }
    | { readonly ok: false; readonly error: unknown };
  /** The running guest (src/moddable/app.ts AppRun, the parts a host harness uses). */
  export interface MainRun {
    readonly vm: { stop(reason: string): void; readonly instret: number; readonly isIdle: boolean };
    /** Stops every VM (one guest, or a configuration's). */
    stop(reason: string): void;
    /** With a configuration in flash: its VMs (src/moddable/vms.ts ConfigRun, loosely); else null. */
    readonly config: { readonly vms: readonly { readonly name: string; readonly vm: { readonly instret: number; readonly isIdle: boolean } }[] } | null;
  }
  /** Starts the guest; resolves when it has ended or could not start. */
  export default function main(options?: { onStart?(run: MainRun): void }): Promise<MainResult>;
}
