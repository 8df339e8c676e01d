/**
 * Writing certificate and key files safely: all or nothing.
 *
 * 1. Every target is checked first; an existing file is refused without
 *    `force` (listing all of them) before anything is written.
 * 2. Folders are created, then every file is written to a temporary file in
 *    its own folder (mode set at creation: keys 0600) and flushed.
 * 3. Only when all temporary files exist are they renamed into place
 *    (atomic per file). On any failure the temporary files and the folders
 *    this call created are removed: nothing half-written remains. The same
 *    happens when `signal` is aborted (Ctrl-C, SIGTERM) before the renames.
 *
 * And reading the PEM files the certs commands are given, with one error wording.
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fs, renameSync, rmdirSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { McError } from '../errors.js';

export interface PlannedFile {
  path: string;
  content: string;
  /** 0o600 for keys, 0o644 for certificates. */
  mode: number;
}

export const KEY_MODE = 0o600;
export const CERT_MODE = 0o644;

function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException)?.code;
}

function writeError(err: unknown, target: string): McError {
  const c = code(err);
  const reason =
    c === 'EACCES' || c === 'EPERM'
      ? 'permission denied'
      : c === 'EROFS'
        ? 'read-only file system'
        : c === 'ENOTDIR'
          ? 'a parent of it is a file, not a folder'
          : c === 'ENOSPC'
            ? 'no space left on the device'
            : c === 'EISDIR'
              ? 'it is a folder'
              : (err as Error).message;
  return new McError(
    `cannot write ${target}: ${reason}; nothing was written`,
    'Choose a folder you can write to with --dir, or fix its permissions.',
  );
}

async function exists(p: string): Promise<'file' | 'other' | false> {
  try {
    const st = await fs.lstat(p);
    return st.isFile() ? 'file' : 'other';
  } catch (err) {
    if (code(err) === 'ENOENT') return false;
    if (code(err) === 'ENOTDIR') return false; // reported when writing
    throw writeError(err, p);
  }
}

/** Create `dir` and its missing parents; returns the folders created, outermost first. */
async function makeDirs(dir: string): Promise<string[]> {
  const missing: string[] = [];
  let d = path.resolve(dir);
  for (;;) {
    try {
      const st = await fs.stat(d);
      if (!st.isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
      break;
    } catch (err) {
      if (code(err) !== 'ENOENT') throw err;
      missing.unshift(d);
      const parent = path.dirname(d);
      if (parent === d) break;
      d = parent;
    }
  }
  const created: string[] = [];
  try {
    for (const m of missing) {
      await fs.mkdir(m, { mode: 0o755 });
      created.push(m);
    }
  } catch (err) {
    await removeDirs(created);
    throw err;
  }
  return created;
}

async function removeDirs(dirs: string[]): Promise<void> {
  for (const d of [...dirs].reverse()) await fs.rmdir(d).catch(() => undefined);
}

/** The error for files that exist and may not be overwritten. */
export function overwriteRefusal(existing: string[]): McError {
  return new McError(
    `refusing to overwrite existing file${existing.length > 1 ? 's' : ''}: ${existing.join(', ')}; nothing was written`,
    'Pass --force to replace them, or choose another --dir.',
  );
}

interface ReadInputOptions {
  /** Named in the error: `cannot read the WHAT FILE`. */
  what?: string;
  hint?: string;
}

/** A PEM input file's text; failing, an McError naming the file and why: `cannot read [the WHAT ]FILE: no such file`. */
export function readInputFile(file: string, opts?: ReadInputOptions): Promise<string>;
/** absentIsNormal: no such file is undefined, not an error (a file an earlier step makes, or not yet); other failures as above. */
export function readInputFile(file: string, opts: ReadInputOptions & { absentIsNormal: true }): Promise<string | undefined>;
export async function readInputFile(file: string, opts: ReadInputOptions & { absentIsNormal?: boolean } = {}): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    const c = code(err);
    if (c === 'ENOENT' && opts.absentIsNormal) return undefined;
    const reason = c === 'ENOENT' ? 'no such file' : c === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new McError(`cannot read ${opts.what ? `the ${opts.what} ` : ''}${file}: ${reason}`, opts.hint);
  }
}

