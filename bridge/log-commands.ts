/** `fhir-bridge monitor` and `fhir-bridge witness`: the verifiable log's outside observers. */
import type { Command } from 'commander';

export function registerLogCommands(_program: Command): void {}
