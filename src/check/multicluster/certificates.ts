/** Beyond upstream: trust anchors and issuers of this cluster and of every linked one stay valid long enough. */
import { commonName, day, EXPIRY_WARNING_DAYS, parsePemBundle, verifyChain, type CertificateInfo } from '../certs.js';
import type { CheckEnv } from '../env.js';
import { CheckWarning } from '../runner.js';
import type { IdentityMaterial } from '../types.js';
import { errText, joinErrors, remoteReadProblem, target } from './shared.js';

/** Certificates must stay valid at least this long (else ‼; expired is ×). */
export const MIN_CERT_VALIDITY_DAYS = EXPIRY_WARNING_DAYS;

/** Problems (errors, warnings) and detail lines for one cluster's anchors and issuer. */
async function lifetimes(cluster: string, m: IdentityMaterial, now: Date): Promise<{ errors: string[]; warnings: string[]; detail: string }> {
  const errors: string[] = [];
  const warnings: string[] = [];
  const judge = (what: string, cert: CertificateInfo) => {
    const name = `${what} "${commonName(cert)}"`;
    if (cert.notYetValid) errors.push(`* ${cluster}: ${name} is not valid before ${cert.notBefore.toISOString()}`);
    else if (cert.expired) errors.push(`* ${cluster}: ${name} expired on ${cert.notAfter.toISOString()}`);
    else if (cert.daysLeft < MIN_CERT_VALIDITY_DAYS) warnings.push(`* ${cluster}: ${name} expires in ${cert.daysLeft} days (${day(cert.notAfter)}), less than ${MIN_CERT_VALIDITY_DAYS}`);
  };
  let anchors: CertificateInfo[] = [];
  const parts: string[] = [];
  try {
    anchors = parsePemBundle(m.anchorsPem, now);
    for (const a of anchors) judge(`trust anchor (${m.anchorsSource})`, a);
    parts.push(`anchors until ${day(new Date(Math.min(...anchors.map((a) => a.notAfter.getTime()))))}`);
  } catch (err) {
    errors.push(`* ${cluster}: cannot parse the trust anchors in ${m.anchorsSource}: ${errText(err)}`);
  }
  if (m.issuerPem) {
    try {
      const issuer = parsePemBundle(m.issuerPem, now)[0]!;
      judge(`issuer certificate (${m.issuerSource})`, issuer);
      parts.push(`issuer until ${day(issuer.notAfter)}`);
      if (anchors.length > 0) {
        const chain = await verifyChain(issuer, anchors);
        if (!chain.ok) errors.push(`* ${cluster}: the issuer certificate (${m.issuerSource}) does not chain to the trust anchors (${m.anchorsSource}): ${chain.problem}`);
      }
    } catch (err) {
      errors.push(`* ${cluster}: cannot parse the issuer certificate in ${m.issuerSource}: ${errText(err)}`);
    }
  } else {
    parts.push(`issuer not checked: ${m.issuerUnavailable ?? 'not found'}`);
  }
  return { errors, warnings, detail: `\t* ${cluster}: ${parts.join(', ')}` };
}

export async function checkCertificateLifetimes(env: CheckEnv): Promise<string[]> {
  const links = await env.validLinks();
  const clusters: Array<{ name: string; material: Promise<IdentityMaterial> }> = [
    { name: env.localName, material: env.localIdentity() },
    ...links.map((link) => ({ name: target(link), material: env.remoteIdentity(link) })),
  ];
  const now = new Date(env.now());
  const judged = await Promise.all(
    clusters.map(async (c) => {
      try {
        return await lifetimes(c.name, await c.material, now);
      } catch (err) {
        return { errors: [remoteReadProblem(c.name, 'fetch the certificates', err)], warnings: [], detail: '' };
      }
    }),
  );
  const errors = judged.flatMap((j) => j.errors);
  const warnings = judged.flatMap((j) => j.warnings);
  if (errors.length > 0) throw new Error(joinErrors([...errors, ...warnings], 1).trimStart());
  if (warnings.length > 0) throw new CheckWarning(joinErrors(warnings, 1).trimStart());
  return judged.map((j) => j.detail).filter((d) => d !== '');
}
