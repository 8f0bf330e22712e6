/**
 * Running the schedulers' own commands (sbatch, squeue, scancel): every failure becomes one error that names the
 * command line and carries its stderr, because that text (an unknown partition, an invalid account, a time limit
 * over the partition's) is what the user has to act on.
 */
import { spawnSync } from 'node:child_process';

/**
 * A scheduler command failed or is missing. A RangeError so that `pnpm bench` prints it as a user error (its whole
 * message, exit code 2) rather than as an internal error: the fix is in the user's cluster or flags, not in the bench.
 */
export class ExternalCommandError extends RangeError {
  constructor(
    message: string,
    /** The command's exit code; undefined when it did not run or was killed by a signal. */
    readonly exitCode?: number,
    /** Its stderr, trimmed. */
    readonly stderr = '',
  ) {
    super(message);
    this.name = 'ExternalCommandError';
  }
}

/** Why a command may be missing, per command, for the error message. */
const MISSING_HINTS: Record<string, string> = {
  sbatch: "Slurm's client commands are not on PATH: run pnpm bench slurm on a Slurm login node (or use --dry-run to print the scripts)",
  squeue: "Slurm's client commands are not on PATH",
  scancel: "Slurm's client commands are not on PATH",
};

/** The longest stderr an error message carries (a scheduler's error is a line or two; a crash may be pages). */
const MAX_STDERR = 2000;

/** `cmd args...` as one readable line (arguments with spaces quoted). */
export function commandLine(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map((a) => (/^[\w./:=,%@+-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

/**
 * Runs `cmd` with `args` (no shell) and returns its stdout. Throws {@link ExternalCommandError} when it cannot be
 * started, is killed, or exits non-zero; the message names the command line and quotes its stderr.
 */
export function runExternal(cmd: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): string {
  const line = commandLine(cmd, args);
  const result = spawnSync(cmd, [...args], { encoding: 'utf8', env: options.env ?? process.env, timeout: options.timeoutMs ?? 120_000 });
  if (result.error !== undefined) {
    const code = (result.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ExternalCommandError(`${line}: '${cmd}' not found (${MISSING_HINTS[cmd] ?? 'it is not on PATH'})`);
    if (code === 'ETIMEDOUT') throw new ExternalCommandError(`${line}: no answer in ${(options.timeoutMs ?? 120_000) / 1000} s (is the scheduler up?)`);
    throw new ExternalCommandError(`${line}: could not run it: ${result.error.message}`);
  }
  const stderr = (result.stderr ?? '').trim();
  if (result.status !== 0) {
    const how = result.status === null ? `killed by ${result.signal}` : `exit code ${result.status}`;
    const text = stderr.length > MAX_STDERR ? `${stderr.slice(0, MAX_STDERR)}...` : stderr;
    throw new ExternalCommandError(`${line} failed (${how}): ${text || (result.stdout ?? '').trim() || 'no output'}`, result.status ?? undefined, stderr);
  }
  return result.stdout ?? '';
}
