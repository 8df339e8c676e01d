/**
 * One worker of run-all.ts: runs test files of the shared queue, one at a
 * time, in this process. A file is claimed by creating its folder (mkdir is
 * atomic, so no two workers run the same file), then imported inside a
 * suite named after it: its tests and its top-level before/after hooks belong
 * to that suite, so its clusters are stopped before the next file starts.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe } from 'node:test';

/** The environment variable naming the run's folder (queue.json, claimed/, done/). */
export const QUEUE_ENV = 'MC_TEST_QUEUE';

export interface Queue {
  files: Array<{ name: string; url: string }>;
}

function claim(dir: string, name: string): boolean {
  try {
    mkdirSync(join(dir, 'claimed', name));
    return true;
  } catch {
    return false; // another worker has it
  }
}

export async function runQueue(): Promise<void> {
  const dir = process.env[QUEUE_ENV];
  if (!dir) throw new Error(`${QUEUE_ENV} is not set: run the suite with node dist/test/helpers/run-all.js`);
  const queue = JSON.parse(readFileSync(join(dir, 'queue.json'), 'utf8')) as Queue;
  for (const { name, url } of queue.files) {
    if (!claim(dir, name)) continue;
    // Resolved by an after hook registered last, so it runs once the file's own after hooks are done.
    await new Promise<void>((resolve) => {
      describe(name, async () => {
        try {
          await import(url);
        } finally {
          after(() => {
            writeFileSync(join(dir, 'done', name), '');
            resolve();
          });
        }
      });
    });
  }
}
