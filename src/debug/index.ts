/** A GDB remote stub's engine-neutral core: framing (rsp.ts), commands (stub.ts), the target description and a VM under a debugger. */
export * from './rsp.js';
export * from './target-xml.js';
export * from './stub.js';
export * from './vm-debugger.js';
