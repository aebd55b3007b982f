/**
 * `xsvisor run --engine xs`: the monitor in Moddable's XS engine (an
 * xsnap worker), its guest's UART on Node's terminal, TCP or pty port.
 * See command.ts (the CLI's flow), run.ts (Node's side), entry.ts and
 * bridge.ts (XS's side) and protocol.ts (what crosses between them).
 */
export { runXsCommand, type XsCommandOptions, type XsCommandResult } from './command.js';
export { bundleXsEngine, startXsEngine, XsEngineUnavailableError, type XsEngineOptions, type XsEngineResult, type XsEngineRun } from './run.js';
export { OP, REPLY_STOP, type XsRunReport, type XsRunSetup } from './protocol.js';
