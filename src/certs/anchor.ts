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
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(CA_KEY_USAGES, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as CryptoKey),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: cn }]),
    ],
  });
  return {
    certificate,
    signingKey: keys.privateKey,
    algorithms,
    certPem: `${certificate.toString('pem')}\n`,
    keyPem: await privateKeyToPem(keys.privateKey),
  };
}
