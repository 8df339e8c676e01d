/**
 * One check of the multicluster category: upstream's Checker fields (see
 * runner.ts) and a function of the shared, memoized environment. Checks
 * share nothing else: what one needs that another also reads comes from env.
 */
import type { CheckEnv } from '../env.js';
import type { Checker } from '../runner.js';

export interface MulticlusterCheck extends Omit<Checker, 'run'> {
  /** attempt counts from 0; resolve detail lines for a verbose success. */
  run(env: CheckEnv, attempt: number): Promise<string[] | void>;
}
