import { Command } from 'commander';

export async function main(argv: string[]): Promise<number> {
  const program = new Command('vigil');
  program.description('Vigil cluster resource manager');
  await program.parseAsync(argv);
  return 0;
}
