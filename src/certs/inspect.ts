/**
 * Reading certificates back: describe every certificate of a PEM bundle, and
 * check (signatures included) that a certificate chains to a trust anchor.
 * Pure and reusable: `mc certs inspect` prints these, `mc check` uses them
 * for "certificates valid for 60 more days" and "clusters share trust anchors".
 */
import { createPublicKey } from 'node:crypto';
import { colonHex, isoSeconds, sha256Fingerprint } from './common.js';
import { x509, type X509Certificate } from './x509.js';

const DAY_MS = 86_400_000;

/** Anything expiring within this many days gets a warning (as `linkerd check`). */
export const EXPIRY_WARNING_DAYS = 60;

export interface CertificateInfo {
  /** Where it came from (a file name, a Secret), if the caller said so. */
  source?: string;
  /** 1-based position in its bundle. */
  index: number;
  subject: string;
  issuer: string;
  /** Serial number, lower-case hex. */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  /** Whole days until notAfter (negative once expired). */
  daysLeft: number;
  expired: boolean;
  notYetValid: boolean;
  /** "ECDSA" | "RSA" | "Ed25519" | ... */
  keyAlgorithm: string;
  /** EC curve in NIST form ("P-256"), for ECDSA keys. */
  curve?: string;
  /** Key size in bits, for RSA keys. */
  keyBits?: number;
  /** "ECDSA P-256", "RSA 2048". */
  keyDescription: string;
  signatureAlgorithm: string;
  isCA: boolean;
  /** basicConstraints pathLenConstraint; undefined = no limit (or not a CA). */
  pathLength?: number;
  subjectKeyId?: string;
  authorityKeyId?: string;
  dnsNames: string[];
  /** Subject equals issuer (the signature is checked by verifyChain). */
  selfIssued: boolean;
  fingerprintSha256: string;
  /** The certificate alone, as PEM. */
  pem: string;
}

const parsed = new WeakMap<CertificateInfo, X509Certificate>();

function certOf(info: CertificateInfo): X509Certificate {
  let c = parsed.get(info);
  if (!c) {
    c = new x509.X509Certificate(info.pem);
    parsed.set(info, c);
  }
  return c;
}

const CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

function signatureName(alg: { name: string; hash?: { name: string } }): string {
  const hash = alg.hash?.name ?? '';
  if (alg.name === 'ECDSA') return `ECDSA-${hash}`;
  if (alg.name === 'RSASSA-PKCS1-v1_5') return `RSA-${hash}`;
  return hash ? `${alg.name}-${hash}` : alg.name;
}

