/**
 * A memo of promises: each key's read starts once and every caller shares
 * its result. A rejected read may stay unawaited without an "unhandled
 * rejection" until someone awaits it.
 */
export class Memo {
  private readonly entries = new Map<string, Promise<unknown>>();

  once<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let p = this.entries.get(key) as Promise<T> | undefined;
    if (!p) {
      p = fn();
      p.catch(() => undefined);
      this.entries.set(key, p);
    }
    return p;
  }

  /** Drop the entries whose key starts with prefix (retrying checks read fresh). */
  forget(prefix: string): void {
    for (const k of [...this.entries.keys()]) if (k.startsWith(prefix)) this.entries.delete(k);
  }
}
