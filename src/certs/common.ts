/** Small helpers shared by the certificate modules. */
import { createHash, randomBytes } from 'node:crypto';

/** Certificates carry whole seconds; keep our dates in step with them. */
export function wholeSeconds(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

/**
 * Clock-skew allowance: notBefore is set this far in the past, so a node whose
 * clock is slightly behind still accepts a brand-new certificate.
 */
export const CLOCK_SKEW_MS = 60_000;

/** A random positive 128-bit serial number, as hex. */
export function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x01; // positive, and no leading zero byte
  return b.toString('hex');
}

/** SHA-256 fingerprint of DER bytes, as openssl prints it (AB:CD:...). */
export function sha256Fingerprint(der: Uint8Array): string {
  return colonHex(createHash('sha256').update(der).digest('hex')).toUpperCase();
}

/** "abcd12" -> "ab:cd:12". */
export function colonHex(hex: string): string {
  return (hex.match(/../g) ?? []).join(':');
}

export { ANCHOR_CN_PREFIX, anchorCommonName, isoSeconds, issuerCommonName } from './names.js';
