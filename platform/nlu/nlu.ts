import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import core from '@nlpjs/core';
import nlpPkg from '@nlpjs/nlp';
import type { Nlp as NlpType } from '@nlpjs/nlp';
import langEn from '@nlpjs/lang-en';
import langEs from '@nlpjs/lang-es';
import { CareloopError } from '../errors.js';
import { loadLabelledSet, type LabelledSet } from './corpus.js';
import { createDateParsers, type DateParsers } from './dates.js';
import { extractEntities, type Entity } from './entities.js';
import { NONE, isIntentName, type IntentName } from './intents.js';
import { buildVocabulary, languageGuesser, localeLanguage, LANGUAGES, type Language, type LanguageGuesser, type Vocabulary } from './language.js';
import { classifyNgram, compileNgram, trainNgram, type CompiledNgram, type NgramModel } from './ngram.js';
import { rulesOnlyDetector, type EmergencyDetector, type EmergencyFinding } from '../safety/emergency.js';
import { loadEmergencyDetector } from '../safety/model-file.js';
import { applyRules } from './rules.js';

export { INTENTS, type IntentName } from './intents.js';
export type { Entity } from './entities.js';

export interface Understanding {
  intent: IntentName;
  confidence: number;
  language: Language;
  entities: Entity[];
  /** Present when intent is 'emergency': the category the safety detector found. */
  emergency?: EmergencyFinding;
}

export interface UnderstandOptions {
  /** The client's locale ('es', 'es-MX'); null or a language we do not serve means "detect". */
  locale: string | null;
  /** The patient's own medication names, as they should come back in entities. */
  medications: readonly string[];
  now: Date;
  /** IANA zone dates are read in ("mañana a las 5" in Mexico City); UTC when absent. */
  timeZone?: string;
}

/**
 * Below this combined top score the classifiers are guessing and the message is 'fallback'. Chosen
 * on the held-out split (`evaluate.js <model> --sweep`): macro-F1 is flat from 0.3 to 0.55 in both
 * languages and falls off above 0.6; 0.4 sits inside the plateau.
 */
export const FALLBACK_THRESHOLD = 0.4;
// A language guess weaker than this (in log-odds) is settled by the classifiers instead ("ok", "10").
const LANGUAGE_MARGIN = 1;
// Long pastes add nothing to the intent and cost classifier time; the rules still read all of it.
const MAX_CLASSIFIED_CHARS = 1000;
const MODEL_FORMAT = 'careloop-intent-model/2';

interface ModelFile { format: string; corpusDigest: string; vocabulary: Vocabulary; ngram: Record<Language, NgramModel>; nlp: unknown }

function newNlp(): NlpType {
  const container = core.containerBootstrap();
  container.use(langEn.LangEn);
  container.use(langEs.LangEs);
  // No autoSave/autoLoad: NLP.js would otherwise read and write model.nlp in the working directory.
  return new nlpPkg.Nlp(
    { languages: [...LANGUAGES], autoSave: false, autoLoad: false, calculateSentiment: false, threshold: 0, nlu: { log: false } },
    container,
  );
}

/** A stable digest of the labelled examples, stored in the model so a stale model can be spotted. */
export function digestOf(set: LabelledSet): string {
  return createHash('sha256').update(JSON.stringify(set)).digest('hex');
}

/** Trains the classifier on `<corpusDir>/{en,es}.json`; returns the model file's JSON text. */
export async function trainModel(corpusDir: string): Promise<string> {
  const corpus = await loadLabelledSet(corpusDir);
  const nlp = newNlp();
  for (const lang of LANGUAGES) {
    for (const ex of corpus[lang]) nlp.addDocument(lang, ex.text, ex.intent === 'fallback' ? NONE : ex.intent);
  }
  await nlp.train();
  const vocabulary = buildVocabulary({ en: corpus.en.map((e) => e.text), es: corpus.es.map((e) => e.text) });
  const ngram = {
    en: trainNgram(corpus.en.map((e) => ({ text: e.text, label: e.intent }))),
    es: trainNgram(corpus.es.map((e) => ({ text: e.text, label: e.intent }))),
  };
  const file: ModelFile = { format: MODEL_FORMAT, corpusDigest: digestOf(corpus), vocabulary, ngram, nlp: nlp.toJSON() };
  return JSON.stringify(file);
}

interface Scored { intent: IntentName; score: number }

export class IntentModel {
  readonly corpusDigest: string;
  private readonly nlp: NlpType;
  private readonly guesser: LanguageGuesser;
  private readonly dates: DateParsers;
  private readonly ngram: Record<Language, CompiledNgram>;
  private readonly emergency: EmergencyDetector;

