import type { BenchContext } from '../lib/context.js';
import type { Plan } from '../lib/plan.js';

export interface ProfileSummary {
  readonly workload: string;
}

export async function profileRelay(_ctx: BenchContext, plan: Plan): Promise<ProfileSummary> {
  return { workload: plan.catchUp[0]?.load.name ?? '' };
}