/** Describe one parsed certificate. */
export function describeCertificate(cert: X509Certificate, opts: { now?: Date; source?: string; index?: number } = {}): CertificateInfo {
  const now = opts.now ?? new Date();
  const der = new Uint8Array(cert.rawData);
  let keyAlgorithm: string;
  let curve: string | undefined;
  let keyBits: number | undefined;
  let keyDescription: string;
  // The certificate's parsed key algorithm names the NIST curves already; asking
  // OpenSSL (createPublicKey, slow to decode) is only needed for the other keys.
  const parsedKey = cert.publicKey.algorithm as { name?: string; namedCurve?: string };
  const knownCurve = parsedKey.name === 'ECDSA' && Object.values(CURVES).includes(parsedKey.namedCurve ?? '');
  const pub = knownCurve ? undefined : createPublicKey({ key: Buffer.from(cert.publicKey.rawData), format: 'der', type: 'spki' });
  const details = pub?.asymmetricKeyDetails ?? {};
  const type = knownCurve ? 'ec' : (pub?.asymmetricKeyType ?? 'unknown');
  if (knownCurve) {
    keyAlgorithm = 'ECDSA';
    curve = parsedKey.namedCurve;
    keyDescription = `ECDSA ${curve}`;
  } else if (type === 'ec') {
    keyAlgorithm = 'ECDSA';
    curve = CURVES[details.namedCurve ?? ''] ?? details.namedCurve;
    keyDescription = `ECDSA ${curve ?? '?'}`;
  } else if (type === 'rsa' || type === 'rsa-pss') {
    keyAlgorithm = 'RSA';
    keyBits = details.modulusLength;
    keyDescription = `RSA ${keyBits ?? '?'}`;
  } else {
    keyAlgorithm = type === 'ed25519' ? 'Ed25519' : type.toUpperCase();
    keyDescription = keyAlgorithm;
  }
  // `extensions` decodes them all on every read: once here.
  const extensions = cert.extensions;
  const ext = <T>(type: abstract new (...args: never[]) => T): T | undefined => extensions.find((e): e is InstanceType<typeof x509.Extension> & T => e instanceof type);
  const bc = ext(x509.BasicConstraintsExtension);
  const ski = ext(x509.SubjectKeyIdentifierExtension);
  const aki = ext(x509.AuthorityKeyIdentifierExtension);
  const san = ext(x509.SubjectAlternativeNameExtension);
  const dnsNames = san ? san.names.items.filter((n) => n.type === 'dns').map((n) => n.value) : [];
  const msLeft = cert.notAfter.getTime() - now.getTime();
  return {
    ...(opts.source !== undefined ? { source: opts.source } : {}),
    index: opts.index ?? 1,
    subject: cert.subject,
    issuer: cert.issuer,
    serialNumber: cert.serialNumber.toLowerCase(),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    daysLeft: Math.floor(msLeft / DAY_MS),
    expired: msLeft <= 0,
    notYetValid: cert.notBefore.getTime() > now.getTime(),
    keyAlgorithm,
    ...(curve !== undefined ? { curve } : {}),
    ...(keyBits !== undefined ? { keyBits } : {}),
    keyDescription,
    signatureAlgorithm: signatureName(cert.signatureAlgorithm as { name: string; hash?: { name: string } }),
    isCA: Boolean(bc?.ca),
    ...(bc?.ca && bc.pathLength !== undefined ? { pathLength: bc.pathLength } : {}),
    ...(ski ? { subjectKeyId: colonHex(ski.keyId.toLowerCase()) } : {}),
    ...(aki?.keyId ? { authorityKeyId: colonHex(aki.keyId.toLowerCase()) } : {}),
    dnsNames,
    selfIssued: cert.subject === cert.issuer,
    fingerprintSha256: sha256Fingerprint(der),
    pem: `${cert.toString('pem')}\n`,
  };
}

/** How many CERTIFICATE blocks a PEM text holds (without parsing them). */
export function countPemCertificates(pem: string): number {
  return x509.PemConverter.decodeWithHeaders(pem).filter((b) => b.type === 'CERTIFICATE').length;
}

/**
 * Every certificate in a PEM text (a single certificate or a bundle), in
 * order. Other PEM blocks (keys) are skipped. Throws on a CERTIFICATE block
 * that does not parse.
 */
export function describePemCertificates(pem: string, opts: { now?: Date; source?: string } = {}): CertificateInfo[] {
  const blocks = x509.PemConverter.decodeWithHeaders(pem).filter((b) => b.type === 'CERTIFICATE');
  return blocks.map((b, i) => {
    let cert: X509Certificate;
    try {
      cert = new x509.X509Certificate(b.rawData);
    } catch (err) {
      const where = opts.source ? `${opts.source} ` : '';
      throw new Error(`${where}certificate #${i + 1} does not parse: ${(err as Error).message}`);
    }
    const info = describeCertificate(cert, { ...opts, index: i + 1 });
    parsed.set(info, cert);
    return info;
  });
}

export interface ChainResult {
  ok: boolean;
  /** From the certificate up to and including the anchor (when ok). */
  path: CertificateInfo[];
  anchor?: CertificateInfo;
  /** Why it does not chain, when !ok. */
  problem?: string;
}

/** Signature checks already made, by child and parent: a chain shared by many certificates is verified once. */
const verified = new WeakMap<CertificateInfo, WeakMap<CertificateInfo, Promise<boolean>>>();

