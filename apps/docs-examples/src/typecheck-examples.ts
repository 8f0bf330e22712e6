/**
 * Type-checks the TypeScript examples: tsx strips types without checking them, so a block that runs can still
 * show a reader code that does not compile (a wrong option name, a missing cast). One `tsc` over all blocks.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CodeExample } from './extract.js';

const APP = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TSC = createRequire(join(APP, 'package.json')).resolve('typescript/bin/tsc');

/** One block to check: the Markdown file it comes from, and the block. */
export interface TypecheckInput {
  file: string;
  example: CodeExample;
}

/**
 * Runs `tsc --noEmit` (the repository's strict settings, each block its own module) over the given TypeScript
 * blocks; resolves with tsc's exit code and its diagnostics, positions rewritten to `file:line:column`.
 */
export async function typecheckExamples(blocks: TypecheckInput[]): Promise<{ code: number | null; output: string }> {
  const dir = join(APP, '.examples', 'typecheck');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const origin = new Map<string, TypecheckInput>();
  for (const block of blocks) {
    const name = `${block.file.replace(/[/\\]/g, '__').replace(/\.md$/, '')}-L${block.example.fenceLine}.ts`;
    origin.set(name, block);
    writeFileSync(join(dir, name), block.example.code);
  }
  const base = relative(dir, join(APP, '../../tsconfig.base.json'));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ extends: base, compilerOptions: { noEmit: true, moduleDetection: 'force' }, include: ['*.ts'] }),
  );
  const output = await new Promise<{ code: number | null; text: string }>((resolvePromise, reject) => {
    const child = spawn(process.execPath, [TSC, '-p', join(dir, 'tsconfig.json'), '--pretty', 'false'], { cwd: dir });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, text }));
  });
  // tsc prints `<name>.ts(line,column): error TS...`, relative to the project folder or absolute.
  const mapped = output.text.replace(/(?:[^\s(]*[/\\])?([\w.-]+-L\d+\.ts)\((\d+),(\d+)\)/g, (whole, name: string, line: string, column: string) => {
    const block = origin.get(name);
    return block ? `${block.file}:${block.example.fenceLine + Number(line)}:${column}` : whole;
  });
  if (output.code === 0) rmSync(dir, { recursive: true, force: true });
  return { code: output.code, output: mapped };
}
