/**
 * What link reads from the cluster being linked, turned into plain facts:
 * the remote-access service account's token from its token Secret (the
 * trust and cluster domains come from src/linkerd-config.ts).
 */
import { McError } from '../errors.js';
import { secretText } from '../kube/resources.js';
import { SA_NAME_ANNOTATION, TOKEN_KEY } from '../multicluster/names.js';

export interface SecretLike {
  metadata: { name?: string; annotations?: Record<string, string> };
  type?: string;
  data?: Record<string, string>;
}

export class TokenNotFound extends McError {}

/** The token of a service account, from the token Secrets of its namespace (as upstream finds it). */
export function findServiceAccountToken(secrets: SecretLike[], account: string, where: string, allowHint: string): string {
  const secret = secrets.find((s) => s.metadata.annotations?.[SA_NAME_ANNOTATION] === account);
  if (!secret) {
    throw new TokenNotFound(`no token Secret for service account "${account}" in ${where}: no Secret of type kubernetes.io/service-account-token is annotated ${SA_NAME_ANNOTATION}=${account}`, allowHint);
  }
  const b64 = secret.data?.[TOKEN_KEY];
  if (!b64) {
    throw new McError(
      `the token Secret "${secret.metadata.name}" of service account "${account}" in ${where} holds no token yet`,
      'Kubernetes fills it in a moment after the Secret is created; run link again, and check that the token controller is running.',
    );
  }
  return secretText(b64)!;
}
