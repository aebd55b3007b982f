/**
 * The app's entry point on a Moddable board (the manifest's
 * `creation.main`).
 *
 * The module only imports and exports, so the whole app can be preloaded
 * into flash; the work starts when Moddable calls the function it exports
 * (a main module that exports a function has it called at start-up,
 * documentation/xs/preload.md, "Preloading main"). That function gathers
 * what the app needs from Moddable (the `device` global's ECMA-419 IO
 * classes, Timer, Time, Resource, mc/config, trace) and hands it to
 * app.ts. Under Node and xsnap the same module runs against the stand-ins
 * in host/moddable/.
 */

import Digital from 'embedded:io/digital';
import Serial from 'embedded:io/serial';
import config from 'mc/config';
import Resource from 'Resource';
import Time from 'time';
import Timer from 'timer';
import { runXsvisor, type AppResult, type AppRun } from './app.js';

/** Options a host harness may pass; Moddable passes none. */
export interface MainOptions {
  /** Receives the running guest once it has started. */
  onStart?(run: AppRun): void;
}

/** Starts the guest; resolves when it has ended (or could not start). Never rejects. */
export default function main(options?: MainOptions): Promise<AppResult> {
  return runXsvisor(
    {
      Serial,
      Digital,
      Timer,
      Resource,
      Time,
      config,
      log: (line: string): void => trace(`${line}\n`),
    },
    options,
  );
}
