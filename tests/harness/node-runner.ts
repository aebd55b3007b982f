/**
 * The harness's test registration under Node: maps straight onto node:test.
 * The XS bundle swaps this module for the harness's own runner.
 */
import { describe as nodeDescribe, it as nodeIt } from 'node:test';

export function describe(name: string, body: () => void): void {
  nodeDescribe(name, body);
}

export function it(name: string, body: () => void | Promise<void>): void {
  nodeIt(name, body);
}
