/** The emergencies the safety layer tells apart; the dialogue picks its escalation text by category. */
export const EMERGENCY_CATEGORIES = [
  'cardiac', 'stroke', 'breathing', 'allergy', 'bleeding', 'poisoning',
  'unconscious', 'seizure', 'glycaemia', 'self_harm', 'child_harm', 'pregnancy',
] as const;
export type EmergencyCategory = (typeof EMERGENCY_CATEGORIES)[number];

export function isEmergencyCategory(name: string): name is EmergencyCategory {
  return (EMERGENCY_CATEGORIES as readonly string[]).includes(name);
}

/** When one message matches several, the more specific situation names it ("pregnant and bleeding" is pregnancy). */
export const CATEGORY_PRIORITY: readonly EmergencyCategory[] = [
  'pregnancy', 'child_harm', 'self_harm', 'poisoning', 'allergy', 'stroke', 'cardiac',
  'breathing', 'seizure', 'glycaemia', 'unconscious', 'bleeding',
];
