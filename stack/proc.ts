import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A system account to run a server as (postgres refuses to run as root). */
export interface RunAs { readonly uid: number; readonly gid: number; readonly home: string }

export interface SpawnSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly logPath: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly runAs?: RunAs;
}

function childEnv(spec: SpawnSpec): NodeJS.ProcessEnv {
  const env = { ...process.env, ...spec.env };
  if (spec.runAs !== undefined) { env['HOME'] = spec.runAs.home; delete env['USER']; delete env['LOGNAME']; }
  return env;
}

/**
 * Starts a long-running server in its own process group with stdout/stderr appended to its log,
 * so it outlives this process; resolves with the pid once the OS has started it.
 */
export async function spawnDetached(spec: SpawnSpec): Promise<number> {
  mkdirSync(dirname(spec.logPath), { recursive: true });
  const fd = openSync(spec.logPath, 'a');
  try {
    const child = spawn(spec.command, [...spec.args], {
      detached: true, stdio: ['ignore', fd, fd], cwd: spec.cwd, env: childEnv(spec),
      uid: spec.runAs?.uid, gid: spec.runAs?.gid,
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    child.unref();
    if (child.pid === undefined) throw new Error(`${spec.command} did not start`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

export interface RunResult { readonly code: number; readonly output: string }

/** Runs a short command to completion, appending its output to the log and keeping the tail. */
export async function runCommand(spec: SpawnSpec): Promise<RunResult> {
  mkdirSync(dirname(spec.logPath), { recursive: true });
  const fd = openSync(spec.logPath, 'a');
  writeFileSync(fd, `\n$ ${spec.command} ${spec.args.join(' ')}\n`);
  try {
    const child = spawn(spec.command, [...spec.args], {
      stdio: ['ignore', 'pipe', 'pipe'], cwd: spec.cwd, env: childEnv(spec),
      uid: spec.runAs?.uid, gid: spec.runAs?.gid,
    });
    let output = '';
    const collect = (chunk: Buffer): void => { writeFileSync(fd, chunk); output = (output + chunk.toString()).slice(-20_000); };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const code = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c) => resolve(c ?? 1));
    });
    return { code, output };
  } finally {
    closeSync(fd);
  }
}

export function isAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM'; }
}

/** True when the pid is alive and, where /proc exists, its command line contains the marker. */
export function isOurProcess(pid: number, marker: string): boolean {
  if (!isAlive(pid)) return false;
  const cmdline = `/proc/${pid}/cmdline`;
  if (!existsSync('/proc/self/cmdline')) return true;
  try { return readFileSync(cmdline, 'utf8').replace(/\0/g, ' ').includes(marker); } catch { return false; }
}

export function readPid(path: string): number | undefined {
  if (!existsSync(path)) return undefined;
  const pid = Number(readFileSync(path, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function writePid(path: string, pid: number): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${pid}\n`);
}

export function removePid(path: string): void { rmSync(path, { force: true }); }

/** Signals the process, waits up to `graceMs` for it to exit, then kills it. */
export async function stopProcess(pid: number, signal: NodeJS.Signals, graceMs: number): Promise<'stopped' | 'killed'> {
  try { process.kill(pid, signal); } catch { return 'stopped'; }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'stopped';
    await sleep(200);
  }
  try { process.kill(-pid, 'SIGKILL'); } catch { /* not a group leader, or gone */ }
  try { process.kill(pid, 'SIGKILL'); } catch { return 'stopped'; }
  return 'killed';
}

/** Finds an executable on PATH (or an absolute path), like `command -v`. */
export function findExecutable(name: string): string | undefined {
  if (name.startsWith('/')) return existsSync(name) ? name : undefined;
  for (const dir of (process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir !== '' && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** The uid, gid and home of a system account from /etc/passwd, or undefined when it does not exist. */
export function systemUser(name: string, passwd = '/etc/passwd'): RunAs | undefined {
  if (!existsSync(passwd)) return undefined;
  for (const line of readFileSync(passwd, 'utf8').split('\n')) {
    const [user, , uid, gid, , home] = line.split(':');
    if (user === name && uid !== undefined && gid !== undefined) return { uid: Number(uid), gid: Number(gid), home: home ?? '/' };
  }
  return undefined;
}

export function isRoot(): boolean { return typeof process.getuid === 'function' && process.getuid() === 0; }
