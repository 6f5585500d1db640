import { type PlanOptions, type QueryPlan, planQuery } from './plan.js';
import type { SubstringLayout } from './substrings.js';

/** Plan costs depend on N: re-plan once the index has changed size by more than this factor. */
const REPLAN_FACTOR = 2;

/** The query plan of each radius, made once per layout and order of magnitude of N. */
export class PlanCache {
  private readonly plans = new Map<number, QueryPlan>();
  private plannedSize = 0;

  constructor(private readonly options: PlanOptions) {}

  get(layout: SubstringLayout, size: number, radius: number): QueryPlan {
    if (size > REPLAN_FACTOR * this.plannedSize || size < this.plannedSize / REPLAN_FACTOR) {
      this.plans.clear();
      this.plannedSize = Math.max(size, 1);
    }
    let plan = this.plans.get(radius);
    if (!plan) {
      plan = planQuery(layout, this.plannedSize, radius, this.options);
      this.plans.set(radius, plan);
    }
    return plan;
  }

  /** Forgets every plan (the layout changed). */
  clear(): void {
    this.plans.clear();
  }
}
