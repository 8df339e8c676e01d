/**
 * --apply-to: server-side apply of every object to another context (field
 * manager `mc`), all at once, each reported on stderr in manifest order.
 */
import { McError } from '../errors.js';
import { KubeApiError, KubeClient, type ConnectSource, type KubeObject } from '../kube/client.js';

export const FIELD_MANAGER = 'mc';

function describe(o: KubeObject): string {
  return `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
}

/** `report` gets one line per object (stderr); `log` the --verbose lines. */
export async function applyObjects(
  objects: KubeObject[],
  target: ConnectSource & { context: string },
  log: (line: string) => void,
  report: (line: string) => void,
): Promise<void> {
  const client = await KubeClient.connect(target);
  try {
    log(`applying ${objects.length} objects to context "${client.contextName}" (${client.server}) with field manager ${FIELD_MANAGER}`);
    const results = await Promise.allSettled(objects.map((o) => client.apply(o, FIELD_MANAGER)));
    const failed: string[] = [];
    results.forEach((r, i) => {
      const what = describe(objects[i]!);
      if (r.status === 'fulfilled') {
        report(`${what} applied (context ${client.contextName})`);
      } else {
        const err = r.reason as Error;
        let why = err.message;
        if (err instanceof KubeApiError && err.code === 404 && objects[i]!.kind === 'Link') {
          why += ' (is the multicluster extension installed there? `mc install`)';
        }
        report(`${what} FAILED: ${why}`);
        failed.push(what);
      }
    });
    if (failed.length > 0) {
      const first = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!.reason as McError;
      throw new McError(
        `${failed.length} of ${objects.length} objects could not be applied to context "${client.contextName}": ${failed.join(', ')}`,
        first instanceof McError && first.hint ? first.hint : 'Fix the cause above and run the command again; applying is idempotent.',
      );
    }
  } finally {
    client.close();
  }
}
