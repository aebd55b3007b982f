/** The saved-state contract (`Snapshottable`, `DeviceState`) and its checked field readers, below every layer that saves state. */
export * from './state.js';
