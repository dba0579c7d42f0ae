import type { SceneId } from '../domain/scenes.js';
import type { UsageCounts } from '../policy/evaluate.js';
import type { PolicyPack } from '../policy/pack.js';
import type { SiteCap, SiteUsage } from './site-state.js';

/** The per-subject caps of a pack's rules, by rule id (scope `site` unless the rule says otherwise). */
export function packCaps(pack: PolicyPack): ReadonlyMap<string, SiteCap> {
  const caps = new Map<string, SiteCap>();
  for (const rule of pack.rules) {
    const perSubject = rule.cap?.perSubject;
    if (!perSubject) continue;
    caps.set(rule.id, {
      ruleId: rule.id,
      period: perSubject.period,
      limit: perSubject.count,
      scope: perSubject.scope ?? 'site',
    });
  }
  return caps;
}

/** The caps of the rules of one scene: what the site is asked before a decision in that scene. */
export function sceneCaps(pack: PolicyPack, scene: SceneId, caps = packCaps(pack)): SiteCap[] {
  return pack.rules.filter((r) => r.scene === scene && caps.has(r.id)).map((r) => caps.get(r.id)!);
}

/** The caps among `ruleIds` (a decision's granted benefits): what it reserves and commits. */
export function capsOfRules(caps: ReadonlyMap<string, SiteCap>, ruleIds: Iterable<string>): SiteCap[] {
  const out: SiteCap[] = [];
  for (const id of new Set(ruleIds)) {
    const cap = caps.get(id);
    if (cap) out.push(cap);
  }
  return out;
}

/** Splits a site's counts into the policy's `usage` (committed) and `pendingUsage` (reserved). */
export function usageForPolicy(
  caps: readonly SiteCap[],
  usage: SiteUsage,
): { usage: UsageCounts; pendingUsage: UsageCounts } {
  const used: Record<string, Record<string, number>> = {};
  const pending: Record<string, Record<string, number>> = {};
  for (const cap of caps) {
    const count = usage[cap.ruleId];
    if (!count) continue;
    used[cap.ruleId] = { [cap.period]: count.used };
    pending[cap.ruleId] = { [cap.period]: count.pending };
  }
  return { usage: used, pendingUsage: pending };
}
