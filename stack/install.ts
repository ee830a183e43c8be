import { existsSync } from 'node:fs';
import { findExecutable, isRoot, runCommand } from './proc.js';
import { stackFailed } from './failure.js';
import type { ComponentName, Requirement, StackContext } from './types.js';

export const JAVA: Requirement = { aptPackage: 'openjdk-17-jre-headless', present: () => findExecutable('java') !== undefined, what: 'java (Java 17)' };
export const MAVEN: Requirement = { aptPackage: 'maven', present: () => findExecutable('mvn') !== undefined, what: 'mvn (Maven)' };

/** A requirement met when any of the given paths or commands exists. */
export function needs(aptPackage: string, what: string, ...candidates: string[]): Requirement {
  return { aptPackage, what, present: () => candidates.some((c) => (c.startsWith('/') ? existsSync(c) : findExecutable(c) !== undefined)) };
}

/** Packages still to install, each once, in a stable order. */
export function missingPackages(reqs: readonly Requirement[]): string[] {
  return [...new Set(reqs.filter((r) => !r.present()).map((r) => r.aptPackage))];
}

/**
 * Installs missing Debian packages in one apt transaction (apt holds a global lock, so never
 * concurrently). Runs `apt-get update` first, once per call.
 */
export async function installPackages(ctx: StackContext, reqs: readonly Requirement[]): Promise<void> {
  const missing = missingPackages(reqs);
  if (missing.length === 0) return;
  const log = ctx.layout.logPath('install');
  const manual = `install them with: sudo apt-get update && sudo apt-get install -y ${missing.join(' ')}`;
  const what = reqs.filter((r) => missing.includes(r.aptPackage)).map((r) => r.what).join(', ');
  if (!isRoot() || findExecutable('apt-get') === undefined) {
    throw stackFailed('stack', `missing ${what}, and this process cannot install packages (needs root and apt-get)`, manual, log);
  }
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  ctx.reporter.progress('stack', `installing ${missing.join(', ')} with apt-get (first run only, ~1-2 min)`);
  ctx.reporter.progress('stack', 'apt-get update');
  const update = await runCommand({ command: 'apt-get', args: ['update'], logPath: log, env });
  if (update.code !== 0) throw stackFailed('stack', `apt-get update failed (exit ${update.code})`, 'check network access to the Debian mirrors, then retry', log);
  ctx.reporter.progress('stack', `apt-get install ${missing.join(' ')}`);
  const install = await runCommand({ command: 'apt-get', args: ['install', '-y', '--no-install-recommends', ...missing], logPath: log, env });
  if (install.code !== 0) throw stackFailed('stack', `apt-get install ${missing.join(' ')} failed (exit ${install.code})`, manual, log);
  const still = missingPackages(reqs);
  if (still.length > 0) throw stackFailed('stack', `${still.join(', ')} installed but the expected files are still missing`, manual, log);
}

/** Runs Maven in batch mode, quietly, failing with the component's log on error. */
export async function runMaven(ctx: StackContext, component: ComponentName, args: readonly string[]): Promise<void> {
  const log = ctx.layout.logPath(component);
  const result = await runCommand({ command: 'mvn', args: ['-q', '-B', '-Dstyle.color=never', ...args], logPath: log });
  if (result.code !== 0) {
    throw stackFailed(component, `mvn ${args.join(' ')} failed (exit ${result.code})`, 'check network access to Maven Central (repo.maven.apache.org) and ~/.m2, then run `careloop stack up` again', log);
  }
}
