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

/** `linkerd install` (and Helm) with the anchor and one issuer, for the cluster of `context` if given. */
function installLines(anchorCert: string, i: IssuerFiles, context?: string): string[] {
  const q = shellQuote;
  const ctx = context ? ` --context ${q(context)}` : '';
  const helmCtx = context ? ` --kube-context ${q(context)}` : '';
  return [
    `    linkerd install --crds${ctx} | kubectl${ctx} apply -f -`,
    `    linkerd install --identity-trust-anchors-file ${q(anchorCert)} --identity-issuer-certificate-file ${q(i.certificate)} --identity-issuer-key-file ${q(i.key)}${ctx} | kubectl${ctx} apply -f -`,
    '    or with Helm (after the linkerd-crds chart):',
    `    helm install linkerd-control-plane linkerd/linkerd-control-plane -n linkerd${helmCtx} --set-file identityTrustAnchorsPEM=${q(anchorCert)} --set-file identity.issuer.tls.crtPEM=${q(i.certificate)} --set-file identity.issuer.tls.keyPEM=${q(i.key)}`,
  ];
}

/** `linkerd upgrade` (and Helm) that gives a running cluster a new issuer. */
function upgradeLines(i: IssuerFiles): string[] {
  const q = shellQuote;
  return [
    `    linkerd upgrade --identity-issuer-certificate-file ${q(i.certificate)} --identity-issuer-key-file ${q(i.key)} | kubectl apply -f -`,
    '    or with Helm:',
    `    helm upgrade linkerd-control-plane linkerd/linkerd-control-plane -n linkerd --reuse-values --set-file identity.issuer.tls.crtPEM=${q(i.certificate)} --set-file identity.issuer.tls.keyPEM=${q(i.key)}`,
  ];
}

export function nextSteps(anchorCert: string, anchorKey: string, issuers: IssuerFiles[]): string {
  const lines: string[] = [];
  lines.push('Next steps: install Linkerd on each cluster with the shared trust anchor and its issuer.');
  for (const i of issuers) {
    lines.push('');
    lines.push(i.cluster ? `  Cluster ${i.cluster} (assuming its kubeconfig context is also named ${i.cluster}):` : '  Every cluster (they all share this issuer):');
    lines.push(...installLines(anchorCert, i, i.cluster));
  }
  lines.push('');
  lines.push(`Keep ${anchorKey} offline and safe: it is needed only to make new issuers (mc certs issuer).`);
  return lines.join('\n');
}

/**
 * After `mc certs issuer`: an issuer is for one cluster. When it replaced
 * issuer files (a rotation) only `linkerd upgrade` matters, so that is all
 * it says; for a new issuer the upgrade comes first (replacing a running
 * cluster's issuer) and the install of a new cluster after it.
 */
export function issuerNextSteps(anchorCert: string, issuer: IssuerFiles, replaced: boolean): string {
  const lines: string[] = [];
  if (replaced) {
    lines.push('Next step: give the cluster that used the old issuer this one (Linkerd\'s identity controller picks it up; proxies move to it as their certificates renew):');
    lines.push(...upgradeLines(issuer));
    return lines.join('\n');
  }
  lines.push('Next steps: this issuer is for one cluster (make one per cluster, each with its own --dir).');
  lines.push('');
  lines.push('  To replace the issuer of a running cluster (rotation):');
  lines.push(...upgradeLines(issuer));
  lines.push('');
  lines.push('  To install Linkerd on a new cluster with it:');
  lines.push(...installLines(anchorCert, issuer));
  return lines.join('\n');
}
