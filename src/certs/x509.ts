/**
 * @peculiar/x509 on Node's WebCrypto. Import this module (lazily) instead of
 * the library itself, so the crypto provider is always set.
 *
 * bin/mc.js runs the build's bundle (src/bundle.ts), which holds the library
 * and its ASN.1 dependencies, made from their ES builds: much less start-up
 * than Node loading their ~220 CommonJS files one by one.
 */
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };
export type X509Certificate = x509.X509Certificate;
