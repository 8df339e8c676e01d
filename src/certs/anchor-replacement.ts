/**
 * What replacing a folder's trust anchor (`certs generate --force`) would
 * orphan: every issuer in the folder (DIR/issuer.crt, DIR/NAME/issuer.crt)
 * signed by the current anchor stops chaining, and so does every cluster
 * that runs one. Such a replacement is an anchor rotation: refused unless
 * asked for (--rotate-anchor), and then the old anchor is kept next to the
 * new one (ca.crt.old, ca.key.old) for the trust bundle of the rotation.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { readInputFile } from './files.js';
import { describePemCertificates, signedBy } from './inspect.js';

export interface AnchorInUse {
  certificatePath: string;
  keyPath: string;
  certPem: string;
  /** Undefined when ca.key is missing (it is then not kept). */
  keyPem?: string;
  /** Issuer certificates in the folder that the current anchor signed. */
  issuersOfAnchor: string[];
  /** Sub-folders holding an issuer (other clusters), whatever signed them. */
  clusterFolders: string[];
}

/** The current anchor of `dir` and what depends on it, or undefined when there is none (or nothing depends on it). */
export async function anchorInUse(dir: string): Promise<AnchorInUse | undefined> {
  const certificatePath = path.join(dir, 'ca.crt');
  const keyPath = path.join(dir, 'ca.key');
  const certPem = await readInputFile(certificatePath, { absentIsNormal: true });
  if (certPem === undefined) return undefined;
  let anchor;
  try {
    anchor = describePemCertificates(certPem, { source: certificatePath })[0];
  } catch {
    anchor = undefined; // not a certificate: nothing can chain to it
  }
  const issuerPaths = [path.join(dir, 'issuer.crt')];
  const clusterFolders: string[] = [];
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const p = path.join(dir, e.name, 'issuer.crt');
    if ((await readInputFile(p, { absentIsNormal: true })) !== undefined) {
      issuerPaths.push(p);
      clusterFolders.push(e.name);
    }
  }
  const issuersOfAnchor: string[] = [];
  for (const p of issuerPaths) {
    const pem = await readInputFile(p, { absentIsNormal: true });
    if (pem === undefined || !anchor) continue;
    try {
      const issuer = describePemCertificates(pem, { source: p })[0];
      if (issuer && (await signedBy(issuer, anchor))) issuersOfAnchor.push(p);
    } catch {
      // Not a certificate: it chains to nothing.
    }
  }
  if (issuersOfAnchor.length === 0 && clusterFolders.length === 0) return undefined;
  return { certificatePath, keyPath, certPem, keyPem: await readInputFile(keyPath, { absentIsNormal: true }), issuersOfAnchor, clusterFolders };
}
