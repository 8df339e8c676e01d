/**
 * Identity issuers: intermediate CAs signed by the trust anchor. Always ECDSA
 * P-256 (Linkerd's identity controller refuses anything else), pathlen 0,
 * keyUsage keyCertSign + cRLSign, authority key identifier = the anchor's
 * subject key identifier, validity never past the anchor's.
 */
import { X509Certificate as NodeX509 } from 'node:crypto';
import { McError } from '../errors.js';
import { type GeneratedCA, type SigningCA, caExtensions, generatedCA } from './anchor.js';
import { ANCHOR_CN_PREFIX, CLOCK_SKEW_MS, issuerCommonName, randomSerial, wholeSeconds } from './common.js';
import { generateKeyPair, loadPrivateKey, publicKeyInfoOf } from './keys.js';
import { x509, type X509Certificate } from './x509.js';

export interface IssuerOptions {
  anchor: SigningCA;
  trustDomain: string;
  lifetimeMs: number;
  linkerdNamespace?: string;
  now?: Date;
}

export interface GeneratedIssuer extends GeneratedCA {
  /** True when the requested lifetime went past the anchor and was cut short. */
  clamped: boolean;
}

export async function createIssuer(opts: IssuerOptions): Promise<GeneratedIssuer> {
  const now = opts.now ?? new Date();
  const anchor = opts.anchor.certificate;
  const { keys, algorithms } = await generateKeyPair('ecdsa');
  const cn = issuerCommonName(opts.trustDomain, opts.linkerdNamespace);

  let notBefore = wholeSeconds(new Date(now.getTime() - CLOCK_SKEW_MS));
  if (notBefore < anchor.notBefore) notBefore = anchor.notBefore;
  let notAfter = wholeSeconds(new Date(now.getTime() + opts.lifetimeMs));
  const clamped = notAfter > anchor.notAfter;
  if (clamped) notAfter = anchor.notAfter;

  const anchorSki = anchor.getExtension(x509.SubjectKeyIdentifierExtension);
  const aki = anchorSki
    ? new x509.AuthorityKeyIdentifierExtension(anchorSki.keyId)
    : await x509.AuthorityKeyIdentifierExtension.create(anchor.publicKey);

  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=${cn}`,
    issuer: anchor.subjectName,
    notBefore,
    notAfter,
    publicKey: keys.publicKey as CryptoKey,
    signingKey: opts.anchor.signingKey as CryptoKey,
    signingAlgorithm: opts.anchor.algorithms.sign as Algorithm,
    extensions: await caExtensions(keys.publicKey, cn, 0, aki),
  });
  return { ...(await generatedCA(certificate, keys, algorithms)), clamped };
}

export interface LoadedAnchor extends SigningCA {
  /** "ECDSA P-256", "RSA 4096". */
  keyDescription: string;
  /** The trust domain its CN names (root.linkerd.<domain>), if it follows that pattern. */
  trustDomain?: string;
}

/**
 * Load an existing trust anchor (or other CA) to sign a new issuer with:
 * the certificate must be a CA that may sign CAs, still valid, and the key
 * must belong to it.
 */
export async function loadSigningCA(
  certPem: string,
  keyPem: string,
  where: { cert: string; key: string },
  now: Date = new Date(),
): Promise<LoadedAnchor> {
  const blocks = x509.PemConverter.decodeWithHeaders(certPem).filter((b) => b.type === 'CERTIFICATE');
  if (blocks.length === 0) {
    throw new McError(`${where.cert} holds no PEM certificate`, 'Pass the trust anchor certificate (ca.crt) with --ca-cert.');
  }
  let certificate: X509Certificate;
  try {
    certificate = new x509.X509Certificate(blocks[0]!.rawData);
  } catch (err) {
    throw new McError(`${where.cert}: cannot parse the certificate: ${(err as Error).message}`, 'Pass a PEM X.509 certificate with --ca-cert.');
  }
  const bc = certificate.getExtension(x509.BasicConstraintsExtension);
  if (!bc?.ca) {
    throw new McError(
      `${where.cert} is not a CA certificate (${certificate.subject}): it cannot sign an issuer`,
      'Pass the trust anchor (the ca.crt of `mc certs generate`), not an issuer or workload certificate.',
    );
  }
  if (bc.pathLength === 0) {
    throw new McError(
      `${where.cert} (${certificate.subject}) has pathlen 0: it may sign only end-entity certificates, not an issuer`,
      'Pass the trust anchor itself with --ca-cert.',
    );
  }
  const ku = certificate.getExtension(x509.KeyUsagesExtension);
  if (ku && (ku.usages & x509.KeyUsageFlags.keyCertSign) === 0) {
    throw new McError(`${where.cert} (${certificate.subject}) lacks the keyCertSign key usage: it cannot sign certificates`, 'Pass the trust anchor with --ca-cert.');
  }
  if (certificate.notAfter <= now) {
    throw new McError(
      `${where.cert} (${certificate.subject}) expired on ${certificate.notAfter.toISOString()}`,
      'Make a new trust anchor with `mc certs generate` and roll it out to every cluster.',
    );
  }
  const key = await loadPrivateKey(keyPem, where.key);
  const certSpki = new NodeX509(Buffer.from(certificate.rawData)).publicKey.export({ format: 'der', type: 'spki' });
  if (!publicKeyInfoOf(key.keyObject).equals(certSpki)) {
    throw new McError(
      `${where.key} does not match ${where.cert}: the key is not the certificate's private key`,
      'Pass the key file written together with that certificate (ca.key next to ca.crt).',
    );
  }
  const cn = /(?:^|,\s*)CN=([^,]+)/.exec(certificate.subject)?.[1];
  const trustDomain = cn?.startsWith(ANCHOR_CN_PREFIX) ? cn.slice(ANCHOR_CN_PREFIX.length) : undefined;
  return { certificate, signingKey: key.cryptoKey, algorithms: key.algorithms, keyDescription: key.description, trustDomain };
}