/**
 * The WebCrypto key of a certificate for checking signatures made with
 * `algorithm` (the signed certificate's), imported once however many
 * certificates it signed.
 */
const publicKeys = new WeakMap<CertificateInfo, Map<string, Promise<CryptoKey>>>();
function publicKeyOf(info: CertificateInfo, algorithm: Algorithm): Promise<CryptoKey> {
  let byAlgorithm = publicKeys.get(info);
  if (!byAlgorithm) publicKeys.set(info, (byAlgorithm = new Map()));
  const id = JSON.stringify(algorithm);
  let key = byAlgorithm.get(id);
  if (!key) {
    const publicKey = certOf(info).publicKey;
    // As X509Certificate.verify does: the key's own parameters (curve), then the signature's (hash).
    key = publicKey.export({ ...publicKey.algorithm, ...algorithm }, ['verify']);
    byAlgorithm.set(id, key);
  }
  return key;
}

/** Does `child`'s signature verify with `parent`'s public key? */
export function signedBy(child: CertificateInfo, parent: CertificateInfo): Promise<boolean> {
  let byParent = verified.get(child);
  if (!byParent) verified.set(child, (byParent = new WeakMap()));
  let result = byParent.get(parent);
  if (!result) {
    const signed = certOf(child);
    result = publicKeyOf(parent, signed.signatureAlgorithm as Algorithm)
      .then((publicKey) => signed.verify({ publicKey, signatureOnly: true }))
      .catch(() => false);
    byParent.set(parent, result);
  }
  return result;
}

function sameCert(a: CertificateInfo, b: CertificateInfo): boolean {
  return a.fingerprintSha256 === b.fingerprintSha256;
}

function mayBeIssuerOf(child: CertificateInfo, parent: CertificateInfo): boolean {
  if (child.issuer !== parent.subject) return false;
  if (child.authorityKeyId && parent.subjectKeyId && child.authorityKeyId !== parent.subjectKeyId) return false;
  return true;
}

function toInfos(x: CertificateInfo[] | string | undefined): CertificateInfo[] {
  if (x === undefined) return [];
  return typeof x === 'string' ? describePemCertificates(x) : x;
}

/**
 * The anchors and the other certificates a chain may pass through, indexed
 * once by subject (and anchors by fingerprint), so finding the issuers of a
 * certificate does not scan them all: chain building stays linear in the
 * number of certificates.
 */
export class ChainIndex {
  private readonly anchorPrints = new Map<string, CertificateInfo>();
  private readonly bySubject = new Map<string, CertificateInfo[]>();

  constructor(anchors: CertificateInfo[], intermediates: CertificateInfo[] = []) {
    for (const a of anchors) if (!this.anchorPrints.has(a.fingerprintSha256)) this.anchorPrints.set(a.fingerprintSha256, a);
    const seen = new Set<string>();
    for (const c of [...anchors, ...intermediates]) {
      if (seen.has(c.fingerprintSha256)) continue;
      seen.add(c.fingerprintSha256);
      let list = this.bySubject.get(c.subject);
      if (!list) this.bySubject.set(c.subject, (list = []));
      list.push(c);
    }
  }

  get anchorCount(): number {
    return this.anchorPrints.size;
  }

  anchor(c: CertificateInfo): CertificateInfo | undefined {
    return this.anchorPrints.get(c.fingerprintSha256);
  }

  /** Certificates named as `c`'s issuer (its subject is c's issuer), the key ids agreeing when both have one. */
  issuersOf(c: CertificateInfo): { candidates: CertificateInfo[]; namesake?: CertificateInfo } {
    const named = this.bySubject.get(c.issuer) ?? [];
    return { candidates: named.filter((p) => mayBeIssuerOf(c, p)), namesake: named[0] };
  }
}

/**
 * Does `cert` chain to one of `anchors`, every signature checked? Intermediate
 * CAs may come from `intermediates`. Parents must be CAs and respect their
 * path length limits. Validity dates are not part of this answer: callers
 * look at `daysLeft` / `expired` of each certificate in `path`.
 */
