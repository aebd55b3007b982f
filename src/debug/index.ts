/** A GDB remote stub's engine-neutral core: framing (rsp.ts), commands (stub.ts), the target description, a VM under a debugger and a debugger's connection. */
export * from './rsp.js';
export * from './target-xml.js';
export * from './stub.js';
export * from './vm-debugger.js';
export * from './connection.js';
