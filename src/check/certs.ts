/**
 * What the checks need from certificates: parse a PEM bundle, compare two
 * sets of anchors, and tell how long a certificate stays valid. Node's
 * X509Certificate does the parsing and signature checks.
 */
import { X509Certificate } from 'node:crypto';

export const DAY_MS = 24 * 60 * 60 * 1000;

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every certificate of a PEM bundle; throws when a block cannot be parsed or there is none. */
export function parsePemBundle(pem: string | undefined): X509Certificate[] {
  const blocks = (pem ?? '').match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) throw new Error('no PEM certificate found');
  return blocks.map((b, i) => {
    try {
      return new X509Certificate(b);
    } catch (err) {
      throw new Error(`certificate #${i + 1} cannot be parsed: ${(err as Error).message}`);
    }
  });
}

/** Same anchors, order free (upstream compares count and then each certificate). */
export function sameAnchors(a: X509Certificate[], b: X509Certificate[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a.map((c) => c.raw.toString('base64')));
  return b.every((c) => set.has(c.raw.toString('base64')));
}

/** "root.linkerd.cluster.local" from "CN=root.linkerd.cluster.local" (first CN, else the whole subject). */
export function commonName(cert: X509Certificate): string {
  const m = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject);
  return m ? m[1]! : cert.subject.replace(/\n/g, ', ');
}

export interface Validity {
  /** ms until notAfter (negative when expired). */
  remainingMs: number;
  notBefore: Date;
  notAfter: Date;
  notYetValid: boolean;
  expired: boolean;
}

export function validityOf(cert: X509Certificate, now = Date.now()): Validity {
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  return {
    remainingMs: notAfter.getTime() - now,
    notBefore,
    notAfter,
    notYetValid: notBefore.getTime() > now,
    expired: notAfter.getTime() <= now,
  };
}

/** "2027-11-26" */
export function day(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** Whether one of the anchors signed the certificate. */
export function issuedByOneOf(cert: X509Certificate, anchors: X509Certificate[]): boolean {
  return anchors.some((a) => {
    try {
      return cert.checkIssued(a) && cert.verify(a.publicKey);
    } catch {
      return false;
    }
  });
}
