/**
 * Everything the `mc certs` commands (and `mc check`) need, behind one module
 * so that callers load it with a single `await import(...)`. (Several
 * concurrent dynamic imports that share a dependency can fail on Node 20
 * with "request for './x.js' is not in cache", nodejs/node#52187.)
 */
export { createTrustAnchor, type GeneratedCA, type SigningCA } from './anchor.js';
export { anchorCommonName, isoSeconds, issuerCommonName } from './common.js';
export { CERT_MODE, existingTargets, KEY_MODE, overwriteRefusal, readInputFile, writeFilesAtomically, type PlannedFile } from './files.js';
export {
  describeCertificate,
  countPemCertificates,
  describePemCertificates,
  EXPIRY_WARNING_DAYS,
  inspectCertificates,
  linkerdAlgorithmProblem,
  verifyChain,
  type CertificateInfo,
  type ChainResult,
  type InspectedCertificate,
  type InspectReport,
} from './inspect.js';
export { createIssuer, loadSigningCA } from './issuer.js';
export { issuerNextSteps, nextSteps } from './next-steps.js';
