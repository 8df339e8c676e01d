/** SelfSubjectAccessReview: may the identity of a client do VERB on RESOURCE? */
import type { LimitedClient } from './limited-client.js';

export interface AccessReview {
  allowed: boolean;
  reason?: string;
}

export async function accessReview(client: LimitedClient, verb: string, group: string, resource: string, namespace: string): Promise<AccessReview> {
  const review = await client.create<{ status?: { allowed?: boolean; reason?: string } }>(
    { apiVersion: 'authorization.k8s.io/v1', resource: 'selfsubjectaccessreviews' },
    {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { namespace, verb, group, version: group === '' ? 'v1' : '', resource } },
    },
  );
  return { allowed: Boolean(review.status?.allowed), reason: review.status?.reason || undefined };
}
