/**
 * Running code in Moddable's XS engine from Node, through xsnap-worker.
 * See docs/xs-lane.md.
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