/** The paths among `files` that already exist. */
export async function existingTargets(files: PlannedFile[]): Promise<string[]> {
  const found: string[] = [];
  for (const f of files) if (await exists(f.path)) found.push(f.path);
  return found;
}

/** Write all files or none (see the module comment). */
export async function writeFilesAtomically(files: PlannedFile[], opts: { force?: boolean; signal?: AbortSignal } = {}): Promise<void> {
  const stopIfInterrupted = () => {
    if (opts.signal?.aborted) throw new McError('interrupted; nothing was written');
  };
  stopIfInterrupted();
  // 1. Check every target before touching anything.
  const existing: string[] = [];
  for (const f of files) {
    const kind = await exists(f.path);
    if (kind === 'other') throw new McError(`cannot write ${f.path}: something other than a file is in the way; nothing was written`, 'Remove it or choose another --dir.');
    if (kind) existing.push(f.path);
  }
  if (existing.length > 0 && !opts.force) throw overwriteRefusal(existing);

  // 2. Folders, then temporary files next to their targets.
  const createdDirs: string[] = [];
  const temps: { temp: string; target: string }[] = [];
  const cleanup = async () => {
    for (const t of temps) await fs.unlink(t.temp).catch(() => undefined);
    await removeDirs(createdDirs);
  };
  // The entry point ends the process right after aborting the signal: only a synchronous cleanup runs in time.
  const cleanupNow = () => {
    for (const t of temps) {
      try {
        unlinkSync(t.temp);
      } catch {
        // not created yet, or gone
      }
    }
    for (const d of [...createdDirs].reverse()) {
      try {
        rmdirSync(d);
      } catch {
        // not empty or gone
      }
    }
  };
  opts.signal?.addEventListener('abort', cleanupNow, { once: true });
  let current = '';
  try {
    for (const dir of new Set(files.map((f) => path.dirname(f.path)))) {
      current = dir;
      createdDirs.push(...(await makeDirs(dir)));
    }
    // All files at once, so that their flushes to disk overlap instead of waiting one after another.
    const planned = files.map((f) => ({ temp: path.join(path.dirname(f.path), `.${path.basename(f.path)}.${randomBytes(6).toString('hex')}.tmp`), target: f.path }));
    temps.push(...planned); // before they exist: an interrupt during the opens removes them too
    const written = await Promise.allSettled(
      files.map(async (f, i) => {
        const entry = planned[i]!;
        const handle = await fs.open(entry.temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, f.mode).catch((err: unknown) => {
          temps.splice(temps.indexOf(entry), 1); // not ours to remove
          throw err;
        });
        try {
          await handle.chmod(f.mode); // exact mode, whatever the umask
          await handle.writeFile(f.content, 'utf8');
          await handle.sync();
        } finally {
          await handle.close();
        }
        stopIfInterrupted();
      }),
    );
    const failed = written.findIndex((w) => w.status === 'rejected');
    if (failed >= 0) {
      current = files[failed]!.path;
      throw (written[failed] as PromiseRejectedResult).reason;
    }
  } catch (err) {
    opts.signal?.removeEventListener('abort', cleanupNow);
    await cleanup();
    throw err instanceof McError ? err : writeError(err, current);
  }

  // 3. Rename into place, synchronously: no interrupt can land between two renames.
  const done: string[] = [];
  try {
    for (const t of temps) {
      current = t.target;
      renameSync(t.temp, t.target);
      done.push(t.target);
    }
    opts.signal?.removeEventListener('abort', cleanupNow);
  } catch (err) {
    opts.signal?.removeEventListener('abort', cleanupNow);
    await cleanup();
    const e = writeError(err, current);
    if (done.length > 0) e.message = e.message.replace('; nothing was written', `; already written: ${done.join(', ')}`);
    throw e;
  }
}
