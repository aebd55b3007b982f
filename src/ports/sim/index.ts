/** In-memory implementations of the ports (serial line, pin, clock, scheduler) for tests and host simulations. */
export * from './errors.js';
export * from './serial.js';
export * from './pin.js';
export * from './time.js';
