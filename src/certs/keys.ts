/**
 * Key pairs for trust anchors and issuers: generation with WebCrypto, PEM
 * encoding and decoding with Node's KeyObject (no hand-written ASN.1).
 *
 * Private keys are written in the traditional encodings, "EC PRIVATE KEY"
 * (SEC 1) and "RSA PRIVATE KEY" (PKCS #1): every Linkerd release reads them for
 * --identity-issuer-key-file and identity.issuer.tls.keyPEM, while PKCS #8
 * ("PRIVATE KEY") is only read by newer releases. Reading accepts all three.
 */
import { createPrivateKey, createPublicKey, KeyObject, webcrypto } from 'node:crypto';
import { McError } from '../errors.js';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

export type AnchorKeyType = 'ecdsa' | 'rsa2048' | 'rsa4096';
export const ANCHOR_KEY_TYPES: readonly AnchorKeyType[] = ['ecdsa', 'rsa2048', 'rsa4096'];

export interface SigningAlgorithms {
  /** For generateKey / importKey. */
  key: webcrypto.EcKeyImportParams | webcrypto.RsaHashedImportParams;
  /** For signing certificates with this key. */
  sign: webcrypto.EcdsaParams | webcrypto.Algorithm;
}

export const ECDSA_P256: SigningAlgorithms = {
  key: { name: 'ECDSA', namedCurve: 'P-256' },
  sign: { name: 'ECDSA', hash: 'SHA-256' } as webcrypto.EcdsaParams,
};

function rsaAlgorithms(): SigningAlgorithms {
  return {
    key: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    sign: { name: 'RSASSA-PKCS1-v1_5' },
  };
}

/** A new key pair: ECDSA P-256, or RSA 2048/4096 (e = 65537). */
export async function generateKeyPair(type: AnchorKeyType = 'ecdsa'): Promise<{ keys: CryptoKeyPair; algorithms: SigningAlgorithms }> {
  if (type === 'ecdsa') {
    const keys = (await webcrypto.subtle.generateKey(ECDSA_P256.key, true, ['sign', 'verify'])) as CryptoKeyPair;
    return { keys, algorithms: ECDSA_P256 };
  }
  const modulusLength = type === 'rsa2048' ? 2048 : 4096;
  const keys = (await webcrypto.subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', modulusLength, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    true,
    ['sign', 'verify'],
  )) as CryptoKeyPair;
  return { keys, algorithms: rsaAlgorithms() };
}

/** PEM text of a private key, in the encoding every Linkerd release reads. */
export async function privateKeyToPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const obj = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  const type = obj.asymmetricKeyType === 'ec' ? 'sec1' : 'pkcs1';
  return obj.export({ format: 'pem', type }) as string;
}

export interface LoadedPrivateKey {
  /** Node's view of the key (for matching against a certificate). */
  keyObject: KeyObject;
  /** The same key, imported into WebCrypto for signing. */
  cryptoKey: CryptoKey;
  algorithms: SigningAlgorithms;
  /** "ECDSA P-256", "RSA 2048". */
  description: string;
}

/**
 * Read a private key from PEM ("EC PRIVATE KEY", "RSA PRIVATE KEY" or
 * "PRIVATE KEY"). `where` names the file in errors; the key itself never
 * appears in a message.
 */
export async function loadPrivateKey(pem: string, where: string): Promise<LoadedPrivateKey> {
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new McError(
      `${where} does not hold a readable private key`,
      'Pass an unencrypted PEM key ("EC PRIVATE KEY", "RSA PRIVATE KEY" or "PRIVATE KEY"), such as the ca.key that `mc certs generate` wrote.',
    );
  }
  const der = keyObject.export({ format: 'der', type: 'pkcs8' });
  const details = keyObject.asymmetricKeyDetails ?? {};
  if (keyObject.asymmetricKeyType === 'ec') {
    if (details.namedCurve !== 'prime256v1') {
      throw new McError(
        `${where} is an ECDSA key on curve ${details.namedCurve ?? 'unknown'}; Linkerd needs P-256 (prime256v1) or RSA 2048/4096 trust anchors`,
        'Make a new trust anchor with `mc certs generate`.',
      );
    }
    const cryptoKey = await webcrypto.subtle.importKey('pkcs8', der, ECDSA_P256.key, false, ['sign']);
    return { keyObject, cryptoKey, algorithms: ECDSA_P256, description: 'ECDSA P-256' };
  }
  if (keyObject.asymmetricKeyType === 'rsa') {
    if (details.modulusLength !== 2048 && details.modulusLength !== 4096) {
      throw new McError(
        `${where} is an RSA ${details.modulusLength ?? '?'} key; Linkerd accepts only RSA 2048 or 4096 (or ECDSA P-256) trust anchors`,
        'Make a new trust anchor with `mc certs generate`.',
      );
    }
    const algorithms = rsaAlgorithms();
    const cryptoKey = await webcrypto.subtle.importKey('pkcs8', der, algorithms.key, false, ['sign']);
    return { keyObject, cryptoKey, algorithms, description: `RSA ${details.modulusLength ?? '?'}` };
  }
  throw new McError(
    `${where} is a ${keyObject.asymmetricKeyType ?? 'unknown'} key; Linkerd trust anchors use ECDSA P-256 or RSA`,
    'Make a new trust anchor with `mc certs generate`.',
  );
}

/** DER SubjectPublicKeyInfo of the public half of a private key. */
export function publicKeyInfoOf(key: KeyObject): Buffer {
  return createPublicKey(key).export({ format: 'der', type: 'spki' });
}
