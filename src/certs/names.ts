/** Names and formats for certificates: pure, light imports only (command files load this eagerly). */
import { UsageError } from '../errors.js';

export const ANCHOR_CN_PREFIX = 'root.linkerd.';

/** CN of the trust anchor for a trust domain. */
export function anchorCommonName(trustDomain: string): string {
  return `${ANCHOR_CN_PREFIX}${trustDomain}`;
}

/** CN (and DNS SAN) of an issuer: identity.<control-plane namespace>.<trust domain>. */
export function issuerCommonName(trustDomain: string, linkerdNamespace = 'linkerd'): string {
  return `identity.${linkerdNamespace}.${trustDomain}`;
}

/** ISO 8601 in UTC without milliseconds (certificates have none): 2036-11-23T03:26:22Z. */
export function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A trust domain that is not a DNS name, from a flag or an anchor's name (`shown` as given). */
export function invalidTrustDomain(shown: string): UsageError {
  return new UsageError(`invalid trust domain "${shown}"`, 'Use a DNS name such as cluster.local.');
}
