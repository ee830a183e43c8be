import { IntentModel } from '../nlu/nlu.js';
import { modelPath as defaultModelPath } from '../nlu/model-path.js';
import type { SimulationOptions, Understood } from './simulator.js';

/** The NLU model the product ships (dist/models/intent-model.json), as a simulator `understand`. */
export async function realUnderstanding(medications: readonly string[] = [], modelPath = defaultModelPath()): Promise<SimulationOptions['understand']> {
  const model = await IntentModel.load(modelPath);
  return async (text, language, now): Promise<Understood> => {
    const u = await model.understand(text, { locale: language, medications, now });
    return { intent: u.intent, language: u.language, entities: u.entities.map((e) => ({ type: e.type, value: e.value, text: e.text })) };
  };
}

