/**
 * The hardware-in-the-loop harness (`xsvisor hil`, docs/hil.md): scenario
 * files, the serial port, the runner and its TAP/JUnit reports.
 *
 * Owns nothing itself: it gathers the harness's public items for the CLI
 * and the tests.
 */

export * from './errors.js';
export { loadScenarioFile, parseScenario, DEFAULT_STEP_TIMEOUT, DEFAULT_RESET_PULSE, MAX_SECONDS, MAX_STEPS, MAX_TEXT, MAX_PATTERN, RESET_METHODS, type ResetMethod, type Scenario, type ScenarioStep } from './scenario.js';
export { openSerialPort, osWords, DEFAULT_BAUD, type HilPort, type HilPortCallbacks, type ModemLines, type OpenSerialPortOptions } from './port.js';
export { ConsoleCapture, runScenario, describe as describeStep, CAPTURE_CAPACITY, FAILURE_TAIL, MONITOR_RESET_BYTES, type HilResult, type RunScenarioOptions, type StepResult } from './runner.js';
export { formatReport, formatTap, formatJunit, REPORT_FORMATS, type ReportFormat } from './report.js';
export { parseHilArgs, hilHelpText, MAX_BAUD, type HilCommand, type HilOptions } from './args.js';
export { runHilCommand, HIL_EXIT, type HilCommandOptions } from './command.js';
