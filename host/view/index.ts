/**
 * The live board view (`--view`): simulated board pins by name, a mirror of
 * the guest's console, and a loopback web page that draws the board with
 * its LEDs lit live and its buttons pressable.
 *
 * Owns nothing itself: it gathers the view's modules for the CLI.
 */

export * from './errors.js';
export { SimulatedBoardPins, type BoardPinsView, type PinListener, type PinModeName, type PinState, type SimulatedBoardPinsOptions } from './pins.js';
export { RemoteBoardPins, type RemoteBoardPinsOptions } from './remote-pins.js';
export { ConsoleMirror, DEFAULT_CONSOLE_CAPACITY, type ConsoleMirrorOptions, type ConsoleSlice } from './console.js';
export { BoardView, DEFAULT_MAX_VIEWERS, type BoardViewOptions, type BoardViewStats } from './server.js';
export { renderBoardSvg, LED_COLOURS, type BoardDrawing } from './board-svg.js';
