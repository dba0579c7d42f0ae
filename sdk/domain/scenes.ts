/** The nine 信易+ scenes a terminal can serve (ARCHITECTURE.md, "Default policy"). */
export const SCENE_IDS = [
  'scenic-gate',
  'hotel-front-desk',
  'supermarket-checkout',
  'library-kiosk',
  'hospital-admission',
  'transit-counter',
  'service-window',
  'bank-counter',
  'rental-desk',
] as const;

export type SceneId = (typeof SCENE_IDS)[number];

export function isSceneId(value: unknown): value is SceneId {
  return typeof value === 'string' && (SCENE_IDS as readonly string[]).includes(value);
}

/** The programme name of each scene, as the public knows it. */
export const SCENE_PROGRAMME: Readonly<Record<SceneId, string>> = {
  'scenic-gate': '信易游',
  'hotel-front-desk': '信易游',
  'supermarket-checkout': '信易购',
  'library-kiosk': '信易阅',
  'hospital-admission': '信易医',
  'transit-counter': '信易行',
  'service-window': '信易批',
  'bank-counter': '信易贷',
  'rental-desk': '信易租',
};
