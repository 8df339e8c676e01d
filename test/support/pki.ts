/**
 * Certificates for the test API servers: one CA per cluster, a serving
 * certificate for 127.0.0.1/localhost, and client certificates (the admin
 * user is CN=admin, O=system:masters, as kubeadm makes it). ECDSA P-256 with
 * @peculiar/x509 on Node's WebCrypto.
 */
import { createPrivateKey, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 3600 * 1000;

export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}

export interface TestCa extends KeyPairPem {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
}

async function newKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
}

async function keyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key as unknown as webcrypto.CryptoKey);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

function serial(): string {
  // positive, 16 bytes
  const b = webcrypto.getRandomValues(new Uint8Array(16));
  b[0] = b[0]! & 0x7f | 0x01;
  return Buffer.from(b).toString('hex');
}

function validity(days: number): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  return { notBefore: new Date(now - 3600_000), notAfter: new Date(now + days * DAY) };
}

export async function createCa(commonName: string): Promise<TestCa> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}`,
    ...validity(365),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, keys, certPem: cert.toString('pem'), keyPem: await keyPem(keys.privateKey) };
}

async function issue(ca: TestCa, subject: string, usage: 'server' | 'client', names: x509.JsonGeneralName[]): Promise<KeyPairPem> {
  const keys = await newKeys();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension([usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
    await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
  ];
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: ca.cert.subject,
    ...validity(365),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    extensions,
  });
  return { certPem: cert.toString('pem'), keyPem: await keyPem(keys.privateKey) };
}

/** Serving certificate with IP SAN 127.0.0.1 and DNS SANs localhost/kubernetes. */
export function serverCert(ca: TestCa): Promise<KeyPairPem> {
  return issue(ca, 'CN=kube-apiserver', 'server', [
    { type: 'ip', value: '127.0.0.1' },
    { type: 'dns', value: 'localhost' },
    { type: 'dns', value: 'kubernetes' },
    { type: 'dns', value: 'kubernetes.default.svc' },
  ]);
}

/** Client certificate: CN = user name, O = groups. */
export function clientCert(ca: TestCa, user: string, groups: string[] = []): Promise<KeyPairPem> {
  const subject = [...groups.map((g) => `O=${g}`), `CN=${user}`].join(', ');
  return issue(ca, subject, 'client', []);
}

/**
 * A proxy's leaf certificate as Linkerd's identity controller issues it: its
 * identity as subject CN and DNS SAN, signed by the issuer (PEM certificate
 * and PKCS#8 key) for `lifetimeMs` from `from`.
 */
export async function proxyCert(issuer: KeyPairPem, identity: string, from: Date, lifetimeMs: number): Promise<KeyPairPem> {
  const issuerCert = new x509.X509Certificate(issuer.certPem);
  // Linkerd's issuer keys are SEC1 ("EC PRIVATE KEY") or PKCS#8: WebCrypto takes PKCS#8 only.
  const der = createPrivateKey(issuer.keyPem).export({ type: 'pkcs8', format: 'der' });
  const signingKey = await webcrypto.subtle.importKey('pkcs8', der, ALG, false, ['sign']);
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${identity}`,
    issuer: issuerCert.subject,
    notBefore: new Date(from.getTime() - 60_000),
    notAfter: new Date(from.getTime() + lifetimeMs),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: signingKey as unknown as CryptoKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: identity }]),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await keyPem(keys.privateKey) };
}
