/** The GDB remote stub on Node (`xsvisor run --gdb PORT`): its TCP server; the protocol core is src/debug/. */
export { GDB_KILL, GdbServerError, startGdbServer, type GdbServer, type GdbServerOptions } from './server.js';
export { startGdbRelay, type GdbRelay, type GdbRelayOptions } from './relay.js';
