// Minimal typings for the parts of NLP.js v4 we use; the packages ship none (CommonJS, default-imported).

declare module '@nlpjs/core' {
  export interface NlpjsContainer {
    use(plugin: unknown): unknown;
  }
  const core: { containerBootstrap(settings?: Record<string, unknown>): NlpjsContainer };
  export default core;
}

declare module '@nlpjs/nlp' {
  import type { NlpjsContainer } from '@nlpjs/core';

  export interface NlpjsClassification { intent: string; score: number }
  export interface NlpjsClassifyResult { intent: string; score: number; classifications: NlpjsClassification[] }
  export interface NlpjsSettings {
    languages: string[];
    autoSave: boolean;
    autoLoad: boolean;
    calculateSentiment?: boolean;
    threshold?: number;
    nlu?: Record<string, unknown>;
  }
  export class Nlp {
    constructor(settings: NlpjsSettings, container: NlpjsContainer);
    addDocument(locale: string, utterance: string, intent: string): void;
    train(): Promise<unknown>;
    classify(locale: string, utterance: string): Promise<NlpjsClassifyResult>;
    toJSON(): unknown;
    fromJSON(json: unknown): void;
  }
  const nlp: { Nlp: typeof Nlp };
  export default nlp;
}

declare module '@nlpjs/lang-en' {
  const en: { LangEn: unknown };
  export default en;
}

declare module '@nlpjs/lang-es' {
  const es: { LangEs: unknown };
  export default es;
}
