import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * `pnpm bench [filter]`: runs every package's compiled benchmarks
 * (packages/<pkg>/dist/bench/*.bench.js) one after another, so they do not
 * compete for the two cores. Each prints its own figures, as ratios against
 * a baseline measured in the same process.
 */
const here = dirname(fileURLToPath(import.meta.url));
const packagesDir = resolve(here, '../../..');

async function main(): Promise<void> {
  const filter = process.argv[2];
  const files: string[] = [];
  for (const pkg of readdirSync(packagesDir).sort()) {
    const dir = join(packagesDir, pkg, 'dist', 'bench');
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) {
      if (!f.endsWith('.bench.js')) continue;
      const path = join(dir, f);
      if (filter && !path.includes(filter)) continue;
      files.push(path);
    }
  }
  if (files.length === 0) {
    process.stderr.write('bench: no compiled benchmarks found (run pnpm build first)\n');
    process.exitCode = 1;
    return;
  }
  for (const file of files) {
    const name = file.slice(packagesDir.length + 1).replace('/dist/bench/', ': ').replace('.bench.js', '');
    process.stdout.write(`\n## ${name}\n`);
    const mod = (await import(pathToFileURL(file).href)) as { default?: () => Promise<void> };
    if (typeof mod.default !== 'function') {
      process.stdout.write('(no default export to run)\n');
      continue;
    }
    await mod.default();
  }
}

void main();
