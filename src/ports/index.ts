/** The ports: interfaces the core reaches the outside through (serial, digital pin, clock, scheduler); in-memory implementations are in ./sim/. */
export * from './serial.js';
export * from './digital.js';
export * from './clock.js';
export * from './scheduler.js';
