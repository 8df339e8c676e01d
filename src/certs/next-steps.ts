/**
 * The "what now" text printed after certificates are written: the exact
 * `linkerd install` flags and Helm values for each cluster. Pure text.
 */

/** Quote a path for a POSIX shell, only when it needs it. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface IssuerFiles {
  /** Cluster name, or undefined for the single shared issuer. */
  cluster?: string;
  certificate: string;
  key: string;
}

export function nextSteps(anchorCert: string, anchorKey: string, issuers: IssuerFiles[]): string {
  const q = shellQuote;
  const lines: string[] = [];
  lines.push('Next steps: install Linkerd on each cluster with the shared trust anchor and its issuer.');
  for (const i of issuers) {
    const ctx = i.cluster ? ` --context ${q(i.cluster)}` : '';
    const helmCtx = i.cluster ? ` --kube-context ${q(i.cluster)}` : '';
    lines.push('');
    lines.push(i.cluster ? `  Cluster ${i.cluster} (assuming its kubeconfig context is also named ${i.cluster}):` : '  Every cluster (they all share this issuer):');
    lines.push(`    linkerd install --crds${ctx} | kubectl${ctx} apply -f -`);
    lines.push(
      `    linkerd install --identity-trust-anchors-file ${q(anchorCert)} --identity-issuer-certificate-file ${q(i.certificate)} --identity-issuer-key-file ${q(i.key)}${ctx} | kubectl${ctx} apply -f -`,
    );
    lines.push('    or with Helm (after the linkerd-crds chart):');
    lines.push(
      `    helm install linkerd-control-plane linkerd/linkerd-control-plane -n linkerd${helmCtx} --set-file identityTrustAnchorsPEM=${q(anchorCert)} --set-file identity.issuer.tls.crtPEM=${q(i.certificate)} --set-file identity.issuer.tls.keyPEM=${q(i.key)}`,
    );
  }
  lines.push('');
  lines.push(`Keep ${anchorKey} offline and safe: it is needed only to make new issuers (mc certs issuer).`);
  return lines.join('\n');
}
