/**
 * Running code in Moddable's XS engine from Node, through xsnap-worker
 * (worker.ts, run.ts); see docs/xs-lane.md. The folder also holds the one
 * Node-XS bridge (protocol.ts, bridge.ts in XS, host.ts in Node,
 * bundle.ts) and `--engine xs` on it (engine.ts, engine-entry.ts,
 * command.ts), imported by path: this index stays free of esbuild.
 */
export { encodeNetstring, NetstringDecoder, NetstringError } from './netstring.js';
export {
  findXsnapWorker,
  XsEvalError,
  XsWorker,
  XsWorkerError,
  type CommandHandler,
  type CommandReply,
  type XsEvalResult,
  type XsExit,
  type XsMeter,
  type XsOutput,
  type XsWorkerOptions,
} from './worker.js';
export { runXsScript, type RunXsOptions, type RunXsResult } from './run.js';
