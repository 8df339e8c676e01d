/**
 * Local paths for flags and arguments that take files. The shell's own file
 * completion is not reachable through the generated scripts' protocol in
 * every shell, so the folder of the typed word is listed here: entries that
 * start with what is typed, folders with a trailing `/`, hidden entries only
 * when a `.` is typed.
 */
import { readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function localPaths(word: string, opts: { dirsOnly?: boolean; cwd?: string } = {}): string[] {
  const slash = word.lastIndexOf('/');
  const dirPart = slash === -1 ? '' : word.slice(0, slash + 1);
  const base = word.slice(slash + 1);
  const cwd = opts.cwd ?? '.';
  const dir = dirPart === '' ? cwd : dirPart.startsWith('~/') ? join(homedir(), dirPart.slice(2)) : dirPart.startsWith('/') ? dirPart : join(cwd, dirPart);
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    if (!e.name.startsWith(base) || (e.name.startsWith('.') && !base.startsWith('.'))) continue;
    const isDir = e.isDirectory() || (e.isSymbolicLink() && isDirectory(join(dir, e.name)));
    if (isDir) out.push(`${dirPart}${e.name}/`);
    else if (!opts.dirsOnly) out.push(`${dirPart}${e.name}`);
  }
  return out.sort();
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