export async function verifyChain(
  cert: CertificateInfo | string,
  anchors: CertificateInfo[] | string,
  intermediates?: CertificateInfo[] | string,
): Promise<ChainResult> {
  const leaf = typeof cert === 'string' ? toInfos(cert)[0] : cert;
  if (!leaf) return { ok: false, path: [], problem: 'no certificate given' };
  return verifyChainIn(leaf, new ChainIndex(toInfos(anchors), toInfos(intermediates)));
}

/** verifyChain over an index built once (many certificates against the same anchors and intermediates). */
export async function verifyChainIn(leaf: CertificateInfo, index: ChainIndex): Promise<ChainResult> {
  if (index.anchorCount === 0) return { ok: false, path: [leaf], problem: 'no trust anchors given' };

  let lastProblem = `its issuer (${leaf.issuer}) is none of the trust anchors`;
  // casBelow: intermediate CAs between `current` and the start certificate.
  const walk = async (current: CertificateInfo, path: CertificateInfo[], casBelow: number): Promise<ChainResult | undefined> => {
    // Reached an anchor itself?
    const isRoot = index.anchor(current);
    if (isRoot) {
      if (await signedBy(current, current)) return { ok: true, path, anchor: isRoot };
      lastProblem = `the trust anchor's self-signature does not verify (${current.subject})`;
      return undefined;
    }
    if (path.length > 10) return undefined;
    const found = index.issuersOf(current);
    const candidates = found.candidates.filter((p) => !path.some((q) => sameCert(q, p)));
    if (candidates.length === 0 && found.namesake && !path.some((q) => sameCert(q, found.namesake!))) {
      const namesake = found.namesake;
      lastProblem = `${current.subject} was signed by another key than ${namesake.subject} of ${namesake.source ?? 'the given certificates'} (authority key id ${current.authorityKeyId}, that certificate's key id ${namesake.subjectKeyId}): a different trust anchor with the same name`;
    }
    for (const parent of candidates) {
      if (!(await signedBy(current, parent))) {
        lastProblem = `the signature of ${current.subject} does not verify with the key of ${parent.subject}`;
        continue;
      }
      if (!parent.isCA) {
        lastProblem = `${current.subject} is signed by ${parent.subject}, which is not a CA`;
        continue;
      }
      // Intermediate CAs between `parent` and the start certificate.
      const below = path.length === 1 ? 0 : casBelow + (current.selfIssued ? 0 : 1);
      if (parent.pathLength !== undefined && below > parent.pathLength) {
        lastProblem = `${parent.subject} has pathlen ${parent.pathLength} but ${below} CA(s) below it`;
        continue;
      }
      const result = await walk(parent, [...path, parent], below);
      if (result) return result;
    }
    return undefined;
  };
  // The start certificate never counts toward a path length (RFC 5280 6.1.4).
  const result = await walk(leaf, [leaf], 0);
  return result ?? { ok: false, path: [leaf], problem: lastProblem };
}

/**
 * Why Linkerd would refuse this certificate in the given role, if it would:
 * trust anchors must be ECDSA P-256 or RSA 2048/4096; issuers ECDSA P-256,
 * signed with SHA-256.
 */
export function linkerdAlgorithmProblem(info: CertificateInfo, role: 'trust anchor' | 'issuer'): string | undefined {
  if (role === 'trust anchor') {
    const ok = (info.keyAlgorithm === 'ECDSA' && info.curve === 'P-256') || (info.keyAlgorithm === 'RSA' && (info.keyBits === 2048 || info.keyBits === 4096));
    return ok ? undefined : `Linkerd accepts only ECDSA P-256 or RSA 2048/4096 trust anchors, not ${info.keyDescription}`;
  }
  if (info.keyAlgorithm !== 'ECDSA' || info.curve !== 'P-256') return `Linkerd accepts only ECDSA P-256 issuers, not ${info.keyDescription}`;
  if (!/-SHA-256$/.test(info.signatureAlgorithm)) return `Linkerd needs issuers signed with SHA-256, not ${info.signatureAlgorithm}`;
  return undefined;
}

