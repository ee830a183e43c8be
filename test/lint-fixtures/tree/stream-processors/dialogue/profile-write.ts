// A reader of profiles reaching for the writer instead of the store.
import { ProfileWriter } from '../../platform/profiles/writer.js'; // lint-expect: import-x/no-restricted-paths

export const writer = new ProfileWriter();
