/**
 * `mc certs`: the shared trust anchor and the per-cluster identity issuers.
 * Sub-commands live in ./certs/; they import the X.509 code lazily.
 */
import type { Command } from 'commander';
import { examples } from '../cli-kit.js';
import type { IO } from '../io.js';
import * as bundle from './certs/bundle.js';
import * as generate from './certs/generate.js';
import * as inspect from './certs/inspect.js';
import * as issuer from './certs/issuer.js';
import * as rotate from './certs/rotate.js';

export function register(program: Command, io: IO): void {
  const certs = program
    .command('certs')
    .description('make and inspect the trust anchor and identity issuers that clusters share')
    .addHelpText(
      'after',
      examples(`
# A trust anchor and one issuer per cluster, in ./certs
mc certs generate --cluster east --cluster west
# A new issuer from the existing anchor (rotation, or one more cluster)
mc certs issuer --ca-cert certs/ca.crt --ca-key certs/ca.key --dir certs/north
# What is in these files, and does the issuer chain to the anchor?
mc certs inspect certs/ca.crt certs/east/issuer.crt`),
    );
  generate.register(certs, io);
  issuer.register(certs, io);
  inspect.register(certs, io);
  bundle.register(certs, io);
  rotate.register(certs, io);
}