// ---- `mc certs inspect`: a report over several files -----------------------

export type Role = 'trust anchor' | 'intermediate CA' | 'leaf';

export interface InspectedCertificate extends CertificateInfo {
  role: Role;
  /** For non-anchors when anchors were given: the chain check. */
  chain?: ChainResult;
  /** Failures: expired, not yet valid, broken chain, bad self-signature. */
  problems: string[];
  /** Warnings: expiring within 60 days, outliving its anchor. */
  warnings: string[];
  /** Neutral remarks ("chain not checked"). */
  notes: string[];
}

export interface InspectReport {
  certificates: InspectedCertificate[];
  /** No problems (warnings allowed). */
  ok: boolean;
  problemCount: number;
  warningCount: number;
}

/**
 * Inspect the certificates of several PEM texts together: self-signed CAs
 * among them are the trust anchors every other certificate must chain to.
 */
export async function inspectCertificates(
  inputs: { source: string; pem: string }[],
  opts: { now?: Date; warnDays?: number } = {},
): Promise<InspectReport> {
  const now = opts.now ?? new Date();
  const warnDays = opts.warnDays ?? EXPIRY_WARNING_DAYS;
  const all = inputs.flatMap((i) => describePemCertificates(i.pem, { now, source: i.source }));
  const anchors: CertificateInfo[] = [];
  const badRoots = new Set<CertificateInfo>();
  for (const c of all) {
    if (c.selfIssued && c.isCA) {
      if (await signedBy(c, c)) anchors.push(c);
      else badRoots.add(c);
    }
  }
  const anchorSet = new Set(anchors);
  // Every certificate but the anchors may be an intermediate; a certificate never issues itself (the path excludes it).
  const index = new ChainIndex(anchors, all.filter((x) => !anchorSet.has(x)));
  const out: InspectedCertificate[] = [];
  for (const c of all) {
    const problems: string[] = [];
    const warnings: string[] = [];
    const notes: string[] = [];
    const isAnchor = anchorSet.has(c);
    const role: Role = isAnchor || badRoots.has(c) ? 'trust anchor' : c.isCA ? 'intermediate CA' : 'leaf';
    if (c.expired) problems.push(`expired on ${isoSeconds(c.notAfter)}`);
    else if (c.notYetValid) problems.push(`not valid before ${isoSeconds(c.notBefore)}`);
    else if (c.daysLeft < warnDays) warnings.push(`expires in ${c.daysLeft} day${c.daysLeft === 1 ? '' : 's'} (${isoSeconds(c.notAfter)})`);
    if (badRoots.has(c)) problems.push('its self-signature does not verify');
    const algo = role === 'leaf' ? undefined : linkerdAlgorithmProblem(c, role === 'trust anchor' ? 'trust anchor' : 'issuer');
    if (algo) warnings.push(algo);
    let chain: ChainResult | undefined;
    if (!isAnchor && !badRoots.has(c)) {
      if (anchors.length === 0) {
        notes.push('chain not checked: no trust anchor among the files (add the ca.crt)');
      } else {
        chain = await verifyChainIn(c, index);
        if (!chain.ok) problems.push(`does not chain to the given trust anchor${anchors.length > 1 ? 's' : ''}: ${chain.problem}`);
        else {
          const outlived = chain.path.slice(1).find((p) => p.notAfter < c.notAfter);
          if (outlived) warnings.push(`valid past ${outlived.subject}, which expires ${isoSeconds(outlived.notAfter)}`);
        }
      }
    }
    out.push({ ...c, role, ...(chain ? { chain } : {}), problems, warnings, notes });
  }
  const problemCount = out.reduce((n, c) => n + c.problems.length, 0);
  const warningCount = out.reduce((n, c) => n + c.warnings.length, 0);
  return { certificates: out, ok: problemCount === 0, problemCount, warningCount };
}