  private constructor(file: ModelFile, emergency: EmergencyDetector) {
    this.emergency = emergency;
    this.corpusDigest = file.corpusDigest;
    this.nlp = newNlp();
    this.nlp.fromJSON(file.nlp);
    this.guesser = languageGuesser(file.vocabulary);
    this.dates = createDateParsers();
    this.ngram = { en: compileNgram(file.ngram.en), es: compileNgram(file.ngram.es) };
  }

  /**
   * Loads a model written by train.ts (`dist/models/intent-model.json`) and the emergency detector
   * the build writes beside it (`emergency-model.json`, platform/safety/train.ts).
   */
  static async load(modelPath: string, emergencyModelPath = join(dirname(modelPath), 'emergency-model.json')): Promise<IntentModel> {
    const [serialized, detector] = await Promise.all([readFile(modelPath, 'utf8'), loadEmergencyDetector(emergencyModelPath)]);
    return IntentModel.fromJSON(serialized, detector);
  }

  /** Without a detector, the emergency rules alone (no classifier) decide emergencies. */
  static fromJSON(serialized: string, emergency: EmergencyDetector = rulesOnlyDetector()): IntentModel {
    const file = JSON.parse(serialized) as Partial<ModelFile>;
    if (file.format !== MODEL_FORMAT || file.vocabulary === undefined || file.ngram === undefined || file.nlp === undefined || typeof file.corpusDigest !== 'string') {
      throw new CareloopError('CONFIG_INVALID', `intent model is not in format ${MODEL_FORMAT}; retrain it with train.js`);
    }
    return new IntentModel(file as ModelFile, emergency);
  }

  /**
   * Intent, language and entities of one patient message. Safety rules (emergencies, SMS keywords)
   * come first and report confidence 1; otherwise `confidence` is the classifier's top score, also
   * when that score was too low and the answer is 'fallback'. Only the emergency detector says
   * 'emergency': when the classifier's best guess is 'emergency' but the detector did not fire,
   * its next guess is taken (the detector is measured for recall and false alarms, the classifier is not).
   */
  async understand(text: string, opts: UnderstandOptions): Promise<Understanding> {
    const rule = applyRules(text, this.emergency);
    const language = localeLanguage(opts.locale) ?? rule?.language ?? (await this.detectLanguage(text));
    const entities = extractEntities(this.dates, text, { language, medications: opts.medications, now: opts.now, timeZone: opts.timeZone });
    if (rule?.emergency !== undefined) return { intent: 'emergency', confidence: 1, language, entities, emergency: rule.emergency };
    if (rule !== null) return { intent: rule.intent, confidence: 1, language, entities };
    const top = await this.classify(language, text, 'emergency');
    const intent = top.score < FALLBACK_THRESHOLD ? 'fallback' : top.intent;
    return { intent, confidence: top.score, language, entities };
  }

  /** The classifier alone (no rules, no threshold): what evaluate.ts measures. `exclude` is never the answer. */
  async classify(language: Language, text: string, exclude?: IntentName): Promise<Scored> {
    const input = text.slice(0, MAX_CLASSIFIED_CHARS);
    if (input.trim() === '') return { intent: 'fallback', score: 1 };
    const result = await this.nlp.classify(language, input);
    const scores = new Map<string, number>();
    for (const c of result.classifications) scores.set(c.intent === NONE ? 'fallback' : c.intent, c.score);
    const ngram = classifyNgram(this.ngram[language], input);
    // Equal-weight average of both classifiers; NLP.js alone when no n-gram was ever seen.
    if (ngram.length > 0) {
      for (const [intent, score] of scores) scores.set(intent, score / 2);
      for (const c of ngram) scores.set(c.intent, (scores.get(c.intent) ?? 0) + c.score / 2);
    }
    let best: Scored = { intent: 'fallback', score: 0 };
    for (const [intent, score] of [...scores].sort((a, b) => a[0].localeCompare(b[0]))) {
      if (score > best.score && isIntentName(intent) && intent !== exclude) best = { intent, score };
    }
    return best;
  }

  async detectLanguage(text: string): Promise<Language> {
    const guess = this.guesser.guess(text);
    if (guess.margin >= LANGUAGE_MARGIN) return guess.language;
    const [en, es] = await Promise.all([this.classify('en', text), this.classify('es', text)]);
    const evidence = (s: Scored): number => (s.intent === 'fallback' ? 0 : s.score);
    if (evidence(es) > evidence(en)) return 'es';
    if (evidence(en) > evidence(es)) return 'en';
    return guess.language;
  }
}
