import { Command } from 'commander';
import { registerAnchorCommands } from '../../../bridge/anchor/commands';
import { registerLogCommands } from '../../../bridge/log-commands';

/** Runs a `fhir-bridge` subcommand in process (the commands the CLI registers); returns its exit code and output. */
export async function runCli(args: string[]): Promise<{ code: number | undefined; out: string }> {
  const out: string[] = [];
  const l = jest.spyOn(console, 'log').mockImplementation((m: string) => void out.push(m));
  const e = jest.spyOn(console, 'error').mockImplementation((m: string) => void out.push(m));
  try {
    const program = new Command().exitOverride();
    registerAnchorCommands(program);
    registerLogCommands(program);
    process.exitCode = undefined;
    await program.parseAsync(args, { from: 'user' });
    return { code: process.exitCode as number | undefined, out: out.join('\n') };
  } finally {
    process.exitCode = undefined;
    l.mockRestore();
    e.mockRestore();
  }
}
