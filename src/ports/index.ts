/** The ports: interfaces the core reaches the outside through (serial, digital pin, clock, scheduler), and in-memory implementations. */
export * from './serial.js';
export * from './digital.js';
export * from './clock.js';
export * from './scheduler.js';
export * from './memory.js';
