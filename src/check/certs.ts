/**
 * What the checks need from certificates, on top of src/certs/inspect.ts
 * (parsing, validity, chain verification): a bundle that must hold at least
 * one certificate, anchor-set comparison, and short names for messages.
 */
import { describePemCertificates, EXPIRY_WARNING_DAYS, verifyChain, type CertificateInfo } from '../certs/inspect.js';

export { EXPIRY_WARNING_DAYS, verifyChain, type CertificateInfo };

const parsed = new Map<string, CertificateInfo[]>();

/**
 * Every certificate of a PEM bundle; throws when there is none or one does not
 * parse. Bundles are parsed once per process: linked clusters usually share
 * their anchors, and parsing is the costly part.
 */
export function parsePemBundle(pem: string | undefined, now = new Date()): CertificateInfo[] {
  const text = (pem ?? '').trim();
  let certs = parsed.get(text);
  if (!certs) {
    certs = describePemCertificates(text, { now });
    parsed.set(text, certs);
  }
  if (certs.length === 0) throw new Error('no PEM certificate found');
  return certs;
}

/** "root.linkerd.cluster.local" from "CN=root.linkerd.cluster.local" (else the whole subject). */
export function commonName(cert: CertificateInfo): string {
  const m = /(?:^|,\s*)CN=([^,]+)/.exec(cert.subject);
  return m ? m[1]!.trim() : cert.subject;
}

/** "2027-11-26" */
export function day(d: Date): string {
  return d.toISOString().slice(0, 10);
}
