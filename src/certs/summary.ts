/** How a written certificate is reported: one human line, and its JSON summary (-o json). Pure. */
import type { CertificateInfo } from './inspect.js';
import { isoSeconds } from './names.js';

/** The JSON summary of a written certificate. */
export function certSummary(info: CertificateInfo, files: { certificate: string; key?: string }): Record<string, unknown> {
  return {
    certificate: files.certificate,
    ...(files.key ? { key: files.key } : {}),
    subject: info.subject,
    issuer: info.issuer,
    serialNumber: info.serialNumber,
    keyAlgorithm: info.keyDescription,
    isCA: info.isCA,
    ...(info.pathLength !== undefined ? { pathLength: info.pathLength } : {}),
    ...(info.subjectKeyId ? { subjectKeyId: info.subjectKeyId } : {}),
    ...(info.authorityKeyId ? { authorityKeyId: info.authorityKeyId } : {}),
    fingerprintSha256: info.fingerprintSha256,
    notBefore: isoSeconds(info.notBefore),
    notAfter: isoSeconds(info.notAfter),
  };
}

/** One human line about a written certificate. */
export function certLine(role: string, info: CertificateInfo): string {
  const days = Math.round((info.notAfter.getTime() - info.notBefore.getTime()) / 86_400_000);
  return `${role} ${info.subject} (${info.keyDescription}), valid until ${isoSeconds(info.notAfter)} (${days} days)`;
}
