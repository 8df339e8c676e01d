/**
 * `mc certs inspect FILE...`: what the certificates are, and whether each
 * chains to a trust anchor among them. The report is the product: stdout.
 */
import { printResult, say } from '../cli-kit.js';
import { McError } from '../errors.js';
import type { IO } from '../io.js';
import * as certs from './index.js';
import type { InspectedCertificate, InspectReport } from './inspect.js';
import { isoSeconds } from './names.js';

export interface InspectOptions {
  /** PEM files: certificates or bundles (trust anchors are the self-signed CAs among them). */
  files: string[];
  /** -o json: the report as JSON on stdout, the verdict line on stderr. */
  json: boolean;
}

function keyIds(c: InspectedCertificate): string {
  const parts = [c.subjectKeyId ? `subject ${c.subjectKeyId}` : 'no subject key id'];
  if (c.authorityKeyId) parts.push(`authority ${c.authorityKeyId}`);
  return parts.join(', ');
}

function render(report: InspectReport): string {
  const lines: string[] = [];
  for (const c of report.certificates) {
    const ca = c.isCA ? `yes, pathlen ${c.pathLength ?? 'unlimited'}` : 'no';
    const days = c.expired ? 'expired' : `${c.daysLeft} day${c.daysLeft === 1 ? '' : 's'} left`;
    lines.push(`${c.source} #${c.index}: ${c.role}`);
    lines.push(`  subject    ${c.subject}`);
    lines.push(`  issuer     ${c.issuer}${c.selfIssued ? ' (self-signed)' : ''}`);
    lines.push(`  serial     ${c.serialNumber}`);
    lines.push(`  validity   ${isoSeconds(c.notBefore)} to ${isoSeconds(c.notAfter)} (${days})`);
    lines.push(`  key        ${c.keyDescription}, signed with ${c.signatureAlgorithm}`);
    lines.push(`  CA         ${ca}`);
    lines.push(`  key ids    ${keyIds(c)}`);
    if (c.dnsNames.length) lines.push(`  DNS names  ${c.dnsNames.join(', ')}`);
    lines.push(`  SHA-256    ${c.fingerprintSha256}`);
    if (c.role === 'trust anchor' && !c.problems.some((p) => p.includes('self-signature'))) lines.push('  √ trust anchor: self-signature verifies');
    if (c.chain?.ok) {
      const via = c.chain.path.slice(1).map((p) => `${p.subject} (${p.source} #${p.index})`);
      lines.push(`  √ chains to the trust anchor: ${via.join(' → ')}`);
    }
    for (const p of c.problems) lines.push(`  × ${p}`);
    for (const w of c.warnings) lines.push(`  ‼ ${w}`);
    for (const n of c.notes) lines.push(`  - ${n}`);
    lines.push('');
  }
  const n = report.certificates.length;
  const head = `${n} certificate${n === 1 ? '' : 's'}`;
  if (!report.ok) lines.push(`× ${head}: ${report.problemCount} problem${report.problemCount === 1 ? '' : 's'}${report.warningCount ? `, ${report.warningCount} warning${report.warningCount === 1 ? '' : 's'}` : ''}`);
  else if (report.warningCount) lines.push(`‼ ${head}: ${report.warningCount} warning${report.warningCount === 1 ? '' : 's'}`);
  else lines.push(`√ ${head}: all valid${report.certificates.some((c) => c.chain) ? ', chains verified' : ''}`);
  return lines.join('\n');
}

function toJson(report: InspectReport): unknown {
  return {
    ok: report.ok,
    problems: report.problemCount,
    warnings: report.warningCount,
    certificates: report.certificates.map((c) => ({
      source: c.source,
      index: c.index,
      role: c.role,
      subject: c.subject,
      issuer: c.issuer,
      serialNumber: c.serialNumber,
      notBefore: isoSeconds(c.notBefore),
      notAfter: isoSeconds(c.notAfter),
      daysLeft: c.daysLeft,
      keyAlgorithm: c.keyAlgorithm,
      ...(c.curve ? { curve: c.curve } : {}),
      ...(c.keyBits ? { keyBits: c.keyBits } : {}),
      signatureAlgorithm: c.signatureAlgorithm,
      isCA: c.isCA,
      pathLength: c.pathLength ?? null,
      subjectKeyId: c.subjectKeyId ?? null,
      authorityKeyId: c.authorityKeyId ?? null,
      dnsNames: c.dnsNames,
      fingerprintSha256: c.fingerprintSha256,
      chain: c.chain ? { ok: c.chain.ok, anchor: c.chain.anchor?.subject ?? null, ...(c.chain.problem ? { problem: c.chain.problem } : {}) } : null,
      problems: c.problems,
      warnings: c.warnings,
    })),
  };
}

export async function runInspect(o: InspectOptions, io: IO): Promise<number> {
  const inputs = await Promise.all(o.files.map(async (source) => ({ source, pem: await certs.readInputFile(source) })));
  for (const i of inputs) {
    if (certs.countPemCertificates(i.pem) === 0) throw new McError(`${i.source} holds no PEM certificate`, 'Pass certificate files (ca.crt, issuer.crt), not keys.');
  }
  let report: InspectReport;
  try {
    report = await certs.inspectCertificates(inputs);
  } catch (err) {
    // A CERTIFICATE block that does not parse (the message names the file and the block).
    throw new McError((err as Error).message, 'Pass PEM certificates ("-----BEGIN CERTIFICATE-----").');
  }
  // The report is the command's product: stdout (| grep, | less). With -o json, stdout is the JSON alone and the verdict line goes to stderr.
  const text = render(report);
  if (o.json) {
    await printResult(io, JSON.stringify(toJson(report), null, 2));
    say(io, text.slice(text.lastIndexOf('\n') + 1));
  } else await printResult(io, text);
  return report.ok ? 0 : 1;
}
