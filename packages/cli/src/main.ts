import { Command } from 'commander';
import { registerSimulateCommands } from './commands/simulate.js';
import { registerAgentCommands } from './commands/agent.js';
import { registerStonithCommands } from './commands/stonith.js';
import { registerClusterKeygenCommands } from './commands/cluster-keygen.js';
import { registerDaemonCommands } from './commands/daemon.js';
import { registerClientCommands, registerFenceCommands } from './commands/client.js';
import { registerDemoCommands } from './commands/demo.js';

export async function main(argv: string[]): Promise<number> {
  const program = new Command('vigil');
  program.description('Vigil cluster resource manager');
  registerSimulateCommands(program);
  registerAgentCommands(program);
  registerStonithCommands(program);
  registerClusterKeygenCommands(program);
  registerDaemonCommands(program);
  registerClientCommands(program);
  registerFenceCommands(program);
  registerDemoCommands(program);
  await program.parseAsync(argv);
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}
