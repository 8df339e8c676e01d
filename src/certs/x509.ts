/**
 * @peculiar/x509 on Node's WebCrypto. Import this module (lazily) instead of
 * the library itself, so the crypto provider is always set.
 *
 * The library is loaded through require(): its CommonJS build and the ~200
 * CommonJS files of its ASN.1 dependencies load about 30 ms faster that way
 * than through the ESM build, which makes Node scan each CommonJS dependency
 * for named exports (see bench/startup.ts).
 */
import { webcrypto } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as X509 from '@peculiar/x509';

const require = createRequire(import.meta.url);
export const x509 = require('@peculiar/x509') as typeof X509;
x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export type X509Certificate = X509.X509Certificate;
