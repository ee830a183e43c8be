import { CareloopError } from '../errors.js';
import { EMERGENCY_CATEGORIES, isEmergencyCategory, type EmergencyCategory } from './categories.js';
import { classify, trainClassifier, type ClassifierModel } from './classifier.js';
import { EmergencyRules } from './matcher.js';
import { foldText } from './normalize.js';

export { EMERGENCY_CATEGORIES, type EmergencyCategory } from './categories.js';

export interface EmergencyFinding { category: EmergencyCategory; source: 'rule' | 'classifier'; score: number }
export interface EmergencyDetector { assess(text: string): EmergencyFinding | null }

/** One labelled message of the evaluation and training sets (platform/safety/eval/*.json). */
export interface EmergencyExample { text: string; lang: 'en' | 'es'; label: 'emergency' | 'safe'; category?: EmergencyCategory; kind?: string }

/** The trained part of the detector, as shipped in dist/models/emergency-model.json. */
export interface EmergencyModel {
  format: typeof EMERGENCY_MODEL_FORMAT;
  /** Above this probability of "not safe" the classifier raises an alarm on a message that mentions no symptom. */
  threshold: number;
  /** The same where a symptom is mentioned outside any veto, and where it comes with an urgency cue. */
  mentionThreshold: number;
  severeThreshold: number;
  /** Words of safe training messages: typo correction leaves them alone. */
  knownWords: string[];
  classifier: ClassifierModel;
}
export const EMERGENCY_MODEL_FORMAT = 'careloop-emergency-model/2';

// Chosen by 5-fold cross-validation on the training sets (tuning, B, C, dev), per kind of message the rules
// left: no symptom named, a symptom named, a symptom with an urgency cue ("help", "now", "ayuda", "no puedo").
export const DEFAULT_THRESHOLD = 0.4;
export const DEFAULT_MENTION_THRESHOLD = 0.6;
export const DEFAULT_SEVERE_THRESHOLD = 0.2;
// Over a veto: 2 of 377 vetoed safe messages scored this high in the same cross-validation.
const VETO_OVERRIDE_THRESHOLD = 0.99;
// Messages longer than this are read by the rules in full but classified on their start only.
const MAX_CLASSIFIED_CHARS = 600;
const SAFE = 'safe';
const MIN_CLASSIFIED_WORDS = 3;

function wordCount(text: string): number {
  return text.split(/[^\p{L}\p{N}]+/u).filter((w) => w !== '').length;
}

/** Trains the classifier part; deterministic for the same examples. */
export function trainEmergencyModel(examples: readonly EmergencyExample[], thresholds: Partial<Pick<EmergencyModel, 'threshold' | 'mentionThreshold' | 'severeThreshold'>> = {}): EmergencyModel {
  // Safe messages outnumber emergencies; each side gets the same total weight so recall is not traded away.
  const emergencies = examples.filter((e) => e.label === 'emergency' && e.category !== undefined).length;
  const safe = examples.length - emergencies;
  const emergencyWeight = emergencies === 0 ? 1 : Math.max(1, safe / emergencies);
  const labelled = examples
    .filter((e) => e.label === 'safe' || e.category !== undefined)
    .map((e) => ({ text: e.text, label: e.label === 'safe' ? SAFE : (e.category ?? SAFE), weight: e.label === 'safe' ? 1 : emergencyWeight }));
  const known = new Set<string>();
  for (const e of examples) {
    if (e.label !== 'safe') continue;
    for (const w of foldText(e.text).replace(/[^\p{L}\p{N}]+/gu, ' ').split(' ')) if (w.length >= 4) known.add(w);
  }
  return {
    format: EMERGENCY_MODEL_FORMAT,
    threshold: thresholds.threshold ?? DEFAULT_THRESHOLD,
    mentionThreshold: thresholds.mentionThreshold ?? DEFAULT_MENTION_THRESHOLD,
    severeThreshold: thresholds.severeThreshold ?? DEFAULT_SEVERE_THRESHOLD,
    knownWords: [...known].sort(), classifier: trainClassifier(labelled) };
}

/** A detector from a model: rules first (score 1), then the classifier with a threshold by what the rules saw. */
export function emergencyDetector(model: EmergencyModel): EmergencyDetector {
  const rules = new EmergencyRules(model.knownWords);
  return {
    assess(text: string): EmergencyFinding | null {
      const outcome = rules.match(text);
      if (outcome.kind === 'hit') return { category: outcome.category, source: 'rule', score: 1 };
      // A phrase the rules set aside (negated, long ago, a question, a figure of speech) stays safe unless
      // the classifier is all but certain (a veto that fires wrongly hides an emergency).
      if (outcome.kind === 'vetoed' && wordCount(text) < MIN_CLASSIFIED_WORDS) return null;
      // One or two words ("STOP", "ok thanks") give the n-grams too little to go on; the rules read them.
      if (wordCount(text) < MIN_CLASSIFIED_WORDS) return null;
      const scores = classify(model.classifier, text.slice(0, MAX_CLASSIFIED_CHARS));
      const alarm = 1 - (scores.get(SAFE) ?? 0);
      const threshold = outcome.kind === 'vetoed' ? VETO_OVERRIDE_THRESHOLD
        : outcome.kind === 'mention' ? (outcome.severe ? model.severeThreshold : model.mentionThreshold) : model.threshold;
      if (alarm < threshold) return null;
      let category: EmergencyCategory = outcome.kind === 'mention' ? outcome.category : 'cardiac';
      let best = outcome.kind === 'mention' ? 0.05 : -1;
      for (const c of EMERGENCY_CATEGORIES) {
        const s = scores.get(c) ?? 0;
        if (s > best) { best = s; category = c; }
      }
      return { category, source: 'classifier', score: Math.round(alarm * 1000) / 1000 };
    },
  };
}

/** The rules alone, with no trained part: for tools and tests that have no model file at hand. */
export function rulesOnlyDetector(): EmergencyDetector {
  const rules = new EmergencyRules();
  return {
    assess(text: string): EmergencyFinding | null {
      const outcome = rules.match(text);
      return outcome.kind === 'hit' ? { category: outcome.category, source: 'rule', score: 1 } : null;
    },
  };
}

export function parseEmergencyModel(serialized: string): EmergencyModel {
  const file = JSON.parse(serialized) as Partial<EmergencyModel>;
  const c = file.classifier;
  if (file.format !== EMERGENCY_MODEL_FORMAT || typeof file.threshold !== 'number' || typeof file.mentionThreshold !== 'number'
    || typeof file.severeThreshold !== 'number' || !Array.isArray(file.knownWords)
    || c === undefined || !Array.isArray(c.classes) || !c.classes.every((k) => k === SAFE || isEmergencyCategory(k))) {
    throw new CareloopError('CONFIG_INVALID', `emergency model is not in format ${EMERGENCY_MODEL_FORMAT}; rebuild it (npm run build)`);
  }
  return file as EmergencyModel;
}
