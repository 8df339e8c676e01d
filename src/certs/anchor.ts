/**
 * The shared trust anchor: a self-signed root CA, ECDSA P-256 by default
 * (Linkerd also accepts RSA 2048/4096 anchors), with critical basicConstraints
 * (CA, no path length limit), critical keyUsage keyCertSign + cRLSign, a
 * subject key identifier and the CN as DNS SAN.
 */
import { webcrypto } from 'node:crypto';
import { anchorCommonName, CLOCK_SKEW_MS, randomSerial, wholeSeconds } from './common.js';
import { generateKeyPair, privateKeyToPem, type AnchorKeyType, type SigningAlgorithms } from './keys.js';
import { x509, type X509Certificate } from './x509.js';

export interface TrustAnchorOptions {
  trustDomain: string;
  lifetimeMs: number;
  keyType?: AnchorKeyType;
  now?: Date;
}

/** A CA that can sign: its certificate and private key. */
export interface SigningCA {
  certificate: X509Certificate;
  signingKey: webcrypto.CryptoKey;
  algorithms: SigningAlgorithms;
}

export interface GeneratedCA extends SigningCA {
  certPem: string;
  keyPem: string;
}

export const CA_KEY_USAGES = x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign;

export async function createTrustAnchor(opts: TrustAnchorOptions): Promise<GeneratedCA> {
  const now = opts.now ?? new Date();
  const { keys, algorithms } = await generateKeyPair(opts.keyType ?? 'ecdsa');
  const cn = anchorCommonName(opts.trustDomain);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=${cn}`,
    notBefore: wholeSeconds(new Date(now.getTime() - CLOCK_SKEW_MS)),
    notAfter: wholeSeconds(new Date(now.getTime() + opts.lifetimeMs)),
    keys,
    signingAlgorithm: algorithms.sign as Algorithm,
    extensions: await caExtensions(keys.publicKey, cn, undefined),
  });
  return generatedCA(certificate, keys, algorithms);
}

/**
 * The extensions of a CA certificate named `cn` (anchor or issuer): critical
 * basicConstraints (CA, `pathLength`, none = no limit), critical keyUsage
 * keyCertSign + cRLSign, the subject key identifier of its key, the
 * authority key identifier when signed by another CA, and the CN as DNS SAN.
 */
export async function caExtensions(publicKey: webcrypto.CryptoKey, cn: string, pathLength: number | undefined, authorityKeyId?: InstanceType<typeof x509.Extension>): Promise<Array<InstanceType<typeof x509.Extension>>> {
  return [
    new x509.BasicConstraintsExtension(true, pathLength, true),
    new x509.KeyUsagesExtension(CA_KEY_USAGES, true),
    await x509.SubjectKeyIdentifierExtension.create(publicKey as CryptoKey),
    ...(authorityKeyId ? [authorityKeyId] : []),
    new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: cn }]),
  ];
}

/** A new CA as the commands use it: certificate, signing key and both as PEM. */
export async function generatedCA(certificate: X509Certificate, keys: webcrypto.CryptoKeyPair, algorithms: SigningAlgorithms): Promise<GeneratedCA> {
  return {
    certificate,
    signingKey: keys.privateKey,
    algorithms,
    certPem: `${certificate.toString('pem')}\n`,
    keyPem: await privateKeyToPem(keys.privateKey),
  };
}
